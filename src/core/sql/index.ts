export { classifySql, type Classification } from './classify.ts';
export { locateError } from './locate.ts';
export { identifierName, significant, tokenize, tokenValue, type Token, type TokenType } from '../../shared/sql/tokenize.ts';
export { doubleQuotedToString, prepareWithLegacyStrings, unresolvedDoubleQuoted } from './legacy.ts';

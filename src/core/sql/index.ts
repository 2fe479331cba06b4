export { classifySql, type Classification } from './classify.ts';
export { locateError } from './locate.ts';
export { identifierName, significant, tokenize, type Token, type TokenType } from './tokenize.ts';
export { doubleQuotedToString, prepareWithLegacyStrings, unresolvedDoubleQuoted } from './legacy.ts';

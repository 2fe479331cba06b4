/**
 * Gold SQL against predicted SQL, token by token: SQLite's tokenizer cuts both, a longest common subsequence of the
 * meaningful tokens finds what they share, and every other token is a removal (gold only) or an addition
 * (predicted only). Keywords and identifiers compare case-insensitively (`SELECT` = `select`, `"Name"` = `name`),
 * as SQLite reads them; strings and numbers compare exactly. Whitespace and comments never count as a change.
 * Pure: no React, no DOM.
 */
import { tokenize, tokenValue, type Token } from '../../../shared/sql/tokenize.ts';

export type SegmentKind = 'same' | 'removed' | 'added';

export interface DiffSegment {
  kind: SegmentKind;
  text: string;
}

export interface SqlDiff {
  /** the gold text cut into runs: 'same' and 'removed' */
  gold: DiffSegment[];
  /** the predicted text cut into runs: 'same' and 'added' */
  pred: DiffSegment[];
  removed: number;
  added: number;
  /** no token differs (the texts may still differ in case, spacing or comments) */
  equivalent: boolean;
  /** true when the texts were too long for a token diff and were compared as wholes */
  coarse: boolean;
}

/** Above this many token pairs (n × m) the quadratic table is not worth it: the texts are compared whole. */
const MAX_CELLS = 4_000_000;

const isNeutral = (t: Token) => t.type === 'space' || t.type === 'comment';

/** What decides whether two tokens are the same. */
export function tokenKey(token: Token): string {
  switch (token.type) {
    case 'word':
      return `w:${token.text.toLowerCase()}`;
    case 'quoted':
      return `w:${tokenValue(token).toLowerCase()}`;
    case 'string':
      return `s:${tokenValue(token)}`;
    case 'semicolon':
      return ';';
    default:
      return `${token.type}:${token.text}`;
  }
}

/** For each token of a and of b: is it part of a longest common subsequence (by key)? */
export function lcsMarks(a: string[], b: string[]): { inA: boolean[]; inB: boolean[] } {
  const n = a.length;
  const m = b.length;
  const inA = new Array<boolean>(n).fill(false);
  const inB = new Array<boolean>(m).fill(false);
  // common prefix and suffix first: most predictions share long runs with their gold
  let start = 0;
  while (start < n && start < m && a[start] === b[start]) {
    inA[start] = inB[start] = true;
    start++;
  }
  let endA = n;
  let endB = m;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
    inA[endA] = inB[endB] = true;
  }
  const rows = endA - start;
  const cols = endB - start;
  if (rows === 0 || cols === 0) return { inA, inB };
  // lengths[i][j]: LCS of a[start+i..endA) and b[start+j..endB), in one flat array
  const width = cols + 1;
  const lengths = new Uint32Array((rows + 1) * width);
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[start + i] === b[start + j]
          ? lengths[(i + 1) * width + j + 1]! + 1
          : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < rows && j < cols) {
    if (a[start + i] === b[start + j]) {
      inA[start + i] = inB[start + j] = true;
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) i++;
    else j++;
  }
  return { inA, inB };
}

/**
 * The runs of one side. A space or comment takes the kind of the tokens around it when both sides of it changed,
 * so a removed phrase reads as one highlighted run, not as separate words.
 */
function segments(tokens: Token[], common: boolean[], changed: SegmentKind): DiffSegment[] {
  const kinds: SegmentKind[] = [];
  let k = 0;
  for (const token of tokens) kinds.push(isNeutral(token) ? 'same' : common[k++] ? 'same' : changed);
  for (let t = 0; t < tokens.length; t++) {
    if (!isNeutral(tokens[t]!)) continue;
    let before = t - 1;
    while (before >= 0 && isNeutral(tokens[before]!)) before--;
    let after = t + 1;
    while (after < tokens.length && isNeutral(tokens[after]!)) after++;
    if (before >= 0 && after < tokens.length && kinds[before] === changed && kinds[after] === changed) kinds[t] = changed;
  }
  const out: DiffSegment[] = [];
  tokens.forEach((token, t) => {
    const last = out.at(-1);
    if (last && last.kind === kinds[t]) last.text += token.text;
    else out.push({ kind: kinds[t]!, text: token.text });
  });
  return out;
}

export function diffSql(gold: string, pred: string): SqlDiff {
  const goldTokens = tokenize(gold);
  const predTokens = tokenize(pred);
  const goldKeys = goldTokens.filter((t) => !isNeutral(t)).map(tokenKey);
  const predKeys = predTokens.filter((t) => !isNeutral(t)).map(tokenKey);
  if (goldKeys.length * predKeys.length > MAX_CELLS) {
    const same = goldKeys.length === predKeys.length && goldKeys.every((k, i) => k === predKeys[i]);
    return {
      gold: gold ? [{ kind: same ? 'same' : 'removed', text: gold }] : [],
      pred: pred ? [{ kind: same ? 'same' : 'added', text: pred }] : [],
      removed: same ? 0 : goldKeys.length,
      added: same ? 0 : predKeys.length,
      equivalent: same,
      coarse: true,
    };
  }
  const { inA, inB } = lcsMarks(goldKeys, predKeys);
  const removed = inA.filter((x) => !x).length;
  const added = inB.filter((x) => !x).length;
  return {
    gold: segments(goldTokens, inA, 'removed'),
    pred: segments(predTokens, inB, 'added'),
    removed,
    added,
    equivalent: removed === 0 && added === 0,
    coarse: false,
  };
}

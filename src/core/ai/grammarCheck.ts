/**
 * A reader for the GBNF subset that grammar.ts writes (rules, "strings", [classes], groups, |, ?, *, +, {m,n}) and
 * the longest text a grammar can produce. The grammars must be finite (a model sampling under one must always reach
 * its end), so tests check `longestText` is finite and small; llama.cpp itself has no such check.
 */

export type GbnfNode =
  | { t: 'str'; len: number }
  | { t: 'class' }
  | { t: 'ref'; name: string }
  | { t: 'seq'; items: GbnfNode[] }
  | { t: 'alt'; options: GbnfNode[] }
  | { t: 'rep'; node: GbnfNode; min: number; max: number };

/** Rules by name, from GBNF source; throws on syntax it does not know. */
export function parseGbnf(source: string): Map<string, GbnfNode> {
  const rules = new Map<string, GbnfNode>();
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`GBNF: ${what} at ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  // spaces and comments; newlines only inside groups or after "|" (or between rules, handled by the caller)
  const skip = (newlines: boolean) => {
    for (;;) {
      const c = source[i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) i++;
      else if (c === '#') while (i < source.length && source[i] !== '\n') i++;
      else return;
    }
  };
  const name = () => {
    const m = /^[a-zA-Z0-9-]+/.exec(source.slice(i));
    if (!m) fail('a rule name');
    i += m![0].length;
    return m![0];
  };
  const escaped = () => {
    // one possibly escaped character inside "..." or [...]
    if (source[i] !== '\\') return void (i += source.codePointAt(i)! > 0xffff ? 2 : 1);
    const e = source[i + 1];
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    i += 2 + hex;
  };
  const alternatives = (depth: number): GbnfNode => {
    const options: GbnfNode[] = [sequence(depth)];
    while (source[i] === '|') {
      i++;
      skip(true);
      options.push(sequence(depth));
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  };
  const sequence = (depth: number): GbnfNode => {
    const items: GbnfNode[] = [];
    for (;;) {
      skip(depth > 0);
      const c = source[i];
      let node: GbnfNode;
      if (c === '"') {
        i++;
        let len = 0;
        while (source[i] !== '"') {
          if (i >= source.length) fail('an unterminated string');
          escaped();
          len++;
        }
        i++;
        node = { t: 'str', len };
      } else if (c === '[') {
        i++;
        while (source[i] !== ']') {
          if (i >= source.length) fail('an unterminated class');
          escaped();
        }
        i++;
        node = { t: 'class' };
      } else if (c === '(') {
        i++;
        skip(true);
        node = alternatives(depth + 1);
        skip(true);
        if (source[i] !== ')') fail('")"');
        i++;
      } else if (c !== undefined && /[a-zA-Z0-9-]/.test(c)) {
        const save = i;
        const n = name();
        skip(false);
        if (source.startsWith('::=', i)) {
          i = save; // the next rule starts here
          break;
        }
        node = { t: 'ref', name: n };
      } else break;
      const q = source[i];
      if (q === '?') (node = { t: 'rep', node, min: 0, max: 1 }), i++;
      else if (q === '*') (node = { t: 'rep', node, min: 0, max: Infinity }), i++;
      else if (q === '+') (node = { t: 'rep', node, min: 1, max: Infinity }), i++;
      else if (q === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
        if (!m) fail('a repetition');
        const min = Number(m![1]);
        node = { t: 'rep', node, min, max: m![2] === undefined ? min : m![3] ? Number(m![3]) : Infinity };
        i += m![0].length;
      }
      items.push(node);
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  };
  for (;;) {
    skip(true);
    if (i >= source.length) break;
    const n = name();
    skip(false);
    if (!source.startsWith('::=', i)) fail('"::="');
    i += 3;
    skip(false);
    rules.set(n, alternatives(0));
  }
  for (const [, node] of rules) checkRefs(node, rules);
  return rules;
}

function checkRefs(node: GbnfNode, rules: Map<string, GbnfNode>): void {
  if (node.t === 'ref' && !rules.has(node.name)) throw new Error(`GBNF: undefined rule ${node.name}`);
  if (node.t === 'seq') node.items.forEach((n) => checkRefs(n, rules));
  if (node.t === 'alt') node.options.forEach((n) => checkRefs(n, rules));
  if (node.t === 'rep') checkRefs(node.node, rules);
}

/** The most characters (code points) one derivation of `root` can produce; Infinity when unbounded. */
export function longestText(source: string, root = 'root'): number {
  const rules = parseGbnf(source);
  const memo = new Map<string, number>();
  const active = new Set<string>();
  const walk = (node: GbnfNode): number => {
    switch (node.t) {
      case 'str':
        return node.len;
      case 'class':
        return 1;
      case 'seq':
        return node.items.reduce((sum, n) => sum + walk(n), 0);
      case 'alt':
        return Math.max(...node.options.map(walk));
      case 'rep': {
        const one = walk(node.node);
        return node.max === Infinity ? (one === 0 ? 0 : Infinity) : one * node.max;
      }
      case 'ref': {
        const known = memo.get(node.name);
        if (known !== undefined) return known;
        if (active.has(node.name)) return Infinity; // recursion: no bound
        active.add(node.name);
        const value = walk(rules.get(node.name)!);
        active.delete(node.name);
        memo.set(node.name, value);
        return value;
      }
    }
  };
  if (!rules.has(root)) throw new Error(`GBNF: no ${root} rule`);
  return walk({ t: 'ref', name: root });
}

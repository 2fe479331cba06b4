/** Atomic operations: what must not change them (spelling) and what must (meaning), and the shaping function. */
import { describe, expect, it } from 'vitest';
import { atomicOps, DEFAULT_ATOMIC_SHAPE, jaccard, shapeAtomic } from './atomic.ts';

const ops = (sql: string) => {
  const o = atomicOps(sql);
  if (!o) throw new Error(`does not parse: ${sql}`);
  return o;
};
const j = (pred: string, gold: string) => jaccard(ops(pred), [ops(gold)]);
const asSet = (sql: string) => [...new Set(ops(sql))].sort();

const GOLD = `SELECT T1.name, count(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id
  WHERE T1.age > 30 AND T1.country = 'France' GROUP BY T1.name ORDER BY count(*) DESC LIMIT 3`;

describe('atomic operations', () => {
  it('reads every kind of operation from the AST, with canonical aliases and lower-cased names', () => {
    expect(ops(GOLD)).toEqual([
      'FROM(singer as T1)',
      'JOIN(singer_in_concert, INNER)',
      'ON_EQ(T1.singer_id, T2.singer_id)',
      'SELECT_COL(name)',
      'SELECT_AGG(COUNT, *)',
      "WHERE_PRED(=, country, VALUE('France'))",
      'WHERE_PRED(>, age, VALUE(30))',
      'GROUP_BY(name)',
      'ORDER_BY(COUNT(*), DESC)',
      'LIMIT(3)',
    ]);
    const rich = ops(`WITH top AS (SELECT DISTINCT a FROM x) SELECT rank() OVER (PARTITION BY b ORDER BY c DESC), a + 1
      FROM top LEFT JOIN y ON top.a = y.a OR y.b IS NULL WHERE d IN (SELECT e FROM f) AND (g = 1 OR h = 2)
      GROUP BY a HAVING sum(c) > 5 UNION ALL SELECT 1, 2 FROM z`);
    expect(rich).toEqual(expect.arrayContaining([
      'WITH_CTE(top)', 'ENTER_SUBQUERY(CTE)', 'DISTINCT', 'EXIT_SUBQUERY', 'FROM(top as T1)', 'JOIN(y, LEFT)',
      'ON_PRED_TREE((T1.a = T2.a) OR (T2.b IS VALUE(NULL)))', 'WINDOW(partition_by=[b], order_by=[c DESC])', 'SELECT_WIN(RANK)',
      'SELECT_EXPR(a + VALUE(1))', 'ENTER_SUBQUERY(WHERE_IN)', 'FROM(f as T1)', 'WHERE_PRED(IN, d, SUBQUERY)',
      'WHERE_PRED_TREE((g = VALUE(1)) OR (h = VALUE(2)))', 'GROUP_BY(a)', 'HAVING_PRED(>, SUM(c), VALUE(5))', 'UNION_ALL',
      'ENTER_SUBQUERY(SET_RIGHT)', 'FROM(z as T1)',
    ]));
  });

  it('is null for SQL that does not parse or is not one query', () => {
    expect(atomicOps('SELEC name FROM singer')).toBeNull();
    expect(atomicOps('SELECT 1; SELECT 2')).toBeNull();
    expect(atomicOps('DELETE FROM singer')).toBeNull();
    expect(atomicOps('SELECT 1;')).toEqual(['SELECT_EXPR(VALUE(1))']);
  });

  it('reads tables named match or cast, which the parser reserves and SQLite allows (Spider and BIRD golds use them)', () => {
    expect(ops('SELECT T2.Location FROM aircraft AS T1 JOIN MATCH AS T2 ON T1.Aircraft_ID = T2.Winning_Aircraft')).toEqual([
      'FROM(aircraft as T1)', 'JOIN(match, INNER)', 'ON_EQ(T1.aircraft_id, T2.winning_aircraft)', 'SELECT_COL(location)',
    ]);
    expect(ops("SELECT t1.name FROM CAST AS t2 JOIN actor AS t1 ON t2.aid = t1.aid WHERE CAST(t2.role AS TEXT) = 'x'")).toEqual([
      'FROM(cast as T1)', 'JOIN(actor, INNER)', 'ON_EQ(T1.aid, T2.aid)', 'SELECT_COL(name)', "WHERE_PRED(=, CAST(role AS TEXT), VALUE('x'))",
    ]);
  });

  // each pair means the same query written differently: identical operation sets, J = 1
  it.each([
    ['alias renaming', GOLD, GOLD.replace(/\bT1\b/g, 'S').replace(/\bT2\b/g, 'sic')],
    ['unaliased tables', 'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.sid', 'SELECT singer.name FROM singer JOIN concert ON singer.id = concert.sid'],
    ['AND order', GOLD, GOLD.replace("T1.age > 30 AND T1.country = 'France'", "T1.country = 'France' AND T1.age > 30")],
    ['AND order inside an OR tree', 'SELECT a FROM t WHERE (x = 1 AND y = 2) OR z = 3', 'SELECT a FROM t WHERE z = 3 OR (y = 2 AND x = 1)'],
    ['ON equality sides', 'SELECT a FROM s JOIN c ON s.id = c.sid', 'SELECT a FROM s JOIN c ON c.sid = s.id'],
    ['keyword case', GOLD, GOLD.toLowerCase().replace("'france'", "'France'")],
    ['identifier case', GOLD, GOLD.replace(/singer\b/g, 'Singer').replace('name', 'NAME')],
    ['whitespace', GOLD, GOLD.replace(/\s+/g, '   \n\t ')],
    ['ORDER BY a result alias', 'SELECT name, count(*) FROM t GROUP BY name ORDER BY count(*) DESC', 'SELECT name, count(*) AS n FROM t GROUP BY name ORDER BY n DESC'],
    ['ORDER BY a result position', 'SELECT name FROM t ORDER BY name', 'SELECT name FROM t ORDER BY 1 ASC'],
    ['!= and <>', 'SELECT a FROM t WHERE b != 1', 'SELECT a FROM t WHERE b <> 1'],
    ['a double-quoted value', "SELECT a FROM t WHERE b = 'Bob'", 'SELECT a FROM t WHERE b = "Bob"'],
    ['a trailing semicolon', GOLD, `${GOLD};`],
  ])('%s gives the same operation set (J = 1)', (_what, a, b) => {
    expect(asSet(a)).toEqual(asSet(b));
    expect(j(a, b)).toBe(1);
  });

  // each change alters the meaning: J drops below 1 (and stays above 0: most of the query is shared)
  it.each([
    ['another table', GOLD.replace('JOIN singer_in_concert', 'JOIN concert')],
    ['another column', GOLD.replace('SELECT T1.name', 'SELECT T1.song_name')],
    ['another predicate', GOLD.replace('T1.age > 30', 'T1.age < 30')],
    ['another value', GOLD.replace("'France'", "'Spain'")],
    ['a dropped predicate', GOLD.replace(" AND T1.country = 'France'", '')],
    ['a dropped GROUP BY', GOLD.replace(' GROUP BY T1.name', '')],
    ['another join condition', GOLD.replace('T1.singer_id = T2.singer_id', 'T1.singer_id = T2.concert_id')],
    ['another order', GOLD.replace('DESC', 'ASC')],
    ['another limit', GOLD.replace('LIMIT 3', 'LIMIT 1')],
    ['DISTINCT added', GOLD.replace('SELECT T1.name', 'SELECT DISTINCT T1.name')],
    ['a LEFT join', GOLD.replace(' JOIN ', ' LEFT JOIN ')],
  ])('%s lowers J', (_what, pred) => {
    const score = j(pred, GOLD);
    expect(score).toBeLessThan(1);
    expect(score).toBeGreaterThan(0.5);
  });

  it('keeps OR/NOT trees whole: a different tree is one differing operation, not a partial match', () => {
    const a = ops('SELECT a FROM t WHERE x = 1 OR y = 2');
    const b = ops('SELECT a FROM t WHERE x = 1 OR y = 3');
    expect(a.filter((o) => !b.includes(o))).toEqual(['WHERE_PRED_TREE((x = VALUE(1)) OR (y = VALUE(2)))']);
    expect(ops('SELECT a FROM t WHERE NOT x = 1')).toContain('WHERE_PRED_TREE(NOT (x = VALUE(1)))');
    // NOT IN / NOT LIKE / IS NOT are comparisons, not NOT trees
    expect(ops("SELECT a FROM t WHERE x NOT IN (1, 2) AND y NOT LIKE 'a%' AND z IS NOT NULL")).toEqual(expect.arrayContaining([
      'WHERE_PRED(NOT IN, x, [VALUE(1), VALUE(2)])', "WHERE_PRED(NOT LIKE, y, VALUE('a%'))", 'WHERE_PRED(IS NOT, z, VALUE(NULL))',
    ]));
  });

  it('gives each SELECT its own alias scope', () => {
    const o = ops('SELECT T1.a FROM x AS T1 JOIN y AS T2 ON T1.id = T2.id WHERE T1.b IN (SELECT T1.b FROM z AS T1 JOIN w AS T2 ON T1.k = T2.k)');
    expect(o.filter((x) => x.startsWith('ON_EQ'))).toEqual(['ON_EQ(T1.id, T2.id)', 'ON_EQ(T1.k, T2.k)']);
    expect(o).toContain('FROM(z as T1)');
  });
});

describe('jaccard and f(J)', () => {
  it('compares sets, takes the best gold, and scores two empty sets 1', () => {
    expect(jaccard(['a', 'b', 'b'], [['b', 'c']])).toBeCloseTo(1 / 3, 12);
    expect(jaccard(['a', 'b'], [['c'], ['a', 'b', 'c', 'd'], ['a']])).toBe(0.5);
    expect(jaccard([], [[]])).toBe(1);
    expect(jaccard(['a'], [[]])).toBe(0);
    expect(jaccard(['a'], [])).toBe(0);
  });

  it('shapes J as e*J + (1-e)*b*J^g', () => {
    expect(DEFAULT_ATOMIC_SHAPE).toEqual({ e: 0.05, b: 0.79, g: 0.2 });
    expect(shapeAtomic(0)).toBe(0);
    // 0.05 + 0.95 * 0.79
    expect(shapeAtomic(1)).toBeCloseTo(0.8005, 12);
    // 0.05 * 0.5 + 0.95 * 0.79 * 0.5^0.2 = 0.025 + 0.7505 * 0.87055056329612...
    expect(shapeAtomic(0.5)).toBeCloseTo(0.025 + 0.7505 * 0.8705505632961241, 12);
    expect(shapeAtomic(0.25, { e: 0.3, b: 0.71, g: 5 })).toBeCloseTo(0.3 * 0.25 + 0.7 * 0.71 * 0.25 ** 5, 12);
    // monotone and below the correct-result reward's margin (E = 1 + f(J) < 2)
    let last = -1;
    for (let x = 0; x <= 1.0000001; x += 0.05) {
      const f = shapeAtomic(x);
      expect(f).toBeGreaterThan(last);
      expect(f).toBeLessThan(1);
      last = f;
    }
  });
});

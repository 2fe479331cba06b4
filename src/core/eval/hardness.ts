/**
 * Spider's hardness (easy / medium / hard / extra) exactly as evaluation.py's eval_hardness computes it, over the
 * parsed SQL structure that process_sql.py produces (the `sql` field of Spider's dev.json). Python truthiness is kept:
 * has_agg(unit) is `unit[0] != 0`, so a NOT condition and every and/or connector of HAVING count as aggregates.
 */
export type SpiderSql = {
  select: [boolean, unknown[][]];
  from: { table_units: unknown[]; conds: unknown[] };
  where: unknown[];
  groupBy: unknown[][];
  having: unknown[];
  orderBy: [] | [string, unknown[][]];
  limit: number | null;
  intersect: SpiderSql | null;
  union: SpiderSql | null;
  except: SpiderSql | null;
};

const LIKE = 9; // WHERE_OPS.index('like')

const everyOther = <T>(list: T[], start: 0 | 1) => list.filter((_, i) => i % 2 === start);
/** Python's `x != 0` where x may be a bool, a number or a string */
const pyNotZero = (x: unknown) => !(x === 0 || x === false);
const hasAgg = (unit: unknown) => pyNotZero((unit as unknown[])[0]);
const countAgg = (units: unknown[]) => units.filter(hasAgg).length;

function condUnits(sql: SpiderSql): unknown[][] {
  return [...everyOther(sql.from.conds, 0), ...everyOther(sql.where, 0), ...everyOther(sql.having, 0)] as unknown[][];
}

function nested(sql: SpiderSql): SpiderSql[] {
  const out: SpiderSql[] = [];
  for (const cond of condUnits(sql)) {
    for (const v of [cond[3], cond[4]]) if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as SpiderSql);
  }
  for (const set of [sql.intersect, sql.except, sql.union]) if (set) out.push(set);
  return out;
}

function component1(sql: SpiderSql): number {
  let count = 0;
  if (sql.where.length > 0) count++;
  if (sql.groupBy.length > 0) count++;
  if (sql.orderBy.length > 0) count++;
  if (sql.limit !== null) count++;
  if (sql.from.table_units.length > 0) count += sql.from.table_units.length - 1;
  const connectors = [...everyOther(sql.from.conds, 1), ...everyOther(sql.where, 1), ...everyOther(sql.having, 1)];
  count += connectors.filter((t) => t === 'or').length;
  count += condUnits(sql).filter((cond) => cond[1] === LIKE).length;
  return count;
}

function others(sql: SpiderSql): number {
  let count = 0;
  let aggs = countAgg(sql.select[1]) + countAgg(everyOther(sql.where, 0)) + countAgg(sql.groupBy);
  if (sql.orderBy.length > 0) {
    const units = sql.orderBy[1] as unknown[][];
    aggs += countAgg([...units.map((u) => u[1]).filter(Boolean), ...units.map((u) => u[2]).filter(Boolean)]);
  }
  aggs += countAgg(sql.having);
  if (aggs > 1) count++;
  if (sql.select[1].length > 1) count++;
  if (sql.where.length > 1) count++;
  if (sql.groupBy.length > 1) count++;
  return count;
}

export type Hardness = 'easy' | 'medium' | 'hard' | 'extra';

export function hardnessOfSpiderSql(sql: SpiderSql): Hardness {
  const c1 = component1(sql);
  const c2 = nested(sql).length;
  const o = others(sql);
  if (c1 <= 1 && o === 0 && c2 === 0) return 'easy';
  if ((o <= 2 && c1 <= 1 && c2 === 0) || (c1 <= 2 && o < 2 && c2 === 0)) return 'medium';
  if ((o > 2 && c1 <= 2 && c2 === 0) || (c1 > 2 && c1 <= 3 && o <= 2 && c2 === 0) || (c1 <= 1 && o === 0 && c2 <= 1)) {
    return 'hard';
  }
  return 'extra';
}

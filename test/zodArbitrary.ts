/**
 * fast-check arbitraries derived from the contract's zod schemas, for fuzzing every procedure without listing cases
 * by hand: `plausible(schema)` follows the schema's shape (its fields, enums, literals, unions), and `hostile(schema)`
 * takes such a value and breaks it in one of the ways a hostile client would (wrong types, missing fields,
 * prototype keys, non-finite and huge numbers, huge strings, deep nesting). A hostile value is sent as JSON text,
 * so `__proto__` arrives as an own key, exactly as JSON.parse makes it on the server.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { unwrapSchema } from '../src/shared/contract/index.ts';

type Def = { type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** A value shaped like the schema: often valid, sometimes not (string lengths, formats and ranges are not honoured). */
export function plausible(schema: z.ZodType, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(unwrapSchema(schema).inner);
  if (depth > 8) return fc.constant(null);
  switch (def.type) {
    case 'string':
      return fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a', 'x.sqlite', '/tmp', 'SELECT 1'));
    case 'number':
      return fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }));
    case 'boolean':
      return fc.boolean();
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const required = Object.keys(shape).filter((k) => !isOptional(shape[k]!));
      const fields = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, plausible(s, depth + 1)]));
      return fc.record(fields, { requiredKeys: required });
    }
    case 'array':
      return fc.array(plausible(def.element as z.ZodType, depth + 1), { maxLength: 3 });
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((o) => plausible(o, depth + 1)));
    case 'pipe':
      return plausible(def.in as z.ZodType, depth);
    case 'record':
      return fc.dictionary(fc.string({ maxLength: 6 }), plausible(def.valueType as z.ZodType, depth + 1), { maxKeys: 3 });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const isOptional = (schema: z.ZodType) => unwrapSchema(schema).optional;

/** How a hostile payload was made, for the failure message and for what the answer must be. */
export type Breakage =
  | 'not-an-object'
  | 'wrong-type'
  | 'missing-field'
  | 'prototype-key'
  | 'odd-number'
  | 'huge-string'
  | 'deep-nesting';

/** Texts that JSON.parse turns into values JSON.stringify cannot write (non-finite, beyond 2^53, -0). */
const ODD_NUMBERS = ['1e999', '-1e999', '9007199254740993', '-0', '1e-400', '123456789012345678901234567890'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * JSON text of a broken input for `schema`. `mustFail` is true when the breakage makes the input invalid for any
 * object schema whatever the rest holds (a non-object, a missing required field, an unknown key in a strict object):
 * the server must then answer with an error.
 */
export function hostile(schema: z.ZodType): fc.Arbitrary<{ breakage: Breakage; json: string; mustFail: boolean }> {
  const def = defOf(schema);
  const shape = def.type === 'object' ? (def.shape as Record<string, z.ZodType>) : {};
  const keys = Object.keys(shape);
  const required = keys.filter((k) => !isOptional(shape[k]!));
  const catchall = def.catchall as z.ZodType | undefined;
  const strict = def.type === 'object' && catchall !== undefined && defOf(catchall).type === 'never';
  const base = plausible(schema).map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}));
  const withField = (value: Record<string, unknown>, key: string, text: string) => {
    const rest = JSON.stringify({ ...value, [key]: undefined });
    const inner = rest.slice(1, -1);
    return `{${inner}${inner ? ',' : ''}${JSON.stringify(key)}:${text}}`;
  };
  const anyKey = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('x');
  const options: fc.Arbitrary<{ breakage: Breakage; json: string; mustFail: boolean }>[] = [
    fc.constantFrom('null', '42', '"text"', '[]', '[{}]', 'true').map((json) => ({ breakage: 'not-an-object' as const, json, mustFail: true })),
    fc.tuple(base, anyKey, fc.constantFrom('null', '[]', '{}', '0', '"s"', 'true', '[[[]]]', '{"a":{"b":1}}')).map(([v, k, text]) => ({
      breakage: 'wrong-type' as const,
      json: withField(v, k, text),
      mustFail: false,
    })),
    fc.tuple(base, fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom('{"polluted":true}', 'null', '1', '{"__proto__":{"x":1}}')).map(([v, k, text]) => ({
      breakage: 'prototype-key' as const,
      json: withField(v, k, text),
      mustFail: strict,
    })),
    fc.tuple(base, anyKey, fc.constantFrom(...ODD_NUMBERS)).map(([v, k, text]) => ({ breakage: 'odd-number' as const, json: withField(v, k, text), mustFail: false })),
    fc.tuple(base, anyKey, fc.integer({ min: 100_000, max: 3_000_000 }), fc.constantFrom('a', 'é', '\u{1F600}', '\\u0000')).map(([v, k, n, ch]) => ({
      breakage: 'huge-string' as const,
      json: withField(v, k, `"${ch.repeat(Math.ceil(n / ch.length))}"`),
      mustFail: false,
    })),
    fc.tuple(base, anyKey, fc.integer({ min: 1_000, max: 50_000 }), fc.boolean()).map(([v, k, depth, arrays]) => ({
      breakage: 'deep-nesting' as const,
      json: withField(v, k, arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
      mustFail: false,
    })),
  ];
  if (required.length > 0) {
    options.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([v, k]) => ({
        breakage: 'missing-field' as const,
        json: JSON.stringify({ ...v, [k]: undefined }),
        mustFail: true,
      })),
    );
  }
  return fc.oneof(...options);
}

/** Every string field of `schema` with where it stands (`config.dataset[].path`), for audits of the contract. */
export function stringFields(schema: z.ZodType, at = ''): { at: string; schema: z.ZodType }[] {
  // the contract has no recursive schemas (no z.lazy), so the walk ends; a shared schema (dataset and dev) is listed at each place
  const inner = unwrapSchema(schema).inner;
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
      return [{ at, schema: inner }];
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([k, s]) => stringFields(s, at ? `${at}.${k}` : k));
    case 'array':
      return stringFields(def.element as z.ZodType, `${at}[]`);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((o) => stringFields(o, at));
    case 'pipe':
      return stringFields(def.in as z.ZodType, at);
    default:
      return [];
  }
}

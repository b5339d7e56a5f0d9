import fc from 'fast-check';
import type { FuzzRequest } from './fuzz.js';

/**
 * Hostile values for the fuzz suites: odd characters and strings, numbers at the edges, wrong types,
 * bodies with one thing wrong, raw JSON no serializer writes (deep nesting, 1e999, lone surrogates), bad
 * bytes, and query strings written by hand.
 */

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

/** One character a careless parser, database or MIME writer trips on. */
export const oddChar = fc.oneof(
  control,
  loneSurrogate,
  fc.constantFrom(
    '\u007f',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\u2029',
    '\u200b',
    '\u202e',
    '\ufeff',
    '\ufffd',
    '\uffff',
    '😀',
    'e\u0301',
    'é',
    'ß',
    '"',
    '\\',
    '<',
    '>',
    '%',
    '@',
    ':',
    ';',
    ',',
    ' ',
    '=?utf-8?q?x?=',
  ),
);

/** Lengths at and just past the limits the schemas set, and far past them. */
const EDGE_LENGTHS = [64, 65, 100, 101, 253, 254, 255, 256, 257, 500, 501, 998, 999, 2000, 2001, 10_000, 100_000];

/** A long run of one character, at a length near a limit. */
export const hugeString = fc
  .tuple(fc.constantFrom('a', 'é', '😀', ' ', '\u0000', '\ud800', 'a@'), fc.constantFrom(...EDGE_LENGTHS))
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)).slice(0, n));

/** Strings of every kind: plain, any code point, full of odd characters, or huge. */
export const oddString = fc.oneof(
  { arbitrary: fc.string(), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 2 },
  { arbitrary: fc.string({ unit: oddChar, maxLength: 20 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary-ascii' }), weight: 1 },
  { arbitrary: hugeString, weight: 1 },
);

/** Numbers at the edges (JSON has no -0, NaN or Infinity: those come as raw fragments). */
export const edgeNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, hostile strings and numbers included, nested a little. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddString, weight: 4 },
  { arbitrary: edgeNumber, weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constantFrom({}, [], [null], ['']), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
);

/** Field names a body must not have: misspellings, prototype keys, odd characters. */
export const oddKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'from', 'To', 'id', 'account_id', '', ' ', 'toString'),
  oddString.filter((s) => s.length < 300),
);

// JSON text that JSON.stringify never writes; each stands in for one value.
const RAW_VALUES = [
  '1e999',
  '-1e999',
  '1e-400',
  '-0',
  '123456789012345678901234567890',
  '0.1e1',
  '"\\u0000"',
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"a\\u0000b"',
  '"\\u202e\\u2028"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":1,"a":2}',
];

/** Raw JSON for one value: an oddity above, or nesting deep enough to trouble a recursive walker. */
export const rawValue = fc.oneof(
  { arbitrary: fc.constantFrom(...RAW_VALUES), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(10, 100, 1000, 10_000, 100_000), fc.boolean())
      .map(([n, arrays]) => (arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n))),
    weight: 1,
  },
);

/** Bodies that are not JSON, or not the JSON a route reads. */
const notJson = fc.constantFrom(
  '',
  ' ',
  '{',
  '{"a":1,}',
  '{"a":1}{"b":2}',
  "{'a':1}",
  '\ufeff{}',
  'NaN',
  'null',
  '[]',
  '"x"',
  '0',
  'true',
  '{"__proto__":{"polluted":true}}',
);

/** A JSON body whose bytes are not UTF-8: a stray byte, an overlong slash, a surrogate in CESU-8. */
const badBytes = fc
  .constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80])
  .map((bytes) => new Uint8Array([...Buffer.from('{"x":"'), ...bytes, ...Buffer.from('"}')]));

type Path = Array<string | number>;

/** Every place in a JSON value (root excluded), objects and arrays as well as leaves. */
function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
}

/** A deep copy of `value` with the place at `path` set to `to` (or removed when `to` is `DROP`). */
function changed(value: unknown, path: Path, to: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (to !== DROP) node[last] = to;
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
  return copy;
}

const DROP = Symbol('drop');
const RAW_MARK = '\u0001fuzz-raw\u0001';

/** What one mutation does to a body: take a field out, set it to a hostile value or raw JSON, or add a field. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant('raw' as const), pick: fc.nat(), fragment: rawValue }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), name: oddKey, value: hostileValue }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** A body as a request carries it: a value sent as JSON, or raw text or bytes. */
export type FuzzBody = Pick<FuzzRequest, 'body' | 'raw'>;

function mutate(body: unknown, m: Mutation): FuzzBody {
  const all = paths(body);
  const path = all.length ? all[m.pick % all.length]! : null;
  switch (m.kind) {
    case 'drop':
      return { body: path ? changed(body, path, DROP) : undefined };
    case 'set':
      return { body: path ? changed(body, path, m.value) : m.value };
    case 'raw': {
      const marked = path ? changed(body, path, RAW_MARK) : RAW_MARK;
      return { raw: JSON.stringify(marked).replace(JSON.stringify(RAW_MARK), m.fragment) };
    }
    case 'add': {
      // The body itself, or an object inside it, gets a field it does not know.
      const objects = [[], ...all].filter((p) => {
        const node = p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], body);
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      if (!objects.length) return { body };
      const at = objects[m.pick % objects.length]!;
      // A computed key makes __proto__ an own property, which JSON.stringify writes like any other.
      const node = at.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], body) as Record<string, unknown>;
      return { body: at.length ? changed(body, at, { ...node, [m.name]: m.value }) : { ...node, [m.name]: m.value } };
    }
  }
}

/**
 * Bodies for a route whose valid bodies `valid` generates: valid ones, valid ones with one or two things
 * wrong, and whole bodies of the wrong kind (another JSON value, not JSON, not UTF-8).
 */
export function bodies(valid: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzBody> {
  return fc.oneof(
    { arbitrary: valid.map((body) => ({ body })), weight: 5 },
    { arbitrary: fc.tuple(valid, mutation).map(([b, m]) => mutate(b, m)), weight: 5 },
    {
      arbitrary: fc.tuple(valid, mutation, mutation).map(([b, m1, m2]) => {
        const first = mutate(b, m1);
        return first.raw === undefined ? mutate(first.body, m2) : first;
      }),
      weight: 2,
    },
    { arbitrary: hostileValue.map((body) => ({ body })), weight: 1 },
    { arbitrary: notJson.map((raw) => ({ raw })), weight: 1 },
    { arbitrary: badBytes.map((raw) => ({ raw })), weight: 1 },
  );
}

/** Now and then, the wrong Content-Type or API key around an otherwise ordinary request. */
export const transportTwist: fc.Arbitrary<Pick<FuzzRequest, 'contentType' | 'key'>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 20 },
  {
    arbitrary: fc
      .constantFrom(
        null,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/jsonx',
        'application/merge-patch+json',
      )
      .map((contentType) => ({ contentType })),
    weight: 2,
  },
  {
    arbitrary: fc
      .constantFrom(null, '', 'tfm_k_', `tfm_k_${'0'.repeat(32)}`, 'x'.repeat(5000), 'tfm_k_\u00e9')
      .map((key) => ({ key })),
    weight: 1,
  },
);

/** Percent-encodes a query value as a hostile client might: a lone surrogate as its (invalid) UTF-8 bytes. */
function encodeQueryValue(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff)
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Query-string text that no encoder writes. */
const rawQueryPart = fc.constantFrom(
  '%zz',
  '%',
  '%0',
  '%00',
  '%FF',
  '%C0%AF',
  '+',
  '&&',
  '=',
  '==x',
  '%26',
  '[]',
  '%5B%5D',
);

/**
 * Query strings for a list route: for each parameter, a valid value (from `params`) or a hostile one,
 * sometimes given twice; unknown parameters; now and then raw text no encoder writes.
 */
export function queryStrings(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(params);
  const value = (name: string) =>
    fc.oneof({ arbitrary: params[name]!, weight: 3 }, { arbitrary: oddString, weight: 1 });
  const pair = fc.oneof(
    { arbitrary: fc.constantFrom(...names).chain((n) => value(n).map((v) => [n, v] as const)), weight: 6 },
    { arbitrary: fc.tuple(oddKey, oddString), weight: 1 },
  );
  const encoded = pair.map(([k, v]) => `${encodeQueryValue(k)}=${encodeQueryValue(v)}`);
  const part = fc.oneof({ arbitrary: encoded, weight: 8 }, { arbitrary: rawQueryPart, weight: 1 });
  return fc.array(part, { maxLength: 6 }).map((parts) => (parts.length ? `?${parts.join('&')}` : ''));
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';

/** The same value with every object's keys in reverse order (what another client might send). */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

/** The same value with every object's keys sorted, built by hand. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sortedKeys(o[k])]),
  );
}

const runs = { seed: 20261203, numRuns: 300 };

describe('canonical JSON', () => {
  it('is the same text whatever the order of the keys, at any depth', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => canonicalJson(reversedKeys(v)) === canonicalJson(v)),
      runs,
    );
    expect(canonicalJson({ b: { y: 1, x: [{ d: 1, c: 2 }] }, a: 'é' })).toBe(
      '{"a":"é","b":{"x":[{"c":2,"d":1}],"y":1}}',
    );
  });

  it("is JSON.stringify's text of the value with its keys sorted, and reads back as the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        // (Objects list keys such as "0" first whatever their order: JSON.stringify cannot write them sorted.)
        fc.pre(!/"(0|[1-9]\d*)":/.test(JSON.stringify(v)));
        const text = canonicalJson(v);
        return text === JSON.stringify(sortedKeys(v)) && canonicalJson(JSON.parse(text)) === text;
      }),
      runs,
    );
  });

  it('keeps the order of arrays', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('writes values nested far deeper than a recursive writer could', () => {
    const depth = 300_000;
    const deep = JSON.parse(`${'['.repeat(depth)}{"b":1,"a":2}${']'.repeat(depth)}`) as unknown;
    expect(canonicalJson(deep)).toBe(`${'['.repeat(depth)}{"a":2,"b":1}${']'.repeat(depth)}`);
  });
});

/** Punctuation to write, or a value still to serialise. */
type Work = string | { value: unknown };

/**
 * The canonical JSON text of a parsed JSON value: every object's keys sorted (by UTF-16 code units, as RFC 8785
 * sorts them), no whitespace, strings and numbers written as JSON.stringify writes them. Two bodies that differ
 * only in the order of their keys, at any depth, have the same text; arrays keep their order. A value whose keys
 * were already sorted gets exactly JSON.stringify's text (unless a key is an array index such as "0": JavaScript
 * objects list those first, so JSON.stringify cannot write them in order). Iterative, so that no nesting depth (a
 * body may nest arrays hundreds of thousands deep) can overflow the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const work: Work[] = [{ value }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const v = item.value;
    if (Array.isArray(v)) {
      out.push('[');
      work.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        work.push({ value: v[i] ?? null });
        if (i > 0) work.push(',');
      }
    } else if (v !== null && typeof v === 'object') {
      const object = v as Record<string, unknown>;
      const keys = Object.keys(object)
        .filter((k) => object[k] !== undefined)
        .sort();
      out.push('{');
      work.push('}');
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        work.push({ value: object[key] }, `${JSON.stringify(key)}:`);
        if (i > 0) work.push(',');
      }
    } else {
      out.push(JSON.stringify(v) ?? 'null');
    }
  }
  return out.join('');
}

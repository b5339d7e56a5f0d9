/** A parsed email search: inline tokens become filters, the rest is free text. */
export interface SearchQuery {
  /** Free-text words and quoted phrases; every one must match. */
  text: Array<{ kind: 'word' | 'phrase'; value: string }>;
  to: string[];
  from: string[];
  status: string[];
  domain: string[];
  tag: string[];
}

const TOKENS = ['to', 'from', 'status', 'domain', 'tag'] as const;
type TokenName = (typeof TOKENS)[number];

/** Splits text into the words the index holds: lower-case letters and digits (and the @.+-_ of addresses). */
export function words(s: string): string[] {
  return (
    s
      .toLowerCase()
      .match(/[\p{L}\p{N}][\p{L}\p{N}@.+\-_]*/gu)
      ?.map((w) => w.replace(/[.\-_+@]+$/, ''))
      .filter(Boolean) ?? []
  );
}

/**
 * Parses a search `q`: `to:`, `from:`, `status:`, `domain:`, `tag:` tokens (case-insensitive names,
 * values may be quoted), "quoted phrases", and remaining words as free text. Unknown tokens such as
 * `foo:bar` are free text; a stray quote is ignored.
 */
export function parseSearchQuery(q: string): SearchQuery {
  const out: SearchQuery = { text: [], to: [], from: [], status: [], domain: [], tag: [] };
  const re = /(?:([A-Za-z]+):)?(?:"([^"]*)"|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q)) !== null) {
    const name = m[1]?.toLowerCase();
    const quoted = m[2];
    const bare = m[3]?.replace(/"/g, '');
    const value = (quoted ?? bare ?? '').trim();
    if (name && (TOKENS as readonly string[]).includes(name)) {
      if (value) out[name as TokenName].push(value.toLowerCase());
      continue;
    }
    const raw = name ? `${m[1]}:${value}` : value;
    if (quoted !== undefined && !name) {
      const w = words(quoted);
      if (w.length > 1) out.text.push({ kind: 'phrase', value: w.join(' ') });
      else if (w[0] !== undefined) out.text.push({ kind: 'word', value: w[0] });
      continue;
    }
    for (const w of words(raw)) out.text.push({ kind: 'word', value: w });
  }
  return out;
}

/**
 * The index tokens a `to:` or `from:` value matches, any one of them (see searchTokens): `jane@example.org`
 * the whole address, `@example.org` every address at that domain, `jane@` every address with that local
 * part, and a value without @ (`jane`, `example.org`) either a local part or a domain. Whole parts only,
 * never a prefix: `to:jan` does not find jane@…. Nothing when the value names neither part (`@`).
 */
export function addressTokens(field: 'to' | 'from', value: string): string[] {
  const v = value.toLowerCase();
  const at = v.lastIndexOf('@');
  if (at === -1) return [`${field}:${v}@`, `${field}:${v}`];
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  if (local === '') return domain === '' ? [] : [`${field}:${domain}`];
  return [domain === '' ? `${field}:${local}@` : `${field}:${v}`];
}

/**
 * The field conditions of a parsed search as groups of whole index tokens: an email matches when it
 * holds one token of every group. Several values of one field are alternatives (`to:a to:b`: to a or
 * to b), and so is the `tag` query parameter to the `tag:` values.
 */
export function fieldTokenGroups(q: SearchQuery, tag?: string): string[][] {
  const groups = [
    q.to.flatMap((v) => addressTokens('to', v)),
    q.from.flatMap((v) => addressTokens('from', v)),
    q.domain.map((v) => `domain:${v}`),
    [...q.tag, ...(tag ? [tag.toLowerCase()] : [])].map((v) => `tag:${v}`),
  ];
  return groups.filter((g) => g.length > 0);
}

/** The index tokens of an email: field tokens (`to:…`, `from:…`, `domain:…`, `tag:…`) and free-text words, in order. */
export function searchTokens(e: {
  fromEmail: string;
  fromName: string | null;
  subject: string;
  recipients: string[];
  tags: string[];
}): string[] {
  const tokens: string[] = [];
  const addr = (prefix: string, email: string) => {
    const lower = email.toLowerCase();
    const at = lower.lastIndexOf('@');
    // The whole address, its local part (with its @, so that it never reads as a domain) and its domain.
    tokens.push(`${prefix}:${lower}`, `${prefix}:${lower.slice(0, at)}@`, `${prefix}:${lower.slice(at + 1)}`);
    tokens.push(...words(lower.slice(0, at)), lower, lower.slice(at + 1));
  };
  addr('from', e.fromEmail);
  tokens.push(`domain:${e.fromEmail.toLowerCase().slice(e.fromEmail.lastIndexOf('@') + 1)}`);
  tokens.push(...words(e.fromName ?? ''));
  for (const r of e.recipients) addr('to', r);
  for (const t of e.tags) tokens.push(`tag:${t.toLowerCase()}`);
  // The subject last, in order, so that phrases match adjacent words.
  tokens.push(...words(e.subject));
  return tokens;
}

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
    tokens.push(`${prefix}:${lower}`, `${prefix}:${lower.slice(at + 1)}`);
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

/** Header fields by lower-case name, each with its values in order. */
export type HeaderMap = ReadonlyMap<string, readonly string[]>;

/** Fields kept per header block: a real message has a few dozen; more is an attack or a broken file. */
const MAX_FIELDS = 1_000;
/** Characters of one header block read; the rest is ignored. */
const MAX_BLOCK_CHARS = 256 * 1024;

/**
 * Parses a block of `Name: value` lines (a message's or a MIME part's header, or the fields of a
 * delivery-status or feedback-report part), unfolding continuation lines. Bounded: at most
 * MAX_FIELDS fields from the first MAX_BLOCK_CHARS characters.
 */
export function parseHeaderBlock(text: string): HeaderMap {
  const fields = new Map<string, string[]>();
  let count = 0;
  let name: string | null = null;
  let value = '';
  const flush = () => {
    if (name === null || count >= MAX_FIELDS) return;
    count++;
    const list = fields.get(name) ?? [];
    list.push(decodeWords(value.trim()));
    fields.set(name, list);
  };
  for (const line of text.slice(0, MAX_BLOCK_CHARS).split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && name !== null) {
      value += ' ' + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon > 0 && colon < 80 && !/\s/.test(line.slice(0, colon).trim())) {
      name = line.slice(0, colon).trim().toLowerCase();
      value = line.slice(colon + 1);
    } else {
      name = null;
    }
  }
  flush();
  return fields;
}

/** The first value of a field, or ''. */
export function field(headers: HeaderMap, name: string): string {
  return headers.get(name)?.[0] ?? '';
}

const ENCODED_WORD = /=\?([^?\s]{1,40})\?([BbQq])\?([^?\s]{0,1000})\?=/g;

/** Decodes RFC 2047 encoded words (`=?utf-8?B?…?=`) in a header value; undecodable ones stay as they are. */
function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(ENCODED_WORD, (whole, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return decodeText(bytes, charset) ?? whole;
    });
}

/** Decodes bytes in a named charset, falling back to UTF-8 for an unknown or wrong label; null on failure. */
export function decodeText(bytes: Uint8Array, charset: string): string | null {
  try {
    return new TextDecoder(charset.trim().toLowerCase() || 'utf-8').decode(bytes);
  } catch {
    try {
      return new TextDecoder('utf-8').decode(bytes);
    } catch {
      return null;
    }
  }
}

import { decodeText, field, parseHeaderBlock, type HeaderMap } from './header-block.js';

/** A leaf of a message's MIME tree, its body decoded to text. */
export interface MimeLeaf {
  /** Lower-case media type, e.g. `message/delivery-status`; `text/plain` when absent or unreadable. */
  type: string;
  headers: HeaderMap;
  /** The body after transfer decoding, as text in its charset (an attached message stays as it is). */
  text: string;
}

/** A message split into its top header and its leaves, in document order. */
export interface SplitMessage {
  headers: HeaderMap;
  /** The top-level media type and its report-type parameter, lower-case. */
  type: string;
  reportType: string;
  leaves: MimeLeaf[];
}

/** Limits: nesting depth, leaves kept, parts visited (empty multiparts nest too), characters of one leaf. */
const MAX_DEPTH = 8;
const MAX_LEAVES = 100;
const MAX_NODES = 500;
const MAX_LEAF_CHARS = 2 * 1024 * 1024;

/**
 * Splits a raw message into leaves without trusting it: boundaries that never close, parts without
 * headers, unknown charsets and encodings all give a best-effort text, never an exception. An attached
 * message (message/rfc822) is one leaf: its own text is the original email, not the report. We split
 * ourselves rather than with mailparser because mailparser merges an attached message's text into the
 * report's and drops its header, which is exactly what identifies our original email.
 */
export function splitMimeParts(raw: string): SplitMessage {
  const { headers, body } = splitHead(raw);
  const { type, params } = contentType(headers);
  const leaves: MimeLeaf[] = [];
  walk(headers, body, 0, leaves, { nodes: 0 });
  return { headers, type, reportType: (params.get('report-type') ?? '').toLowerCase(), leaves };
}

function splitHead(raw: string): { headers: HeaderMap; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m)
    return /^[\w-]+:/.test(raw) ? { headers: parseHeaderBlock(raw), body: '' } : { headers: new Map(), body: raw };
  return { headers: parseHeaderBlock(raw.slice(0, m.index)), body: raw.slice(m.index + m[0].length) };
}

function contentType(headers: HeaderMap): { type: string; params: Map<string, string> } {
  const value = field(headers, 'content-type');
  const [head = '', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const p of rest.slice(0, 20)) {
    const eq = p.indexOf('=');
    if (eq > 0)
      params.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
  }
  const type = head.trim().toLowerCase();
  return { type: /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'text/plain', params };
}

function walk(headers: HeaderMap, body: string, depth: number, out: MimeLeaf[], seen: { nodes: number }): void {
  if (out.length >= MAX_LEAVES || ++seen.nodes > MAX_NODES) return;
  const { type, params } = contentType(headers);
  // A boundary lost to broken header folding: the body's first delimiter line says what it was.
  const boundary =
    params.get('boundary') ?? (type.startsWith('multipart/') ? /^--(\S{1,200})\s*$/m.exec(body)?.[1] : undefined);
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    for (const part of splitOnBoundary(body, boundary)) {
      const { headers: h, body: b } = splitHead(part);
      walk(h, b, depth + 1, out, seen);
      if (out.length >= MAX_LEAVES || seen.nodes > MAX_NODES) return;
    }
    return;
  }
  out.push({
    type: type.startsWith('multipart/') ? 'text/plain' : type,
    headers,
    text: decodeBody(body.slice(0, MAX_LEAF_CHARS), headers, params.get('charset') ?? ''),
  });
}

/** The parts between `--boundary` lines; a missing closing boundary ends the last part at the end. */
function splitOnBoundary(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return [body];
  while (at >= 0 && parts.length < MAX_LEAVES) {
    const start = body.indexOf('\n', at);
    if (start < 0 || body.startsWith(`${delimiter}--`, at)) break;
    const next = body.indexOf(`\n${delimiter}`, start);
    parts.push(body.slice(start + 1, next < 0 ? body.length : next));
    at = next < 0 ? -1 : next + 1;
  }
  return parts;
}

/** Undoes the transfer encoding, then decodes the charset; the raw string holds one byte per char. */
function decodeBody(body: string, headers: HeaderMap, charset: string): string {
  const encoding = field(headers, 'content-transfer-encoding').toLowerCase().trim();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (encoding === 'quoted-printable')
    bytes = Buffer.from(
      body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    );
  else bytes = Buffer.from(body, 'latin1');
  return decodeText(bytes, charset || 'utf-8') ?? body;
}

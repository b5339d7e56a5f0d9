import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a tracking URL stands for: an open of, or a click on `url` in, one recipient's copy of an email. */
export type TrackingTarget =
  | { kind: 'open'; emailId: string; recipientId: string }
  | { kind: 'click'; emailId: string; recipientId: string; url: string };

/** The URL a honeypot link carries inside its signed click token: a link only machines follow. */
export const HONEYPOT_URL = 'taifa:honeypot';

const MAC_BYTES = 16;
/** The longest token `verify` accepts; longer ones are refused unread, so nothing may be signed past it. */
export const MAX_TOKEN_CHARS = 8192;
/** Kind byte, email id and recipient id before a click token's URL. */
const HEAD_BYTES = 33;

/** Characters of every open token: base64url of its 33-byte body, a dot, base64url of the MAC. */
export const OPEN_TOKEN_CHARS = Math.ceil((HEAD_BYTES * 4) / 3) + 1 + Math.ceil((MAC_BYTES * 4) / 3);

/** Characters of a click token for `url`: base64url of the signed body, a dot, base64url of the MAC. */
export function clickTokenChars(url: string): number {
  const b64 = (bytes: number) => Math.ceil((bytes * 4) / 3);
  return b64(HEAD_BYTES + Buffer.byteLength(url, 'utf8')) + 1 + b64(MAC_BYTES);
}

/**
 * The body and MAC of `body.mac` in base64url, or null unless the token is in its one canonical spelling: the
 * decoder alone would also take padding, `+` and `/`, stray characters (a second dot), and a last character whose
 * unused bits are set, so that one token would have many spellings (and a scanner's rewrite would still work).
 */
function decodeCanonical(token: string): { body: Buffer; mac: Buffer } | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const body64 = token.slice(0, dot);
  const mac64 = token.slice(dot + 1);
  const body = Buffer.from(body64, 'base64url');
  const mac = Buffer.from(mac64, 'base64url');
  if (body.toString('base64url') !== body64 || mac.toString('base64url') !== mac64) return null;
  return { body, mac };
}

function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${id}`);
  return Buffer.from(hex, 'hex');
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Signs and verifies tracking tokens: `base64url(kind ‖ email id ‖ recipient id ‖ url) . base64url(HMAC-SHA256)`
 * truncated to 128 bits. A token cannot be forged, altered or enumerated without the secret, so the
 * click endpoint never redirects to a URL we did not sign.
 */
export class TrackingTokens {
  /** `previous`: the secret before TAIFA_SECRET was changed, whose tokens (in mail already sent) still verify. */
  constructor(
    private readonly secret: string,
    private readonly previous: string | null = null,
  ) {}

  /** A URL-safe token for a target. */
  sign(t: TrackingTarget): string {
    const body = Buffer.concat([
      Buffer.from(t.kind === 'open' ? 'o' : 'c'),
      uuidBytes(t.emailId),
      uuidBytes(t.recipientId),
      t.kind === 'click' ? Buffer.from(t.url, 'utf8') : Buffer.alloc(0),
    ]);
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  /** The target of a genuine token in its canonical spelling, or null for anything else (tampered, truncated, another
   * spelling, wrong kind). */
  verify(token: string, kind: 'open' | 'click'): TrackingTarget | null {
    const decoded = token.length > MAX_TOKEN_CHARS ? null : decodeCanonical(token);
    if (!decoded) return null;
    const { body, mac } = decoded;
    if (mac.length !== MAC_BYTES || body.length < HEAD_BYTES || !signedBy(mac, body, this.secret, this.previous))
      return null;
    const k = body.subarray(0, 1).toString();
    const emailId = uuidString(body.subarray(1, 17));
    const recipientId = uuidString(body.subarray(17, HEAD_BYTES));
    if (kind === 'open' && k === 'o' && body.length === HEAD_BYTES) return { kind, emailId, recipientId };
    if (kind === 'click' && k === 'c' && body.length > HEAD_BYTES)
      return { kind, emailId, recipientId, url: body.subarray(HEAD_BYTES).toString('utf8') };
    return null;
  }

  private mac(body: Buffer): Buffer {
    return macOf(body, this.secret);
  }
}

/** What an unsubscribe token stands for: one recipient's copy, and whether it stops only the email's first tag. */
export interface UnsubscribeTarget {
  recipientId: string;
  /** True: from the sending domain's mail with the email's first tag; false: from all of the domain's mail. */
  tagOnly: boolean;
}

/** Characters of every unsubscribe token: base64url of its 17-byte body, a dot, base64url of the MAC. */
const UNSUBSCRIBE_TOKEN_CHARS = Math.ceil((17 * 4) / 3) + 1 + Math.ceil((MAC_BYTES * 4) / 3);

/**
 * Signs and verifies unsubscribe tokens: `base64url(kind ‖ recipient id) . base64url(HMAC-SHA256)`
 * truncated to 128 bits, the kind `d` (domain) or `t` (tag), which open and click tokens never use. The
 * recipient names its email; leaving the email id out keeps `unsubscribe+{token}` at 57 characters,
 * within the 64 that RFC 5321 allows a mailbox's local part.
 */
export class UnsubscribeTokens {
  /** `previous`: the secret before TAIFA_SECRET was changed, whose tokens (in mail already sent) still verify. */
  constructor(
    private readonly secret: string,
    private readonly previous: string | null = null,
  ) {}

  /** A URL-safe token, also valid in a mailbox's local part. */
  sign(t: UnsubscribeTarget): string {
    const body = Buffer.concat([Buffer.from(t.tagOnly ? 't' : 'd'), uuidBytes(t.recipientId)]);
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  /** The target of a genuine token, or null for anything else (tampered, truncated, another kind of token). */
  verify(token: string): UnsubscribeTarget | null {
    const decoded = token.length === UNSUBSCRIBE_TOKEN_CHARS ? decodeCanonical(token) : null;
    if (!decoded) return null;
    const { body, mac } = decoded;
    if (mac.length !== MAC_BYTES || body.length !== 17 || !signedBy(mac, body, this.secret, this.previous)) return null;
    const kind = body.subarray(0, 1).toString();
    if (kind !== 'd' && kind !== 't') return null;
    return { recipientId: uuidString(body.subarray(1)), tagOnly: kind === 't' };
  }

  private mac(body: Buffer): Buffer {
    return macOf(body, this.secret);
  }
}

function macOf(body: Buffer, secret: string): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
}

/** Whether `mac` is the body's under the secret, or under the previous one while it is kept. */
function signedBy(mac: Buffer, body: Buffer, secret: string, previous: string | null): boolean {
  if (timingSafeEqual(mac, macOf(body, secret))) return true;
  return previous !== null && timingSafeEqual(mac, macOf(body, previous));
}

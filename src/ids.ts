import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** A new UUIDv7 (time-ordered) id. */
export function newId(): string {
  return uuidv7();
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** CSPRNG bytes drawn a few kilobytes at a time (one call per recipient cost more than the token), each used once. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

function randomByte(): number {
  if (taken === pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    taken = 0;
  }
  return pool.readUInt8(taken++);
}

/** `length` random characters from [A-Za-z0-9], without modulo bias. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** A new API key: `tfm_k_` + 32 random characters. */
export function newApiKey(): string {
  return `tfm_k_${randomToken(32)}`;
}

/**
 * A new webhook signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32 random bytes
 * (the HMAC-SHA256 key). Stored as it is: every delivery is signed with it.
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What we store of an API key: its SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The part of a key shown in listings (`tfm_k_AbCd…`). */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, 10);
}

/** ISO 8601 UTC with `Z` for an epoch-ms time, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Dashboard passwords, stored as scrypt hashes that carry their own salt and parameters:
//
//     scrypt:<N>:<r>:<p>:<salt>:<hash>        (salt and hash in base64url)
//
// so that the cost can be raised later without making the stored hashes unreadable. N = 2^15, r = 8 (32 MiB, tens
// of milliseconds) is the cost OWASP lists for scrypt at p = 1; the work runs on libuv's thread pool, not the event
// loop.

interface Cost {
  N: number;
  r: number;
  p: number;
}

const COST: Cost = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** The memory (128 · N · r bytes) and parallelism a stored hash may ask for, at most: a corrupt row must not cost
 * gigabytes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_P = 16;

function derive(password: string, salt: Buffer, cost: Cost, bytes = HASH_BYTES): Promise<Buffer> {
  // Node refuses above 32 MiB by default, which N = 2^15, r = 8 just reaches (128 · N · r bytes).
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, bytes, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** A new hash of `password`, with a fresh salt and the current parameters. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join(':');
}

/** A hash no password matches, made with the current parameters: checked against when there is no user, so that an
 * unknown email costs the same scrypt work as a wrong password. */
let unmatchable: Promise<string> | null = null;

/**
 * Whether `password` is the one `stored` was made from (compared in constant time). `stored` null (no such user, or
 * one without a password) is false after the same work as a real check.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? null : parseHash(stored);
  if (!parsed) {
    unmatchable ??= hashPassword(randomBytes(32).toString('base64url'));
    const decoy = parseHash(await unmatchable)!;
    await derive(password, decoy.salt, decoy.cost);
    return false;
  }
  const hash = await derive(password, parsed.salt, parsed.cost, parsed.hash.length);
  return timingSafeEqual(hash, parsed.hash);
}

function parseHash(stored: string): { cost: Cost; salt: Buffer; hash: Buffer } | null {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split(':');
  if (scheme !== 'scrypt' || rest.length > 0 || salt === undefined || hash === undefined) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const whole = [cost.N, cost.r, cost.p].every((v) => Number.isInteger(v) && v >= 1);
  const valid =
    whole &&
    cost.N > 1 &&
    (cost.N & (cost.N - 1)) === 0 &&
    128 * cost.N * cost.r <= MAX_MEMORY_BYTES &&
    cost.p <= MAX_P;
  const bytes = Buffer.from(hash, 'base64url');
  if (!valid || bytes.length < 16 || bytes.length > 128) return null;
  return { cost, salt: Buffer.from(salt, 'base64url'), hash: bytes };
}

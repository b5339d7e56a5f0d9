import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Secrets at rest: DKIM private keys and webhook signing secrets are stored encrypted (AES-256-GCM) under
// a key derived from TAIFA_SECRET, so that a copy of the database (a backup, a dump, a stolen disk) does
// not give them away. A stored value describes itself:
//
//     enc:v1:<key id>:<iv>:<tag>:<ciphertext>        (iv, tag and ciphertext in base64url)
//
// The key id (8 hex digits derived from TAIFA_SECRET, not the key) says which secret a value was sealed
// under, so that a rotation can tell old rows from new, and a wrong TAIFA_SECRET is named as such instead
// of failing as garbage. Anything not starting with `enc:` is a plain value from before encryption.
//
// HKDF rather than a password hash: TAIFA_SECRET is a random key (generated as 32 random bytes), and it
// also signs tracking links, so a weak one would be weak there whatever the derivation here.

/** What a sealed value is for: bound into its tag, so that one cannot pass for the other. */
export type SecretPurpose = 'dkim-private-key' | 'webhook-secret';

const PREFIX = 'enc:';
const VERSION = 'v1';
const SALT = 'taifa-mail secrets at rest';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret that cannot be opened: sealed under another TAIFA_SECRET, altered, or malformed. */
export class SecretKeyError extends Error {}

interface Key {
  id: string;
  bytes: Buffer;
}

function deriveKey(secret: string): Key {
  const id = Buffer.from(hkdfSync('sha256', secret, SALT, `key id ${VERSION}`, 4)).toString('hex');
  return { id, bytes: Buffer.from(hkdfSync('sha256', secret, SALT, `aes-256-gcm ${VERSION}`, 32)) };
}

/** The key id of a sealed value, or null for a plain one. */
export function keyIdOf(stored: string): string | null {
  if (!stored.startsWith(PREFIX)) return null;
  return stored.split(':', 3)[2] ?? '';
}

/** The start every value sealed under `keyId` has. */
export function sealedPrefix(keyId: string): string {
  return `${PREFIX}${VERSION}:${keyId}:`;
}

/**
 * Seals secrets under the current TAIFA_SECRET and opens what was sealed under it or, during a rotation,
 * under the previous one (TAIFA_SECRET_PREVIOUS).
 */
export class SecretBox {
  private constructor(
    private readonly current: Key,
    private readonly previous: Key | null,
  ) {}

  /** A box for TAIFA_SECRET, and TAIFA_SECRET_PREVIOUS when a rotation is under way. */
  static fromSecrets(current: string, previous: string | null = null): SecretBox {
    const key = deriveKey(current);
    const old = previous ? deriveKey(previous) : null;
    return new SecretBox(key, old && old.id !== key.id ? old : null);
  }

  /** The id of the key new values are sealed under. */
  get keyId(): string {
    return this.current.id;
  }

  /** The id of the previous key, when a rotation is under way. */
  get previousKeyId(): string | null {
    return this.previous?.id ?? null;
  }

  /** Encrypts a secret for storage, under the current key. */
  seal(plain: string, purpose: SecretPurpose): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    cipher.setAAD(aad(this.current.id, purpose));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return `${sealedPrefix(this.current.id)}${parts.join(':')}`;
  }

  /** The secret a stored value holds (a plain value, from before encryption, as it is); SecretKeyError if it cannot. */
  open(stored: string, purpose: SecretPurpose): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [, version, id, iv, tag, data, ...rest] = stored.split(':');
    if (version !== VERSION || rest.length > 0 || data === undefined || tag === undefined || iv === undefined)
      throw new SecretKeyError(`A stored ${purpose} is not in a format this version knows (${version ?? '?'}).`);
    const key = [this.current, this.previous].find((k) => k?.id === id);
    if (!key)
      throw new SecretKeyError(
        `A stored ${purpose} was encrypted under another TAIFA_SECRET (key id ${id}; this one's is ${this.current.id}` +
          `${this.previous ? `, the previous one's ${this.previous.id}` : ''}). Start with the TAIFA_SECRET it was ` +
          'written with, or set that one as TAIFA_SECRET_PREVIOUS and run `taifa secrets rotate`.',
      );
    try {
      // The tag's length is fixed: GCM would otherwise accept a truncated one.
      const options = { authTagLength: TAG_BYTES };
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'), options);
      decipher.setAAD(aad(key.id, purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(
        `A stored ${purpose} under key id ${id} does not decrypt: it was altered, or written under another secret ` +
          'with the same key id.',
      );
    }
  }

  /** Whether a stored value can be opened by this box (plain, or sealed under its current or previous key). */
  knows(stored: string): boolean {
    const id = keyIdOf(stored);
    return id === null || id === this.current.id || id === this.previous?.id;
  }
}

/** The authenticated data of a sealed value: its format, key and purpose. */
function aad(keyId: string, purpose: SecretPurpose): Buffer {
  return Buffer.from(`${sealedPrefix(keyId)}${purpose}`);
}

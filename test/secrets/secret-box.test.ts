import { describe, expect, it } from 'vitest';
import { keyIdOf, SecretBox, SecretKeyError } from '../../src/secret-box.js';

// The sealed format and what opening refuses: a value sealed under another secret, altered, or for another use
// is an error that says so, never garbage.

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

describe('SecretBox', () => {
  const box = SecretBox.fromSecrets('the secret');

  it('seals into enc:v1:<key id>:<iv>:<tag>:<ciphertext>, anew each time, and opens it back', () => {
    const a = box.seal(PEM, 'dkim-private-key');
    const b = box.seal(PEM, 'dkim-private-key');
    expect(a).toMatch(/^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    expect(keyIdOf(a)).toBe(box.keyId);
    expect(box.open(a, 'dkim-private-key')).toBe(PEM);
    // The key id is the secret's, whichever process derives it, and another secret's differs.
    expect(SecretBox.fromSecrets('the secret').keyId).toBe(box.keyId);
    expect(SecretBox.fromSecrets('another secret').keyId).not.toBe(box.keyId);
  });

  it('opens a plain value, from before encryption, as it is', () => {
    expect(keyIdOf('whsec_abc')).toBeNull();
    expect(box.open('whsec_abc', 'webhook-secret')).toBe('whsec_abc');
    expect(box.knows('whsec_abc')).toBe(true);
  });

  it('refuses a value sealed under another secret, naming TAIFA_SECRET and both key ids', () => {
    const other = SecretBox.fromSecrets('another secret');
    const sealed = other.seal('whsec_abc', 'webhook-secret');
    expect(box.knows(sealed)).toBe(false);
    expect(() => box.open(sealed, 'webhook-secret')).toThrow(SecretKeyError);
    expect(() => box.open(sealed, 'webhook-secret')).toThrow(
      new RegExp(`another TAIFA_SECRET \\(key id ${other.keyId}; this one's is ${box.keyId}\\)`),
    );
  });

  it('during a rotation opens values of the previous secret too, and seals under the new one', () => {
    const old = SecretBox.fromSecrets('old secret');
    const sealed = old.seal(PEM, 'dkim-private-key');
    const rotating = SecretBox.fromSecrets('new secret', 'old secret');
    expect(rotating.previousKeyId).toBe(old.keyId);
    expect(rotating.knows(sealed)).toBe(true);
    expect(rotating.open(sealed, 'dkim-private-key')).toBe(PEM);
    expect(keyIdOf(rotating.seal(PEM, 'dkim-private-key'))).toBe(SecretBox.fromSecrets('new secret').keyId);
    // The same secret given twice is no rotation.
    expect(SecretBox.fromSecrets('old secret', 'old secret').previousKeyId).toBeNull();
  });

  it('refuses an altered value, a truncated tag, another purpose and an unknown version', () => {
    const sealed = box.seal('whsec_abc', 'webhook-secret');
    const [head, iv, tag, data] = [sealed.split(':').slice(0, 3).join(':'), ...sealed.split(':').slice(3)] as [
      string,
      string,
      string,
      string,
    ];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const altered of [
      [head, iv, tag, flip(data)],
      [head, flip(iv), tag, data],
      [head, iv, flip(tag), data],
      [head, iv, tag.slice(0, 8), data],
    ])
      expect(() => box.open(altered.join(':'), 'webhook-secret')).toThrow(/does not decrypt: it was altered/);
    expect(() => box.open(sealed, 'dkim-private-key')).toThrow(SecretKeyError);
    expect(() => box.open(sealed.replace('enc:v1:', 'enc:v2:'), 'webhook-secret')).toThrow(/format/);
    expect(() => box.open(`${sealed}:more`, 'webhook-secret')).toThrow(/format/);
  });
});

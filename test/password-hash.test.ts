import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/password-hash.js';

describe('password hashes', () => {
  it('salts each hash, keeps its parameters, and matches only the password', async () => {
    const [a, b] = [await hashPassword('correct horse'), await hashPassword('correct horse')];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt:32768:8:1:/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
    expect(await verifyPassword('Correct horse', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('reads hashes made with other parameters, and compares the same text in either Unicode form', async () => {
    // N = 2^14, r = 8, p = 1, 64-byte hash: what an older or newer setting might have stored.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const hash = scryptSync('caf\u00e9', salt, 64, { N: 16384, r: 8, p: 1 });
    const stored = `scrypt:16384:8:1:${salt.toString('base64url')}:${hash.toString('base64url')}`;
    expect(await verifyPassword('caf\u00e9', stored)).toBe(true);
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true); // the same word, decomposed
    expect(await verifyPassword('cafe', stored)).toBe(false);
  });

  it('matches nothing against no hash, or one that is malformed or asks for too much', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, hash] = good.split(':');
    for (const stored of [
      null,
      '',
      'plain text',
      `bcrypt:32768:8:1:${salt}:${hash}`,
      `scrypt:1000:8:1:${salt}:${hash}`, // N not a power of two
      `scrypt:4194304:8:1:${salt}:${hash}`, // 4 GiB
      `scrypt:32768:8:99:${salt}:${hash}`,
      `scrypt:32768:8:1:${salt}:AAAA`, // a hash too short to mean anything
      `${good}:extra`,
    ])
      expect([stored, await verifyPassword('pw', stored)]).toEqual([stored, false]);
  });
});

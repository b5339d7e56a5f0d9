import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makePrivateFolder } from './file-modes.js';

/** Where the generated secret is kept. */
export function secretFile(dataDir: string): string {
  return path.join(dataDir, 'secret');
}

/** The configured secret, or the one generated into the data folder (made 0700) on first start (mode 0600). */
export function ensureSecret(configured: string | null, dataDir: string): string {
  if (configured) return configured;
  const file = secretFile(dataDir);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  makePrivateFolder(dataDir);
  const secret = randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    return fs.readFileSync(file, 'utf8').trim(); // another process wrote it first
  }
}

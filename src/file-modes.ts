import fs from 'node:fs';

// The data folder holds the database and the secret that signs tokens and keys the encryption of stored
// secrets: nobody but the user the server runs as should read it. Folders are made 0700 and files 0600;
// what an earlier version (or a umask) left looser is tightened at start.

/** A permission change made (or, with `error`, attempted) on a file or folder, modes in octal. */
export interface ModeChange {
  path: string;
  from: string;
  to: string;
  /** Why the change could not be made (the file is another user's, the disk is read-only…). */
  error?: string;
}

/** Creates `dir` and its missing parents, each readable by its owner only; an existing folder is left as it is. */
export function makePrivateFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Takes the group's and others' permissions off an existing file or folder (0644 → 0600, 0755 → 0700);
 * the change made, or null when there was none to make or no such file. A shared folder (sticky bit,
 * such as /tmp) is left alone: it is not ours to close.
 */
export function restrictToOwner(p: string): ModeChange | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const current = stat.mode & 0o777;
  if ((current & 0o077) === 0) return null;
  if (stat.isDirectory() && (stat.mode & 0o1000) !== 0) return null;
  const wanted = current & 0o700;
  const change = { path: p, from: current.toString(8), to: wanted.toString(8) };
  try {
    fs.chmodSync(p, wanted);
  } catch (error) {
    return { ...change, error: error instanceof Error ? error.message : String(error) };
  }
  return change;
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/taifa.js', import.meta.url));

/** What a run of the command line printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `taifa ARGS…` (node bin/taifa.js) as an operator would, in `cwd` (by default this folder), with `env` as
 * the only TAIFA_ settings and DATABASE_URL only when given: the test runner's own are not passed on.
 */
export function taifa(args: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TAIFA_') && k !== 'DATABASE_URL'),
  );
  return new Promise<CliRun>((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: { ...inherited, ...opts.env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** The first API key (`tfm_k_…`) a run printed. */
export function printedKey(run: CliRun): string {
  const key = /tfm_k_[A-Za-z0-9]{32}/.exec(run.stdout)?.[0];
  if (!key) throw new Error(`no key printed: ${run.stdout}${run.stderr}`);
  return key;
}

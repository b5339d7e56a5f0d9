import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Res } from './server.js';

const BIN = fileURLToPath(new URL('../../bin/taifa.js', import.meta.url));

/** Taifa Mail running as a separate process (`node bin/taifa.js start`), for crash and drain tests. */
export interface ChildServer {
  proc: ChildProcess;
  url: string;
  call<T = any>(method: string, path: string, body?: unknown): Promise<Res<T>>;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** What the process printed on stdout until it said it was ready (the first key, the sandbox banner). */
  stdout: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts the server with `env` (PORT=0 is fine: the URL is read from its "ready" log line), in the folder `cwd`
 * (by default this one), with `args` after `start`; it has `readyMs` (30 s by default) to say it is ready.
 */
export async function startChildServer(
  env: Record<string, string>,
  key = '',
  opts: { cwd?: string; args?: string[]; readyMs?: number } = {},
): Promise<ChildServer> {
  const proc = spawn(process.execPath, [BIN, 'start', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, LOG_LEVEL: 'info', TAIFA_INBOUND_SMTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let buffered = '';
  let ready = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: no test holds it to stop it.
      proc.kill('SIGKILL');
      reject(new Error(`server did not start: ${stderr}`));
    }, opts.readyMs ?? 30_000);
    proc.stdout.on('data', (d: Buffer) => {
      if (ready) return; // later output is drained but not kept
      buffered += d.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"Taifa Mail is ready"/.exec(buffered);
      if (m) {
        ready = true;
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before it was ready: ${stderr}`)));
  });
  const call: ChildServer['call'] = async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
      headers: res.headers,
    };
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  return { proc, url, call, exited, stdout: buffered, stop };
}

/**
 * Starts `count` worker-only processes on the database of an in-process test server `on` (same data
 * dir, secret and HELO name as the test defaults), with `env` on top.
 */
export function startWorkers(
  count: number,
  on: { db: { url: string }; dataDir: string; key: string },
  env: Record<string, string>,
): Promise<ChildServer[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startChildServer(
        {
          ...env,
          PORT: '0',
          TAIFA_ROLES: 'worker',
          DATABASE_URL: on.db.url,
          TAIFA_DATA_DIR: on.dataDir,
          // The in-process server's: it keys the stored DKIM keys' encryption (and signs the tracking links).
          TAIFA_SECRET: 'test-secret',
          TAIFA_HELO_NAME: 'mta.taifa.test',
        },
        on.key,
      ),
    ),
  );
}

// Shared pieces of the benchmarks (bench/send.ts, bench/deliver.ts): child processes that are always
// killed, temp dirs and databases that are always removed, waiting for /healthz, a verified sender,
// a realistic ~5 KB email, counting rows, the machine's description and a table printer.
// Nothing here is a test; nothing in bench/ runs under `npm test`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

/** The repository root (bench/..): children run from here so that `src/main.ts` resolves. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Clean-up: every child is killed and every temp dir / database removed, on success, on error, on
// SIGINT/SIGTERM, and (synchronously, as a last resort) when the process exits.

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];
const syncCleanups: Array<() => void> = [];
let cleaned: Promise<void> | null = null;

/** Registers an async clean-up step (run in reverse order of registration). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Registers a synchronous clean-up step, also run if this process exits abruptly (reverse order: last registered,
 * first run). */
export function onCleanupSync(fn: () => void): void {
  syncCleanups.unshift(fn);
}

/** Kills children (SIGTERM, then SIGKILL after 3 s) and runs the clean-up steps, once. */
export function cleanup(): Promise<void> {
  return (cleaned ??= (async () => {
    const alive = [...children];
    for (const c of alive) c.kill('SIGTERM');
    await Promise.race([
      Promise.all(
        alive.map(
          (c) =>
            new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))),
        ),
      ),
      sleep(3000),
    ]);
    for (const c of children) c.kill('SIGKILL');
    for (const f of cleanups.reverse())
      await Promise.resolve()
        .then(f)
        .catch((e: unknown) => process.stderr.write(`clean-up: ${String(e)}\n`));
    for (const f of syncCleanups.splice(0)) {
      try {
        f();
      } catch (e) {
        process.stderr.write(`clean-up: ${String(e)}\n`);
      }
    }
  })());
}

/** Runs `main`, cleans up whatever happens, exits 0 or 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    async () => {
      await cleanup();
      process.exit(0);
    },
    async (e: unknown) => {
      // After SIGINT/SIGTERM the children die under main(): that is not a failure worth a stack.
      if (cleaned === null)
        process.stderr.write(`\nbench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      await cleanup();
      process.exit(1);
    },
  );
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping children and removing temp files…\n`);
    void cleanup().then(() => process.exit(130));
  });
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const f of syncCleanups.splice(0)) {
    try {
      f();
    } catch {
      /* best effort */
    }
  }
});

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Temp dirs, free ports, PostgreSQL databases.

/** A temp dir, removed at the end (also on a crash of this process). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanupSync(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The PostgreSQL server the benchmarks use (`--pg`); override with BENCH_PG_URL. */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh PostgreSQL database, dropped at the end. Returns its URL. */
export async function tempPostgres(): Promise<string> {
  const name = `taifa_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one counting query against `databaseUrl` (SQLite opened read-only, or PostgreSQL). */
export async function countRows(databaseUrl: string, sql: string, params: unknown[] = []): Promise<number> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Sqlite(databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      const row = db.prepare(sql.replace(/\$\d+/g, '?')).get(...params) as Record<string, unknown>;
      return Number(Object.values(row)[0]);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query(sql, params);
    return Number(Object.values(r.rows[0] as Record<string, unknown>)[0]);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes.

/** A child process of the benchmark. */
export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  exited: Promise<number | string>;
  /** The last ~16 KB of its stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then waits for it to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | string>;
}

/** Spawns `command args` from the repository root; it is killed when the benchmark ends, whatever happens. */
export function spawnChild(name: string, command: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let tail = '';
  const keep = (d: Buffer) => {
    tail += d.toString();
    if (tail.length > 32_000) tail = tail.slice(-16_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<number | string>((r) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      r(code ?? signal ?? -1);
    }),
  );
  proc.once('error', (e) => {
    tail += `\nspawn error: ${e.message}`;
  });
  return {
    name,
    proc,
    pid: proc.pid ?? -1,
    exited,
    output: () => tail.slice(-16_000),
    async stop(graceMs = 30_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Node flags for children: BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each Node child into <dir>. */
function profFlags(): string[] {
  return process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
}

/** Spawns `node [--cpu-prof] --import tsx <script> ...args`. */
export function spawnNode(name: string, scriptAndArgs: string[], env: Record<string, string> = {}): Child {
  return spawnChild(name, process.execPath, [...profFlags(), '--import', 'tsx', ...scriptAndArgs], env);
}

/** Polls `url` until it answers 200 (or the child exits, or `timeoutMs` passes). */
export async function waitHealthy(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const state: { exited: number | string | null } = { exited: null };
  void child.exited.then((c) => (state.exited = c));
  for (;;) {
    if (state.exited !== null)
      throw new Error(`${child.name} exited (${state.exited}) before ${url} answered:\n${child.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name}: ${url} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
    await sleep(100);
  }
}

/** A running Taifa Mail server (a child process). */
export interface TaifaServer extends Child {
  url: string;
  port: number;
}

/**
 * Starts Taifa Mail as a child process (`node --import tsx src/main.ts start`) on 127.0.0.1 with
 * `env` on top of PORT (a free one), HOST and LOG_LEVEL=warn; resolves once /healthz answers 200.
 * `onSpawn` sees the child as soon as it exists (to sample its memory from the start).
 */
export async function startTaifa(
  name: string,
  env: Record<string, string>,
  onSpawn?: (child: Child) => void,
): Promise<TaifaServer> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawnNode(name, ['src/main.ts', 'start'], {
    LOG_LEVEL: 'warn',
    TAIFA_INBOUND_SMTP_PORT: '0',
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  onSpawn?.(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(child, `${url}/healthz`);
  return { ...child, url, port };
}

// ---------------------------------------------------------------------------------------------
// The API.

/** A bootstrap key for this run: tfm_k_ and 32 random letters or digits. */
export function newBenchKey(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'tfm_k_' + Array.from({ length: 32 }, () => abc[randomInt(abc.length)]).join('');
}

/** JSON over HTTP with a key. */
export async function api(
  url: string,
  key: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

function expect(what: string, r: { status: number; body: any }, status: number): void {
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
}

/** POST /v1/domains: the new domain (id, records to publish). */
export async function addDomain(
  url: string,
  key: string,
  name: string,
): Promise<{ id: string; records: Array<{ type: string; name: string; value: string; priority?: number }> }> {
  const d = await api(url, key, 'POST', '/v1/domains', { name });
  expect('POST /v1/domains', d, 201);
  return d.body;
}

/** POST /v1/domains/{id}/verify, which must answer `verified`. */
export async function verifyDomain(url: string, key: string, id: string): Promise<void> {
  const v = await api(url, key, 'POST', `/v1/domains/${id}/verify`);
  if (v.status !== 200 || v.body?.status !== 'verified')
    throw new Error(
      `POST /v1/domains/${id}/verify did not verify: ${v.status} ${JSON.stringify(v.body).slice(0, 800)}`,
    );
}

/** POST /v1/senders. */
export async function addSender(url: string, key: string, email: string, name = 'Bench Receipts'): Promise<void> {
  expect('POST /v1/senders', await api(url, key, 'POST', '/v1/senders', { email, name }), 201);
}

/** In sandbox mode: a domain (verified without DNS) and a sender on it. */
export async function sandboxSender(url: string, key: string, domain = 'bench.example.com'): Promise<string> {
  const d = await addDomain(url, key, domain);
  await verifyDomain(url, key, d.id);
  const from = `receipts@${domain}`;
  await addSender(url, key, from);
  return from;
}

/** A realistic ~5 KB transactional HTML body (an order receipt). */
export function receiptHtml(i: number): string {
  const row = (n: number) =>
    `<tr><td style="padding:8px;border-bottom:1px solid #eeeeee">Item ${n} - cotton t-shirt, size M</td><td style="padding:8px;text-align:right">$${(n * 3.17 + 9).toFixed(2)}</td></tr>`;
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>Your receipt</title></head>' +
    '<body style="margin:0;font-family:Arial,Helvetica,sans-serif;background:#f6f6f6">' +
    '<table width="600" align="center" cellpadding="0" cellspacing="0" style="background:#ffffff">' +
    `<tr><td style="padding:24px"><h1 style="font-size:22px">Your receipt #${100000 + i}</h1><p>Hi there, thanks for your order. Here is what you bought:</p></td></tr>` +
    `<tr><td style="padding:0 24px"><table width="100%">${Array.from({ length: 24 }, (_, n) => row(n)).join('')}</table></td></tr>` +
    '<tr><td style="padding:24px"><p>Questions? Reply to this email or visit <a href="https://example.com/help">our help centre</a>.</p>' +
    '<p style="color:#888888;font-size:12px">Example Shop, 1 Market Street, Nairobi. You receive this email because you placed an order.</p></td></tr>' +
    '</table></body></html>'
  );
}

/** The plain-text part that goes with receiptHtml. */
export function receiptText(i: number): string {
  return `Your receipt #${100000 + i}\n\nThanks for your order. ${Array.from({ length: 22 }, (_, n) => `Item ${n}: $${(n * 3.17 + 9).toFixed(2)}`).join('\n')}\n\nQuestions? Reply to this email.`;
}

/** A POST /v1/emails/ body of about 5 KB: html + text, one `to`, a subject and tags. */
export function sendBody(from: string, i: number, to = `customer${i}@recipient.example`): Record<string, unknown> {
  return {
    from_: { email: from, name: 'Bench Receipts' },
    to: [{ email: to, name: 'A Customer' }],
    subject: `Your receipt #${100000 + i}`,
    html: receiptHtml(i),
    text: receiptText(i),
    tags: ['receipt', 'bench'],
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring and printing.

/** VmHWM (peak) and VmRSS of a process, in MiB; null when it is gone. */
export function memoryMiB(pid: number): { hwm: number; rss: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's memory every `everyMs` and keeps the peak (max of VmHWM and VmRSS seen). */
export function memorySampler(pid: number, everyMs = 200): { stop(): number; peak(): number } {
  let peak = 0;
  const sample = () => {
    const m = memoryMiB(pid);
    if (m) peak = Math.max(peak, m.hwm, m.rss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => peak,
    stop() {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

/** CPU model (from /proc/cpuinfo), cores, memory, Node version, kernel. */
export function machine(): string {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  return `cpu ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** The code measured: git commit, and how many files under src/ differ from it (read-only git). */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean).length;
    return `commit ${head}${dirty ? ` + ${dirty} uncommitted file(s) in src/` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** A plain-text table: first row is the header; numbers right-aligned. */
export function table(rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** A number with `digits` decimals and thousands separators. */
export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
}

// ---------------------------------------------------------------------------------------------
// Other load on the machine: the benchmarks share 2 cores with whatever else runs, so each
// measurement window reports how much CPU processes outside the benchmark used.

const ownRoots = new Set<number>([process.pid]);
const ownComms = new Set<string>();

/** Counts every process named `comm` as part of the benchmark (e.g. "postgres" in a --pg run). */
export function addOwnComm(comm: string): void {
  ownComms.add(comm);
}

/** Counts `pid` and its descendants as part of the benchmark (e.g. a daemonized Postfix master). */
export function addOwnRoot(pid: number): void {
  ownRoots.add(pid);
}

interface ProcSample {
  ppid: number;
  ticks: number;
  comm: string;
}

/** The fields of a /proc/.../stat line after the command name (which may hold spaces and parentheses): ppid is [1],
 * utime [11], stime [12]. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readProcs(): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = statFields(stat);
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), comm });
    } catch {
      /* exited */
    }
  }
  return out;
}

function machineTicks(): { busy: number; total: number; steal: number } {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!;
  const steal = cpu[7] ?? 0;
  return { busy: total - idle - steal, total, steal };
}

/** What one measurement window cost the machine, in % of all cores. */
export interface CpuWindow {
  /** Everything that ran. */
  machinePct: number;
  /** Time the hypervisor gave our virtual CPUs to someone else (steal). */
  stealPct: number;
  /** Processes outside the benchmark (not descended from it nor from an addOwnRoot pid). */
  otherPct: number;
  /** The busiest of those, e.g. "postgres 40%, node 12%". */
  otherTop: string;
}

/** Starts measuring a window; stop() returns its CpuWindow. Linux only (zeros elsewhere). */
export function cpuWindow(): { stop(): CpuWindow } {
  let m0: { busy: number; total: number; steal: number };
  let p0: Map<number, ProcSample>;
  try {
    m0 = machineTicks();
    p0 = readProcs();
  } catch {
    return { stop: () => ({ machinePct: 0, stealPct: 0, otherPct: 0, otherTop: 'n/a' }) };
  }
  return {
    stop() {
      const m1 = machineTicks();
      const p1 = readProcs();
      const own = (pid: number): boolean => {
        for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
          if (ownRoots.has(p)) return true;
          p = p1.get(p)?.ppid ?? 0;
        }
        return false;
      };
      const totalTicks = Math.max(1, m1.total - m0.total);
      const byComm = new Map<string, number>();
      let other = 0;
      for (const [pid, s] of p1) {
        if (ownComms.has(s.comm) || own(pid)) continue;
        const d = s.ticks - (p0.get(pid)?.ticks ?? 0);
        if (d <= 0) continue;
        other += d;
        byComm.set(s.comm, (byComm.get(s.comm) ?? 0) + d);
      }
      // /proc/<pid>/stat ticks are per process, /proc/stat ticks per core: both in USER_HZ.
      const pct = (t: number) => (100 * t) / totalTicks;
      return {
        machinePct: pct(m1.busy - m0.busy),
        stealPct: pct(m1.steal - m0.steal),
        otherPct: Math.min(100, pct(other)),
        otherTop:
          [...byComm]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .filter(([, t]) => pct(t) >= 1)
            .map(([c, t]) => `${c} ${pct(t).toFixed(0)}%`)
            .join(', ') || 'none',
      };
    },
  };
}

/**
 * Waits (up to `maxWaitSeconds`) until processes outside the benchmark use less than `thresholdPct`
 * of the machine over 2 s. Returns the last sample (the caller prints a warning if still busy).
 */
export async function waitForQuiet(maxWaitSeconds: number, thresholdPct = 15): Promise<CpuWindow> {
  const deadline = Date.now() + maxWaitSeconds * 1000;
  for (;;) {
    const w = cpuWindow();
    await sleep(2000);
    const s = w.stop();
    if (s.otherPct < thresholdPct || Date.now() >= deadline) return s;
    process.stderr.write(
      `waiting for a quieter machine: other processes use ${s.otherPct.toFixed(0)}% of the CPUs (${s.otherTop})…\n`,
    );
  }
}

/** "12% (postgres 8%, node 3%)" for a CpuWindow, with a warning when other processes were busy. */
export function describeOtherLoad(w: CpuWindow): string {
  const steal = w.stealPct >= 1 ? `, hypervisor steal ${w.stealPct.toFixed(0)}%` : '';
  return `${w.otherPct.toFixed(0)}% of the CPUs (${w.otherTop}${steal})${w.otherPct >= 15 || w.stealPct >= 10 ? ' — WARNING: figures disturbed by other load' : ''}`;
}

/**
 * CPU time (user + system, ms) used so far by `rootPid` and its live descendants, plus what their
 * exited children used (cutime/cstime): the cost of a server however many processes it runs.
 * Counts work done, whatever else competes for the CPUs — unlike a rate.
 */
export function treeCpuMs(rootPid: number): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = statFields(stat);
      // utime, stime, cutime, cstime are fields 14–17 of /proc/<pid>/stat (indexes 11–14 after the name).
      procs.set(Number(name), {
        ppid: Number(f[1]),
        ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      });
    } catch {
      /* exited */
    }
  }
  let ticks = 0;
  for (const [pid, p] of procs) {
    for (let cur = pid, hops = 0; cur > 0 && hops < 64; hops++) {
      if (cur === rootPid) {
        ticks += p.ticks;
        break;
      }
      cur = procs.get(cur)?.ppid ?? 0;
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** CPU time of a process's main thread (for Node.js, its event loop), in ms. */
export function mainThreadCpuMs(pid: number): number {
  try {
    const f = statFields(fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on Linux everywhere that matters. */
const CLOCK_TICKS = 100;

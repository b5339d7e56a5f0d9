// bench/webhooks: how fast the outbox reaches a receiver. 20,000 events are written (in transactions
// of 100, as the tracking thread writes them) while a Taifa Mail server (roles api + webhooks) posts
// them to one endpoint on a loopback receiver in its own process; the figures are deliveries per
// second (from the first event written to the last delivery received) and the lag from each event's
// time to its arrival, p50 and p99. The floor, in the same run: the same receiver fed by a bare undici
// loop (as many connections as the endpoint's cap) with payloads of the same shape, signed the same way.
// Then the receiver goes down while 2,000 more events are written, comes back, and every one must arrive.
// Usage: npx tsx bench/webhooks.ts [--pg] [--events 20000]
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { newId } from '../src/ids.js';
import { openStore } from '../src/store/database.js';
import { recordEvents } from '../src/store/events-repo.js';
import { inWriteTransaction } from '../src/store/transactions.js';
import { signedHeaders } from '../src/webhooks/sign.js';
import {
  api,
  freePort,
  machine,
  newBenchKey,
  runMain,
  sandboxSender,
  sendBody,
  sleep,
  spawnNode,
  startTaifa,
  table,
  tempDir,
  tempPostgres,
  waitForPort,
  fmt,
  type Child,
} from './lib.js';

const { values } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    events: { type: 'string', default: '20000' },
    // Internal: this script again, as the receiver (on this port).
    receive: { type: 'string' },
  },
});

const PER_ENDPOINT = 16;
const SECRET = 'whsec_' + Buffer.alloc(24, 9).toString('base64');

/** The receiver: answers 200 at once; GET /stats gives each path's count, distinct ids and lags. */
function receive(port: number): void {
  const seen = new Map<string, { ids: Set<string>; count: number; lags: number[]; last: number }>();
  http
    .createServer((req, res) => {
      if (req.method === 'GET') {
        const out: Record<string, unknown> = {};
        for (const [p, s] of seen) out[p] = { count: s.count, distinct: s.ids.size, last: s.last, lags: s.lags };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = Date.now();
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { timestamp: string };
        let s = seen.get(req.url ?? '/');
        if (!s) seen.set(req.url ?? '/', (s = { ids: new Set(), count: 0, lags: [], last: 0 }));
        s.count++;
        s.ids.add(String(req.headers['webhook-id']));
        s.lags.push(now - Date.parse(body.timestamp));
        s.last = now;
        res.writeHead(200).end('ok');
      });
    })
    .listen(port, '127.0.0.1');
}

interface PathStats {
  count: number;
  distinct: number;
  last: number;
  lags: number[];
}

async function stats(port: number): Promise<Record<string, PathStats>> {
  return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Record<string, PathStats>;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function startReceiver(port: number): Promise<Child> {
  const c = spawnNode('receiver', ['bench/webhooks.ts', '--receive', String(port)]);
  await waitForPort(port, 30_000);
  return c;
}

/** The floor: the same number of signed payloads posted by a bare undici loop. */
async function floor(port: number, n: number): Promise<{ rate: number; p50: number; p99: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: PER_ENDPOINT });
  let next = 0;
  const started = Date.now();
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: PER_ENDPOINT }, async () => {
      while (next < n) {
        const i = next++;
        const payload = JSON.stringify({
          type: 'email.opened',
          timestamp: new Date().toISOString(),
          data: { email_id: newId(), event_id: newId(), recipient: `r${i}@example.org`, from: 'a@b.test', i },
        });
        const t0 = Date.now();
        const res = await pool.request({
          path: '/floor',
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signedHeaders(newId(), new Date(), payload, [SECRET]) },
          body: payload,
        });
        await res.body.text();
        lat.push(Date.now() - t0);
      }
    }),
  );
  const rate = n / ((Date.now() - started) / 1000);
  await pool.close();
  return { rate, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Writes `n` open events about `emails`, 100 per transaction, as fast as the database takes them. */
async function writeEvents(databaseUrl: string, accountId: string, emails: string[], n: number): Promise<number> {
  const store = openStore(databaseUrl);
  const started = Date.now();
  try {
    for (let i = 0; i < n; i += 100) {
      const now = Date.now();
      const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => ({
        id: newId(),
        email_id: emails[(i + j) % emails.length]!,
        account_id: accountId,
        recipient: `customer${(i + j) % emails.length}@recipient.example`,
        event_type: 'open' as const,
        metadata: JSON.stringify({ ua: 'bench', ip: '127.0.0.1' }),
        bot: '' as const,
        counted: 0,
        created_at: now,
      }));
      await inWriteTransaction(store.db, (trx) => recordEvents(trx, batch));
    }
  } finally {
    await store.close();
  }
  return started;
}

async function main(): Promise<void> {
  const n = Number(values.events);
  const kind = values.pg ? 'postgres' : 'sqlite';
  const dir = tempDir('taifa-bench-webhooks-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  const rport = await freePort();
  let receiver = await startReceiver(rport);

  console.log(`bench/webhooks: ${n} events, ${kind}; ${machine()}`);
  const f = await floor(rport, n);

  const key = newBenchKey();
  const taifa = await startTaifa('taifa', {
    DATABASE_URL: databaseUrl,
    TAIFA_DATA_DIR: dir,
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_SANDBOX: 'true',
    TAIFA_ROLES: 'api,webhooks',
    TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
    // Compressed: retried after 1, 2, 4 … 32 s, so that the receiver's down time (5 s and more) is covered.
    TAIFA_WEBHOOK_RETRY_SCHEDULE: '1,2,4,8,16,32',
    TAIFA_WEBHOOK_CONCURRENCY_PER_ENDPOINT: String(PER_ENDPOINT),
  });
  const from = await sandboxSender(taifa.url, key);
  const hook = await api(taifa.url, key, 'POST', '/v1/webhooks', { url: `http://127.0.0.1:${rport}/ours` });
  if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${JSON.stringify(hook.body)}`);
  // The emails the events are about (the worker is off: they stay queued; their queued events are posted too).
  const emails: string[] = [];
  for (let i = 0; i < 50; i++) {
    const r = await api(taifa.url, key, 'POST', '/v1/emails', sendBody(from, i));
    emails.push(r.body.id as string);
  }
  const accountId = await accountOf(databaseUrl, emails[0]!);
  const base = emails.length;
  await waitFor(rport, '/ours', base, 60_000);

  const started = await writeEvents(databaseUrl, accountId, emails, n);
  const written = Date.now();
  await waitFor(rport, '/ours', base + n, 600_000);
  const s = (await stats(rport))['/ours']!;
  const lags = s.lags.slice(base);
  const rate = n / ((s.last - started) / 1000);

  // Down for a while: 2,000 events written meanwhile must all arrive once it is back.
  await receiver.stop();
  const down = 2000;
  await writeEvents(databaseUrl, accountId, emails, down);
  await sleep(5000);
  receiver = await startReceiver(rport);
  const back = Date.now();
  const after = await waitFor(rport, '/ours', down, 600_000, true);

  console.log(
    table([
      ['', 'deliveries/s', 'lag p50 ms', 'lag p99 ms'],
      ['floor (bare undici loop)', fmt(f.rate), fmt(f.p50), fmt(f.p99)],
      ['Taifa Mail outbox', fmt(rate), fmt(pct(lags, 50)), fmt(pct(lags, 99))],
    ]),
  );
  console.log(`ratio to floor: ${(rate / f.rate).toFixed(2)} (target ≥ 0.50)`);
  console.log(`events written in ${written - started} ms (${fmt(n / ((written - started) / 1000))}/s)`);
  console.log(
    `receiver down: ${down} events written meanwhile; all ${after.distinct} arrived ${fmt(after.last - back)} ms after it came back` +
      ` (${after.count - after.distinct} duplicates)`,
  );
  await taifa.stop();
  await receiver.stop();
  if (process.env.BENCH_SHOW_LOG) console.log(taifa.output());
}

async function accountOf(databaseUrl: string, emailId: string): Promise<string> {
  const store = openStore(databaseUrl);
  try {
    const r = await store.db
      .selectFrom('emails')
      .select('account_id')
      .where('id', '=', emailId)
      .executeTakeFirstOrThrow();
    return r.account_id;
  } finally {
    await store.close();
  }
}

/** Waits until the receiver has `n` distinct deliveries on `path`. */
async function waitFor(port: number, path: string, n: number, timeoutMs: number, quiet = false): Promise<PathStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await stats(port))[path];
    if (s && s.distinct >= n) return s;
    if (Date.now() > deadline) throw new Error(`only ${s?.distinct ?? 0} of ${n} deliveries arrived on ${path}`);
    if (Date.now() % 5000 < 100) process.stderr.write(`  ${path}: ${s?.distinct ?? 0} of ${n}\n`);
    if (!quiet) await sleep(20);
    else await sleep(100);
  }
}

if (values.receive) receive(Number(values.receive));
else runMain(main);

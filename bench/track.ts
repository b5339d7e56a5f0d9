// bench/track: pixel and click throughput and latency under load from a second process, beside a
// bare node:http server answering the same GIF in the same run (and a Fastify route answering it with
// no work: the ceiling of any Fastify route); then checks that every hit the load made was recorded,
// and exits non-zero if one is missing. "cpu µs" is the server's CPU time (its process tree) per
// answer, during the load and until the machine is idle again (the hits it still writes): unlike a rate, it hardly
// moves when something else shares the machine;
// "loop µs" is the part of it spent on the server's main thread (its event loop), "load µs" the load
// generator's CPU per answer. With --rate, every server gets the same requests per second instead of
// as many as it can answer: the CPU figures then compare the servers' work without saturation.
// Usage: npx tsx bench/track.ts [--pg] [--duration 10] [--connections 50] [--rounds 3] [--rate N]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs, promisify } from 'node:util';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/database.js';
import { TrackingTokens } from '../src/tracking/tokens.js';
import {
  api,
  cpuWindow,
  freePort,
  machine,
  newBenchKey,
  runMain,
  sleep,
  spawnNode,
  startTaifa,
  tempDir,
  tempPostgres,
  waitForPort,
  mainThreadCpuMs,
  treeCpuMs,
  waitHealthy,
} from './lib.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    // Rounds of bare / storage floor / pixel / click, one after the other: the figures are each one's median round.
    rounds: { type: 'string', default: '3' },
    // Requests per second in all, instead of as many as the server answers: to compare CPU per answer at one rate.
    rate: { type: 'string' },
    // Also measure the pixel with one webhook endpoint subscribed to opens and clicks (a receiver in its own
    // process, the webhooks role posting to it), against the pixel with none, in the same rounds.
    webhook: { type: 'boolean', default: false },
    // With --webhook: the webhooks role in a second Taifa Mail process on the same database, so that the
    // pixel's process does the outbox writes only (on two cores the two processes still share the CPU).
    'webhook-process': { type: 'boolean', default: false },
    // Internal: this script again, as the load generator in its own process.
    load: { type: 'string' },
    // Internal: this script again, as the Fastify ceiling server (PORT from the environment).
    'fastify-gif': { type: 'boolean', default: false },
  },
});
const SECRET = 'bench-tracking-secret';
const BENCH_KEY = newBenchKey();
/** Recipients the hits spread over (a multiple of 100, the batch size): a few hits each per run, as real mail gets. */
const RECIPIENTS = 2_000;
/** A person's browser: hits must take the human path (coalescing reads, counter updates), not the scanner shortcut. */
const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** cpuUs: the server's CPU per answer (all its threads), loopUs: its main thread's (the event loop), clientUs: the load
 * generator's. */
interface Load {
  ok: number;
  sent: number;
  rps: number;
  p50: number;
  p99: number;
  unexpected: number;
  errors: number;
  cpuUs: number;
  loopUs: number;
  clientUs: number;
}

/**
 * The ceiling (in the child process): a Fastify route answering the GIF as the pixel does, with no work.
 * With STORE=<SQLite file>, the storage floor: the same route also keeps each hit as one row (a key from the
 * token, the user agent, the address, the time) in a table indexed by that key, as events are by email, written
 * as the recorder writes, in a transaction every 50 ms (SQLite as bench/floor-db.ts sets it up); no fsync,
 * no token check, no rules, no counters.
 * Any server that stores every hit, findable by its email, does at least this much per hit (on one thread or spread
 * over several).
 */
async function serveFastifyGif(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { NO_STORE, PIXEL_GIF, PIXEL_HEADERS } = await import('../src/tracking/routes.js');
  const store = process.env.STORE ? await hitStore(process.env.STORE) : null;
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 10_000 } });
  app.get('/', async () => 'ok');
  // Answered in the handler, with no promise, as the pixel is.
  app.get<{ Params: { token: string } }>('/v1/track/open/:token', (request, reply) => {
    // The token's first 36 characters: a key as long as an email id, unique per recipient here.
    store?.(request.params.token.slice(0, 36), request.headers['user-agent'] ?? '', request.ip);
    return reply.headers(PIXEL_HEADERS).send(PIXEL_GIF);
  });
  // The click's floor: what no click route can skip, checking the token's MAC before it redirects (with
  // Taifa Mail's signer), then the same one row; no rules, no counters, no fsync.
  const tokens = new TrackingTokens(SECRET);
  app.get<{ Params: { token: string } }>('/v1/track/click/:token', (request, reply) => {
    const target = tokens.verify(request.params.token, 'click');
    if (!target || target.kind !== 'click') return reply.status(404).send();
    store?.(target.emailId, request.headers['user-agent'] ?? '', request.ip);
    return reply.header('cache-control', NO_STORE).redirect(new URL(target.url).href, 302);
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

/** The storage floor's writer: hits buffered and written every 50 ms, in one transaction. */
async function hitStore(file: string): Promise<(token: string, ua: string, ip: string) => void> {
  const { v7: uuidv7 } = await import('uuid');
  const { floorDatabase } = await import('./floor-db.js');
  const { db, batches } = floorDatabase(file);
  db.exec(
    'CREATE TABLE hits (id TEXT PRIMARY KEY, token TEXT NOT NULL, metadata TEXT NOT NULL, created_at INTEGER NOT NULL)',
  );
  db.exec('CREATE INDEX hits_token ON hits (token, id)');
  const insert = db.prepare('INSERT INTO hits (id, token, metadata, created_at) VALUES (?, ?, ?, ?)');
  type Hit = [token: string, metadata: string, at: number];
  const add = batches(
    (hits: Hit[]) => hits.forEach(([token, metadata, at]) => insert.run(uuidv7(), token, metadata, at)),
    (run) => setTimeout(run, 50),
  );
  // As the pixel's answer, the floor's does not wait for the write.
  return (token, ua, ip) => void add([token, JSON.stringify({ ua, ip }), Date.now()]);
}

/** The load generator (in the child process): autocannon over the paths with a browser's User-Agent; one JSON line out.
 * */
function generateLoad(file: string): void {
  interface Result {
    requests: { sent: number };
    latency: { p50: number; p99: number };
    duration: number;
    errors: number;
    timeouts: number;
    [k: `${number}xx`]: number;
  }
  const autocannon = createRequire(import.meta.url)('autocannon') as (
    opts: Record<string, unknown>,
    cb: (err: Error | null, r: Result) => void,
  ) => unknown;
  const { url, paths, connections, duration, rate } = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    url: string;
    paths: string[];
    connections: number;
    duration: number;
    rate?: number;
  };
  let next = 0;
  const cpuBefore = process.cpuUsage();
  autocannon(
    {
      url,
      connections,
      duration,
      ...(rate ? { overallRate: rate } : {}),
      headers: { 'user-agent': BROWSER },
      // One shared walk over the paths for all connections, so hits spread evenly over the recipients
      // (a list per connection would send every connection to the same first few).
      requests: [
        {
          method: 'GET',
          setupRequest: (req: Record<string, unknown>) => ({ ...req, path: paths[next++ % paths.length] }),
        },
      ],
    },
    (err, r) => {
      if (err) throw err;
      // autocannon's result types index status classes loosely; they are always present.
      const count = (k: '1xx' | '2xx' | '3xx' | '4xx' | '5xx') => r[k] ?? 0;
      const ok = count('2xx') + count('3xx');
      const load: Load = {
        ok,
        sent: r.requests.sent,
        rps: ok / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        unexpected: count('1xx') + count('4xx') + count('5xx'),
        errors: r.errors + r.timeouts,
        cpuUs: 0,
        loopUs: 0,
        clientUs: 0,
      };
      const cpu = process.cpuUsage(cpuBefore);
      load.clientUs = (cpu.user + cpu.system) / Math.max(1, ok);
      process.stdout.write(JSON.stringify(load) + '\n');
    },
  );
}

/**
 * Waits (up to 30 s) until the whole machine is nearly idle: a server that just had its turn may still be
 * writing what it buffered (Taifa's recording thread, the floor's checkpoints), and that work would
 * otherwise land on whichever server is measured next.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const w = cpuWindow();
    await sleep(1000);
    if (w.stop().machinePct < SETTLED_PCT || Date.now() >= deadline) return;
  }
}
/** Below this share of all cores busy, the machine counts as idle between two loads. */
const SETTLED_PCT = 10;

/**
 * Runs the load against `url` once the machine is idle, and measures the CPU the server (process `pid`)
 * spent on it: during the load and until the machine is idle again.
 */
async function load(dir: string, url: string, paths: string[], pid: number): Promise<Load> {
  await settle();
  // The paths go through a file: thousands of tokens are more than one command-line argument may hold.
  const file = path.join(dir, 'load.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      url,
      paths,
      connections: Number(values.connections),
      duration: Number(values.duration),
      rate: values.rate ? Number(values.rate) : undefined,
    }),
  );
  const cpuBefore = treeCpuMs(pid);
  const loopBefore = mainThreadCpuMs(pid);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/track.ts', '--load', file], {
    maxBuffer: 1 << 26,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as Load;
  // What the server still does for these answers after the load (writing the hits it buffered) is its CPU too.
  await settle();
  const per = (ms: number) => (ms * 1000) / Math.max(1, result.ok);
  return { ...result, cpuUs: per(treeCpuMs(pid) - cpuBefore), loopUs: per(mainThreadCpuMs(pid) - loopBefore) };
}

/** Engagement events stored so far, by what they are. */
async function stored(
  store: Store,
): Promise<{ opens: number; clicks: number; backfilled: number; human: number; coalesced: number; bots: number }> {
  const n = sql<number>`count(*)`;
  const like = (flag: string) => sql<number>`sum(case when metadata like ${`%"${flag}":true%`} then 1 else 0 end)`;
  const r = await store.db
    .selectFrom('email_events')
    .where('event_type', 'in', ['open', 'click'])
    .select([
      sql<number>`sum(case when event_type = 'click' then 1 else 0 end)`.as('clicks'),
      n.as('all'),
      like('backfilled').as('backfilled'),
      like('coalesced').as('coalesced'),
      sql<number>`sum(case when bot = '' then 1 else 0 end)`.as('human'),
    ])
    .executeTakeFirstOrThrow();
  const num = (v: unknown) => Number(v ?? 0);
  const backfilled = num(r.backfilled);
  return {
    clicks: num(r.clicks),
    opens: num(r.all) - num(r.clicks) - backfilled,
    backfilled,
    human: num(r.human),
    coalesced: num(r.coalesced),
    bots: num(r.all) - num(r.human),
  };
}

async function main(): Promise<void> {
  const dir = tempDir('taifa-bench-track-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  // API and tracking only: no worker, so the emails are marked delivered below, as the worker would.
  const taifa = await startTaifa('taifa', {
    TAIFA_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    TAIFA_SANDBOX: 'true',
    TAIFA_BOOTSTRAP_API_KEY: BENCH_KEY,
    TAIFA_ROLES: values.webhook && !values['webhook-process'] ? 'api,tracking,webhooks' : 'api,tracking',
    TAIFA_SECRET: SECRET,
    TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
  });
  if (values.webhook && values['webhook-process'])
    await startTaifa('dispatcher', {
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: databaseUrl,
      TAIFA_SANDBOX: 'true',
      TAIFA_ROLES: 'webhooks',
      TAIFA_SECRET: SECRET,
      TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
    });
  // The endpoint is switched on only for the rounds' "pixel, one endpoint" loads.
  let hookId = '';
  if (values.webhook) {
    const port = await freePort();
    const receiver = spawnNode('receiver', ['bench/webhooks.ts', '--receive', String(port)]);
    await waitForPort(port, 30_000);
    void receiver;
    const h = await api(taifa.url, BENCH_KEY, 'POST', '/v1/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['email.opened', 'email.clicked'],
      enabled: false,
    });
    if (h.status !== 201) throw new Error(`webhook: ${h.status} ${JSON.stringify(h.body)}`);
    hookId = h.body.id as string;
  }
  const withEndpoint = async (paths: string[]): Promise<Load | null> => {
    if (!hookId) return null;
    await api(taifa.url, BENCH_KEY, 'PATCH', `/v1/webhooks/${hookId}`, { enabled: true });
    const l = await load(dir, taifa.url, paths, taifa.pid);
    await api(taifa.url, BENCH_KEY, 'PATCH', `/v1/webhooks/${hookId}`, { enabled: false });
    return l;
  };
  const d = await api(taifa.url, BENCH_KEY, 'POST', '/v1/domains', { name: 'bench.example.com' });
  await api(taifa.url, BENCH_KEY, 'POST', `/v1/domains/${d.body.id}/verify`);
  await api(taifa.url, BENCH_KEY, 'POST', '/v1/senders', { email: 'news@bench.example.com' });
  const emailIds: string[] = [];
  for (let b = 0; b < RECIPIENTS / 100; b++) {
    const batch = Array.from({ length: 100 }, (_, i) => ({
      from_: { email: 'news@bench.example.com' },
      to: [{ email: `reader${b * 100 + i}@recipient.example` }],
      subject: `Issue ${i}`,
      html: '<p>Hi</p>',
    }));
    const accepted = await api(taifa.url, BENCH_KEY, 'POST', '/v1/emails/batch', batch);
    emailIds.push(...(accepted.body.results as Array<{ id: string }>).map((r) => r.id));
  }

  // Delivered an hour ago: past the prefetch window, so the hits count as a person's.
  const store = openStore(databaseUrl);
  await store.db
    .updateTable('email_recipients')
    .set({ status: 'delivered', last_attempt_at: Date.now() - 3_600_000 })
    .execute();
  // Tokens for each recipient, signed with the server's secret (as the renderer would).
  const recipients = await store.db.selectFrom('email_recipients').select(['id', 'email_id']).execute();
  if (recipients.length !== emailIds.length)
    throw new Error(`expected ${emailIds.length} recipients, found ${recipients.length}`);
  const tokens = new TrackingTokens(SECRET);
  const opens = recipients.map(
    (r) => `/v1/track/open/${tokens.sign({ kind: 'open', emailId: r.email_id, recipientId: r.id })}`,
  );
  const clicks = recipients.map(
    (r, i) =>
      `/v1/track/click/${tokens.sign({ kind: 'click', emailId: r.email_id, recipientId: r.id, url: `https://shop.example.com/item/${i}?utm_source=mail` })}`,
  );

  const fastifyPort = await freePort();
  const fastifyChild = spawnNode('fastify', ['bench/track.ts', '--fastify-gif'], { PORT: String(fastifyPort) });
  const fastify = { url: `http://127.0.0.1:${fastifyPort}` };
  await waitHealthy(fastifyChild, `${fastify.url}/`);
  await load(dir, fastify.url, ['/v1/track/open/x'], fastifyChild.pid); // warm-up
  const ceiling = await load(dir, fastify.url, opens, fastifyChild.pid);
  await fastifyChild.stop();
  const floorPort = await freePort();
  const floorChild = spawnNode('storage floor', ['bench/track.ts', '--fastify-gif'], {
    PORT: String(floorPort),
    STORE: path.join(dir, 'floor.db'),
  });
  const floor = { url: `http://127.0.0.1:${floorPort}` };
  await waitHealthy(floorChild, `${floor.url}/`);
  await load(dir, floor.url, opens.slice(0, 10), floorChild.pid); // warm-up
  const barePort = await freePort();
  const bareChild = spawnNode('bare', ['bench/bare-gif-server.ts'], { PORT: String(barePort) });
  const bare = { url: `http://127.0.0.1:${barePort}` };
  await waitHealthy(bareChild, `${bare.url}/`);
  await load(dir, bare.url, ['/x'], bareChild.pid); // warm-up
  // Rounds of the four, so that a slow moment of the shared machine moves one round, not the ratio.
  const rounds: Array<{
    base: Load;
    floor: Load;
    clickFloor: Load;
    pixel: Load;
    click: Load;
    pixelHook: Load | null;
  }> = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    rounds.push({
      base: await load(dir, bare.url, opens, bareChild.pid),
      floor: await load(dir, floor.url, opens, floorChild.pid),
      clickFloor: await load(dir, floor.url, clicks, floorChild.pid),
      pixel: await load(dir, taifa.url, opens, taifa.pid),
      click: await load(dir, taifa.url, clicks, taifa.pid),
      pixelHook: await withEndpoint(opens),
    });
  }
  await bareChild.stop();
  await floorChild.stop();
  const median = (pick: (r: (typeof rounds)[number]) => Load): Load =>
    [...rounds].map(pick).sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)]!;
  const base = median((r) => r.base);
  const pixel = median((r) => r.pixel);
  const click = median((r) => r.click);
  const storageFloor = median((r) => r.floor);
  const clickFloor = median((r) => r.clickFloor);
  const sum = (pick: (r: (typeof rounds)[number]) => Load, k: 'ok' | 'sent') =>
    rounds.reduce((a, r) => a + pick(r)[k], 0);
  const answered = {
    opens: sum((r) => r.pixel, 'ok') + (hookId ? sum((r) => r.pixelHook!, 'ok') : 0),
    opensSent: sum((r) => r.pixel, 'sent') + (hookId ? sum((r) => r.pixelHook!, 'sent') : 0),
    clicks: sum((r) => r.click, 'ok'),
    clicksSent: sum((r) => r.click, 'sent'),
  };
  const unexpected = rounds.reduce((a, r) => a + r.pixel.unexpected + r.click.unexpected, 0);

  // Every hit answered must be on disk once the group commits behind the answers have run; a hit cut
  // off at the end of the run (sent, never answered) may or may not have been recorded.
  let got = await stored(store);
  for (
    const deadline = Date.now() + 60_000;
    Date.now() < deadline && (got.opens < answered.opens || got.clicks < answered.clicks);
    got = await stored(store)
  ) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await store.close();
  const f = (n: number) => n.toFixed(0).padStart(8);
  process.stdout.write(
    [
      '',
      `${values.connections} connections, ${values.duration} s each, ${rounds.length} rounds of bare/floor/pixel/click (medians shown), ${recipients.length} recipients, database ${values.pg ? 'PostgreSQL' : 'SQLite'}`,
      `                          req/s   p50 ms   p99 ms  non-2/3xx  errors   cpu µs  loop µs  load µs`,
      ...(
        [
          ['bare node:http GIF    ', base],
          ['Fastify GIF, no work  ', ceiling],
          ['storage floor         ', storageFloor],
          ['floor, click          ', clickFloor],
          ['Taifa open pixel      ', pixel],
          ['Taifa click redirect  ', click],
        ] as const
      ).map(
        ([name, l]) =>
          `${name} ${f(l.rps)} ${f(l.p50)} ${f(l.p99)} ${f(l.unexpected)} ${f(l.errors)} ${f(l.cpuUs)} ${f(l.loopUs)} ${f(l.clientUs)}`,
      ),
      `ratio pixel / bare: ${(pixel.rps / base.rps).toFixed(2)}, click / bare: ${(click.rps / base.rps).toFixed(2)} (target ≥ 0.60); Fastify with no work / bare: ${(ceiling.rps / base.rps).toFixed(2)}`,
      `storage floor / bare: ${(storageFloor.rps / base.rps).toFixed(2)}; pixel / storage floor: ${(pixel.rps / storageFloor.rps).toFixed(2)} — the floor is the no-work route also` +
        ' storing each hit as one row indexed by a key from its token (SQLite checkpointed as Taifa Mail is, a transaction every 50 ms, no fsync, no token check, no rules): no server that keeps every hit, findable by its email, on one event loop can beat it here' +
        ' (Taifa Mail records hits in a thread of its own)',
      `floor, click / bare: ${(clickFloor.rps / base.rps).toFixed(2)}; click / floor, click: ${(click.rps / clickFloor.rps).toFixed(2)} — the click's floor also checks the token's MAC and redirects, as no click route can skip`,
      `  by round (pixel, click, storage floor, click floor / that round's bare): ${rounds.map((r) => [r.pixel, r.click, r.floor, r.clickFloor].map((l) => (l.rps / r.base.rps).toFixed(2)).join(', ')).join('; ')}`,
      `  by round, cpu µs per answer (all threads / event loop) of bare, floor, click floor, pixel, click: ${rounds.map((r) => [r.base, r.floor, r.clickFloor, r.pixel, r.click].map((l) => `${l.cpuUs.toFixed(0)}/${l.loopUs.toFixed(0)}`).join(', ')).join('; ')}`,
      // Whether the machine (not one thread) is the limit: if every run keeps about the same number of
      // cores busy, rates go as 1 / (server + load generator CPU per answer), and a server that spends
      // more CPU per answer than another cannot answer faster than it, however many threads it has.
      `cores busy with server + load generator (medians): ${(
        [
          ['bare', base],
          ['floor', storageFloor],
          ['click floor', clickFloor],
          ['pixel', pixel],
          ['click', click],
        ] as const
      )
        .map(([n, l]) => `${n} ${((l.rps * (l.cpuUs + l.clientUs)) / 1e6).toFixed(2)}`)
        .join(', ')}`,
      `recorded: ${got.opens} opens for ${answered.opens} pixel hits answered (${answered.opensSent} sent), ${got.clicks} clicks for ${answered.clicks} answered (${answered.clicksSent} sent), + ${got.backfilled} back-filled opens`,
      `          ${got.human} by people (${got.coalesced} of them coalesced), ${got.bots} classified as machines`,
      ...(hookId
        ? [
            `pixel with one webhook endpoint (opens and clicks) by round: ${rounds.map((r) => `${f(r.pixelHook!.rps).trim()} req/s (${(r.pixelHook!.rps / r.pixel.rps).toFixed(2)} of that round's pixel with none, cpu µs ${r.pixelHook!.cpuUs.toFixed(0)})`).join('; ')}`,
            `median pixel with one endpoint / with none: ${(median((r) => r.pixelHook!).rps / pixel.rps).toFixed(2)} (target ≥ 0.85)`,
          ]
        : []),
      `machine: ${machine()}`,
      '',
    ].join('\n'),
  );
  const problems = [
    got.opens < answered.opens || got.opens > answered.opensSent
      ? `opens: ${got.opens} stored, ${answered.opens} answered, ${answered.opensSent} sent`
      : '',
    got.clicks < answered.clicks || got.clicks > answered.clicksSent
      ? `clicks: ${got.clicks} stored, ${answered.clicks} answered, ${answered.clicksSent} sent`
      : '',
    got.bots > 0 ? `${got.bots} hits classified as machines: the load was meant to take the human path` : '',
    unexpected > 0 ? `${unexpected} answers were neither the GIF nor the redirect` : '',
  ].filter(Boolean);
  if (problems.length) throw new Error(`not every hit was recorded as a person's:\n  ${problems.join('\n  ')}`);
}

if (values.load !== undefined) generateLoad(values.load);
else if (values['fastify-gif']) void serveFastifyGif();
else runMain(main);

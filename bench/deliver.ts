// bench/deliver: N queued ~5 KB emails delivered through the relay transport to a local counting
// SMTP sink: messages/s from the worker's first claim to the last 250 at the sink, and the server's peak RSS.
// The clock starts at the first claim, read from the worker's "first recipients claimed" log line
// (`claimedAt`, its own clock, the same machine's): not at the first message at the sink, which would
// leave out claiming, loading, rendering and signing the first batch and opening the connections, and
// not at spawn, which would count start-up. Postfix's clock starts when its held queue is released.
// When Debian's Postfix is installed, the same number of messages of the same size is relayed by a
// throwaway Postfix from its queue to the same sink in the same run, and the ratio is printed. So is a
// floor (bench/deliver-floor.ts): the same messages composed, DKIM-signed and sent with the same
// libraries and nothing else, the least any DKIM-signing sender built on them does.
//
//   npx tsx bench/deliver.ts [--n 20000] [--concurrency 20] [--workers 1] [--pg] [--no-postfix] [--postfix-log]
// [--quiet-wait 60] [--no-tracking]
//
// The domain keeps Taifa Mail's defaults (open and click tracking on: each recipient's copy gets its
// own pixel and tracked links, so the HTML is rewritten per message) unless --no-tracking turns both off.
//
// Phase 1: Taifa Mail (child process) with TAIFA_ROLES=api, relay delivery to the sink, sandbox off;
// the domain verifies through a loopback DNS server holding the records the API asked for; N emails
// are queued through POST /v1/emails/ by autocannon in its own process, `--concurrency` requests at a time. Phase 2:
// that server is
// stopped (SIGTERM) and started again with TAIFA_ROLES=worker,api on the same database: the worker
// drains the queue (--workers K > 1 adds K-1 processes with TAIFA_ROLES=worker on the same database,
// e.g. one per core as Postfix runs parallel delivery agents; each has its own relay connection
// cap). Then every recipient must be `sent` in the database. Not a test: `npm test`
// does not run it. The machine is shared: before each drain it waits up to --quiet-wait seconds for
// other processes to calm down, and it prints the share of the CPUs they used during each drain.
import { parseArgs } from 'node:util';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { publishRecords } from '../test/helpers/verified-domain.js';
import { startCountSink } from './count-sink.js';
import {
  addDomain,
  addOwnComm,
  codeVersion,
  addSender,
  api,
  countRows,
  cpuWindow,
  describeOtherLoad,
  fmt,
  machine,
  memorySampler,
  newBenchKey,
  onCleanup,
  runMain,
  sendBody,
  sleep,
  spawnNode,
  startTaifa,
  table,
  tempDir,
  tempPostgres,
  treeCpuMs,
  waitForQuiet,
  type Child,
  type CpuWindow,
} from './lib.js';
import { havePostfix, postfixVersion, startPostfix } from './postfix.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
    pg: { type: 'boolean', default: false },
    'no-postfix': { type: 'boolean', default: false },
    'postfix-log': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
    'no-tracking': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npx tsx bench/deliver.ts [--n 20000] [--concurrency 20] [--workers 1] [--pg] [--no-postfix] [--postfix-log] [--quiet-wait 60] [--no-tracking]\n',
  );
  process.exit(0);
}
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const WORKERS = Math.max(1, Number(values.workers));
/** Simultaneous connections to the relay, for both Taifa Mail and Postfix. */
const RELAY_CONNECTIONS = 20;
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Watches a server's stdout for the worker's first claim; resolves its `claimedAt` (epoch ms). */
function firstClaimOf(child: Child): { at(): number | null } {
  let at: number | null = null;
  let partial = '';
  child.proc.stdout!.on('data', (d: Buffer) => {
    if (at !== null) return;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"first recipients claimed"')) continue;
      try {
        at = Number((JSON.parse(line) as { claimedAt: number }).claimedAt);
      } catch {
        /* not a whole JSON line */
      }
      if (at !== null) return;
    }
  });
  return { at: () => at };
}

/**
 * N POST /v1/emails/ with `CONCURRENCY` in flight, sent by autocannon from its own process
 * (bench/load.ts, as in bench/send.ts); each email has its own recipient and receipt number.
 * Every answer must be 202.
 */
async function enqueue(url: string, key: string, from: string, n: number): Promise<void> {
  const body = JSON.stringify(sendBody(from, 0, 'customer{{n}}@recipient.example')).replaceAll('#100000', '#{{n}}');
  const child = spawnNode('autocannon', ['bench/load.ts'], {
    BENCH_LOAD: JSON.stringify({
      url: `${url}/v1/emails/`,
      connections: CONCURRENCY,
      amount: n,
      body,
      headers: { authorization: `Bearer ${key}` },
    }),
  });
  const code = await child.exited;
  const line = child
    .output()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (code !== 0 || !line) throw new Error(`load generator exited ${code}: ${child.output()}`);
  const r = JSON.parse(line) as { statusCounts: Record<string, number>; errors: number; timeouts: number };
  if ((r.statusCounts['202'] ?? 0) !== n)
    throw new Error(
      `POST /v1/emails/: expected ${n} × 202, got ${JSON.stringify(r.statusCounts)}, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
}

async function main(): Promise<void> {
  const key = newBenchKey();
  const sink = await startCountSink();
  onCleanup(() => sink.close());
  const dns = await startDnsServer({});
  onCleanup(() => dns.close());
  const dir = tempDir('taifa-bench-deliver-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  const dbName = values.pg ? 'PostgreSQL' : 'SQLite';
  if (values.pg) addOwnComm('postgres');
  const env = {
    TAIFA_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_SANDBOX: 'false',
    TAIFA_HELO_NAME: 'mta.bench.example.com',
    TAIFA_DNS_SERVERS: dns.address,
    TAIFA_DELIVERY: 'relay',
    TAIFA_SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`,
    TAIFA_MAX_CONNECTIONS_PER_DESTINATION: String(RELAY_CONNECTIONS),
  };
  log(`bench/deliver: N=${N}, ${dbName}, sink on 127.0.0.1:${sink.port}, DNS on ${dns.address}`);

  // Phase 1: the API alone queues N emails.
  const api1 = await startTaifa('taifa (api)', { ...env, TAIFA_ROLES: 'api' });
  const domain = await addDomain(api1.url, key, 'bench.example.com');
  publishRecords(dns, domain.records);
  const verify = await api(api1.url, key, 'POST', `/v1/domains/${domain.id}/verify`);
  if (verify.body?.status !== 'verified')
    throw new Error(
      `the domain did not verify through the loopback DNS: ${JSON.stringify(verify.body).slice(0, 1000)}`,
    );
  const from = 'receipts@bench.example.com';
  await addSender(api1.url, key, from);
  if (values['no-tracking']) {
    const patch = await api(api1.url, key, 'PATCH', `/v1/domains/${domain.id}`, {
      open_tracking: false,
      click_tracking: false,
    });
    if (patch.status !== 200)
      throw new Error(`PATCH /v1/domains/${domain.id}: ${patch.status} ${JSON.stringify(patch.body).slice(0, 300)}`);
  }
  const settings = (await api(api1.url, key, 'GET', `/v1/domains/${domain.id}`)).body as {
    open_tracking?: boolean;
    click_tracking?: boolean;
  };
  const tracking = `open tracking ${settings.open_tracking === undefined ? 'n/a' : settings.open_tracking ? 'on' : 'off'}, click tracking ${settings.click_tracking === undefined ? 'n/a' : settings.click_tracking ? 'on' : 'off'}`;
  log(`phase 1: queueing ${N} emails through POST /v1/emails/ (${CONCURRENCY} at a time, worker off)…`);
  const t0 = Date.now();
  const apiCpu0 = treeCpuMs(api1.pid);
  await enqueue(api1.url, key, from, N);
  const enqueueSeconds = (Date.now() - t0) / 1000;
  const enqueueCpuMs = treeCpuMs(api1.pid) - apiCpu0;
  const stopCode = await api1.stop();
  if (stopCode !== 0) log(`warning: the api-only server exited with ${stopCode}`);
  const queued = await countRows(databaseUrl, "SELECT count(*) AS n FROM email_recipients WHERE status = 'queued'");
  if (queued !== N) throw new Error(`expected ${N} queued recipients after phase 1, found ${queued}`);
  if (sink.count !== 0) throw new Error(`the sink got ${sink.count} messages while the worker was off`);

  // Phase 2: worker,api on the same database drains the queue.
  const quiet = await waitForQuiet(Number(values['quiet-wait']));
  log(`phase 2: starting TAIFA_ROLES=worker,api on a queue of ${N}…`);
  const samplers: Array<ReturnType<typeof memorySampler>> = [];
  const claims: Array<{ at(): number | null }> = [];
  const spawnedAt = Date.now();
  const taifaWindow = cpuWindow();
  // LOG_LEVEL=info for the "first recipients claimed" line; the worker logs nothing per message at info.
  const servers = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) =>
      startTaifa(
        i === 0 ? 'taifa (worker,api)' : `taifa (worker ${i + 1})`,
        { ...env, TAIFA_ROLES: i === 0 ? 'worker,api' : 'worker', LOG_LEVEL: 'info' },
        (c) => {
          samplers.push(memorySampler(c.pid, 200));
          claims.push(firstClaimOf(c));
        },
      ),
    ),
  );
  const readyAt = Date.now();
  const serversCpu = () => servers.reduce((sum, s) => sum + treeCpuMs(s.pid), 0);
  const taifaCpu0 = serversCpu();
  await sink.waitFor(N, DRAIN_TIMEOUT_MS, (c) => log(`  sink: ${c} of ${N}`));
  const taifaServerMs = serversCpu() - taifaCpu0;
  const taifaCpu = taifaWindow.stop();
  const drain = {
    count: sink.count,
    first: sink.firstAt,
    last: sink.lastAt,
    bytes: sink.bytes,
    maxConnections: sink.maxConcurrentConnections,
    connections: sink.connections,
  };
  // The sink has them all; the database must say so too (the last group commits may lag a moment).
  let sent = 0;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
    sent = await countRows(databaseUrl, "SELECT count(*) AS n FROM email_recipients WHERE status = 'sent'");
    if (sent >= N) break;
  }
  const emailsSent = await countRows(databaseUrl, "SELECT count(*) AS n FROM emails WHERE status = 'sent'");
  const peakRss = Math.max(...samplers.map((m) => m.stop()));
  await Promise.all(servers.map((s) => s.stop()));
  const claimTimes = claims.map((c) => c.at()).filter((t): t is number => t !== null);
  if (claimTimes.length === 0)
    throw new Error('no worker logged "first recipients claimed": cannot start the clock at the first claim');
  const firstClaimAt = Math.min(...claimTimes);
  const taifaClaimRate = N / ((drain.last - firstClaimAt) / 1000);
  const taifaRate = (N - 1) / ((drain.last - drain.first) / 1000);
  const taifaWall = N / ((drain.last - spawnedAt) / 1000);
  const avgBytes = drain.bytes / N;
  if (sink.count > N) log(`warning: the sink got ${sink.count} messages for ${N} emails (duplicates)`);

  // Postfix: the same number of messages of the same size, held in its queue, then released.
  let pf: {
    serverMs: number;
    rate: number;
    wall: number;
    acceptRate: number;
    peakRss: number | null;
    bytes: number;
    maxConnections: number;
    cpu: CpuWindow;
    quiet: CpuWindow;
  } | null = null;
  let postfixNote = "postfix baseline: not measured (Debian's postfix is not installed)";
  if (values['no-postfix']) postfixNote = 'postfix baseline: not measured (--no-postfix)';
  else if (havePostfix()) {
    log(`postfix: queueing ${N} messages of ${Math.round(avgBytes)} bytes (held)…`);
    const postfix = await startPostfix({
      relayPort: sink.port,
      concurrency: RELAY_CONNECTIONS,
      log: values['postfix-log'] ? 'file' : 'null',
    });
    const injectSeconds = await postfix.inject(N, Math.round(avgBytes), CONCURRENCY);
    for (let i = 0; i < 100 && postfix.held() < N; i++) await sleep(100);
    if (postfix.held() !== N) throw new Error(`postfix: ${postfix.held()} of ${N} messages on hold`);
    const pfQuiet = await waitForQuiet(Number(values['quiet-wait']));
    sink.reset();
    log('postfix: releasing the queue…');
    const releasedAt = Date.now();
    const pfWindow = cpuWindow();
    const pfCpu0 = treeCpuMs(postfix.masterPid);
    await postfix.release();
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, postfix.rssMiB() ?? 0)), 200);
    try {
      await sink.waitFor(N, DRAIN_TIMEOUT_MS, (c) => log(`  sink: ${c} of ${N}`));
    } finally {
      clearInterval(sample);
    }
    const pfServerMs = treeCpuMs(postfix.masterPid) - pfCpu0;
    const pfCpu = pfWindow.stop();
    pf = {
      serverMs: pfServerMs,
      cpu: pfCpu,
      quiet: pfQuiet,
      rate: (N - 1) / ((sink.lastAt - sink.firstAt) / 1000),
      wall: N / ((sink.lastAt - releasedAt) / 1000),
      acceptRate: N / injectSeconds,
      peakRss: peak || null,
      bytes: sink.bytes / N,
      maxConnections: sink.maxConcurrentConnections,
    };
    for (let i = 0; i < 100 && postfix.queued() > 0; i++) await sleep(100);
    await postfix.stop();
    postfixNote = '';
  }

  // The floor: nodemailer + Taifa Mail's DKIM signer alone (bench/deliver-floor.ts), as many processes
  // as Taifa Mail ran, sharing the same number of connections to the same sink.
  log(`floor: ${N} messages from nodemailer + DKIM, no database…`);
  const floorQuiet = await waitForQuiet(Number(values['quiet-wait']));
  sink.reset();
  const floorWindow = cpuWindow();
  const floorStart = Date.now();
  const floorChildren = Array.from({ length: WORKERS }, (_, i) =>
    spawnNode(`floor ${i + 1}`, ['bench/deliver-floor.ts'], {
      FLOOR_PORT: String(sink.port),
      FLOOR_FROM: String(Math.floor((i * N) / WORKERS)),
      FLOOR_N: String(Math.floor(((i + 1) * N) / WORKERS) - Math.floor((i * N) / WORKERS)),
      FLOOR_CONNECTIONS: String(Math.ceil(RELAY_CONNECTIONS / WORKERS)),
    }),
  );
  await sink.waitFor(N, DRAIN_TIMEOUT_MS, (c) => log(`  sink: ${c} of ${N}`));
  const floorCodes = await Promise.all(floorChildren.map((c) => c.exited));
  const floorCpu = floorWindow.stop();
  if (floorCodes.some((c) => c !== 0))
    throw new Error(
      `the floor's sender exited with ${floorCodes.join(', ')}: ${floorChildren.map((c) => c.output()).join('\n')}`,
    );
  const floorServerMs = floorChildren.reduce(
    (sum, c) =>
      sum +
      (
        JSON.parse(
          c
            .output()
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .pop() ?? '{"cpuMs":0}',
        ) as { cpuMs: number }
      ).cpuMs,
    0,
  );
  const fl = {
    rate: (N - 1) / ((sink.lastAt - sink.firstAt) / 1000),
    wall: N / ((sink.lastAt - floorStart) / 1000),
    bytes: sink.bytes / N,
    maxConnections: sink.maxConcurrentConnections,
  };

  const rows: Array<Array<string | number>> = [
    [
      '',
      'msg/s claim→last 250',
      'msg/s first→last 250',
      'msg/s start→last',
      'server CPU ms/msg',
      'peak RSS MiB',
      'avg msg bytes',
      'max relay conns',
      'machine CPU %',
    ],
    [
      `Taifa Mail (${WORKERS === 1 ? '1 process, worker,api' : `${WORKERS} worker processes`}, ${dbName})`,
      fmt(taifaClaimRate),
      fmt(taifaRate),
      fmt(taifaWall),
      fmt(taifaServerMs / N, 2),
      WORKERS === 1 ? fmt(peakRss) : `${fmt(peakRss)} (per process)`,
      fmt(avgBytes),
      fmt(drain.maxConnections),
      fmt(taifaCpu.machinePct),
    ],
  ];
  rows.push([
    `floor: nodemailer + DKIM, no database (${WORKERS} process${WORKERS === 1 ? '' : 'es'})`,
    'n/a',
    fmt(fl.rate),
    fmt(fl.wall),
    fmt(floorServerMs / N, 2),
    'n/a',
    fmt(fl.bytes),
    fmt(fl.maxConnections),
    fmt(floorCpu.machinePct),
  ]);
  if (pf) {
    rows.push([
      `Postfix ${postfixVersion()} (queue → relay)`,
      `${fmt(pf.wall)} (from release)`,
      fmt(pf.rate),
      fmt(pf.wall),
      fmt(pf.serverMs / N, 2),
      pf.peakRss === null ? 'n/a' : `${fmt(pf.peakRss)} (all procs)`,
      fmt(pf.bytes),
      fmt(pf.maxConnections),
      fmt(pf.cpu.machinePct),
    ]);
  }
  const out = [
    '',
    `bench/deliver — N = ${fmt(N)} queued emails (~5 KB JSON each: html + text, one recipient), relay mode to a local counting SMTP sink, DKIM-signed, ${tracking}`,
    `phase 1: TAIFA_ROLES=api queued them through POST /v1/emails/ (${CONCURRENCY} in flight) in ${enqueueSeconds.toFixed(1)} s (${fmt(N / enqueueSeconds)} emails/s, server CPU ${fmt(enqueueCpuMs / N, 2)} ms per email, cold process without warm-up)`,
    `phase 2: restarted with TAIFA_ROLES=worker,api; ready ${((readyAt - spawnedAt) / 1000).toFixed(1)} s after spawn, first claim after ${((firstClaimAt - spawnedAt) / 1000).toFixed(1)} s, first message at the sink after ${((drain.first - spawnedAt) / 1000).toFixed(1)} s, last after ${((drain.last - spawnedAt) / 1000).toFixed(1)} s`,
    '',
    table(rows),
    '',
    pf
      ? `ratio Taifa (first claim→last 250) / Postfix (release→last 250): ${(taifaClaimRate / pf.wall).toFixed(2)}   target ≥ 1.50: ${taifaClaimRate / pf.wall >= 1.5 ? 'met' : 'NOT met'}`
      : postfixNote,
    `floor: ${fmt(fl.wall)} msg/s from spawn to the last message${pf ? ` = ${(fl.wall / pf.wall).toFixed(2)} × Postfix` : ''}; Taifa / floor: ${(taifaClaimRate / fl.wall).toFixed(2)} — the floor composes each message with nodemailer,` +
      ' signs it with the same DKIM signer and sends it over a nodemailer pool to the same sink: no queue, no database, no tracking, no VERP; no DKIM-signing sender on these libraries does less per message',
    `server CPU ms/msg: user+system time of the server's processes from ready (Taifa) or release (Postfix) to the last message, little affected by other load${values.pg ? "; PostgreSQL's own processes not included" : ''}`,
    `database: ${fmt(sent)} of ${fmt(N)} recipients \`sent\`${sent === N ? ' ✓' : ' ✗'}, ${fmt(emailsSent)} emails \`sent\`; the sink got ${fmt(drain.count)} messages over ${fmt(drain.connections)} connections`,
  ];
  if (pf) {
    out.push(
      `postfix setup: throwaway instance (own config and queue dirs under a temp dir), relayhost the same sink, default_destination_concurrency_limit=${RELAY_CONNECTIONS}; ` +
        `${fmt(N)} messages of ${fmt(Math.round(avgBytes))} bytes (Taifa's average) sent with smtp-source (${CONCURRENCY} sessions) into the hold queue at ${fmt(pf.acceptRate)} msg/s, then postsuper -H ALL + postqueue -f; not DKIM-signed`,
    );
  }
  out.push(
    `other load: before the Taifa drain ${describeOtherLoad(quiet)}; during it ${describeOtherLoad(taifaCpu)}` +
      `; before the floor ${describeOtherLoad(floorQuiet)}; during it ${describeOtherLoad(floorCpu)}` +
      (pf ? `; before the Postfix drain ${describeOtherLoad(pf.quiet)}; during it ${describeOtherLoad(pf.cpu)}` : ''),
    `machine: ${machine()}; code: ${codeVersion()}`,
    '',
  );
  process.stdout.write(out.join('\n'));
}

runMain(main);

// bench/send: how many emails per second POST /v1/emails/ accepts (202: committed to disk), measured
// with autocannon from a second process, beside a bare Fastify no-op route loaded identically in the
// same run (the baseline), a storage floor (the same route also storing each body as one SQLite row: see
// noop-server.ts), and — when Debian's Postfix is installed — Postfix's SMTP acceptance rate.
//
//   npx tsx bench/send.ts [--duration 15] [--connections 20] [--warmup 3] [--pg] [--no-postfix] [--quiet-wait 60]
//                         [--suppressions N [--rounds 2]]
//
// --suppressions N then measures Taifa Mail in --rounds rounds, alternating: N suppressions stored for the
// bench account (inserted through the store's repository, none of them a recipient of the load, so that
// what is measured is the look-up every accepted email makes), then none (deleted). It prints every run
// and the median rate with N against the median with none (the main run included): alternating spreads
// the drift of a growing database and of other load over both sides.
//
// The machine is shared: before measuring it waits up to --quiet-wait seconds for other processes to
// calm down, and for each measurement it prints the share of the CPUs that processes outside the
// benchmark used (PostgreSQL's processes count as the benchmark's in a --pg run).
//
// Taifa Mail runs as a child process with TAIFA_ROLES=api: the delivery worker is off so that it
// does not compete for the 2 cores while acceptance is measured (emails stay queued). Sandbox mode,
// so the domain verifies without DNS. SQLite by default (WAL, each commit fdatasynced before its answer); --pg uses a
// fresh
// PostgreSQL database on 127.0.0.1:5432, dropped afterwards. Not a test: `npm test` does not run it.
import { parseArgs } from 'node:util';
import {
  addOwnComm,
  codeVersion,
  countRows,
  cpuWindow,
  describeOtherLoad,
  fmt,
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
  treeCpuMs,
  waitForQuiet,
  waitHealthy,
  type CpuWindow,
} from './lib.js';
import { havePostfix, postfixVersion, startPostfix } from './postfix.js';
import { clearBenchSuppressions, storeBenchSuppressions } from './suppressions.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    pg: { type: 'boolean', default: false },
    'no-postfix': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
    suppressions: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npx tsx bench/send.ts [--duration 15] [--connections 20] [--warmup 3] [--pg] [--no-postfix] [--quiet-wait 60] [--suppressions N [--rounds 2]]\n',
  );
  process.exit(0);
}
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const WARMUP = Number(values.warmup);
const SUPPRESSIONS = Number(values.suppressions);
const ROUNDS = Number(values.rounds);

interface LoadResult {
  seconds: number;
  total: number;
  statusCounts: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/** Runs autocannon in its own process (bench/load.ts) against `url` + /v1/emails/. */
async function load(url: string, body: string, headers: Record<string, string>, duration: number): Promise<LoadResult> {
  const child = spawnNode('autocannon', ['bench/load.ts'], {
    BENCH_LOAD: JSON.stringify({ url: `${url}/v1/emails/`, connections: CONNECTIONS, duration, body, headers }),
  });
  const code = await child.exited;
  const line = child
    .output()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (code !== 0 || !line) throw new Error(`load generator exited ${code}: ${child.output()}`);
  return JSON.parse(line) as LoadResult;
}

async function main(): Promise<void> {
  const key = newBenchKey();
  const dir = tempDir('taifa-bench-send-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  const dbName = values.pg ? 'PostgreSQL' : 'SQLite';
  if (values.pg) addOwnComm('postgres');
  process.stderr.write(
    `bench/send: ${dbName}, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per target\n`,
  );

  const taifa = await startTaifa('taifa', {
    TAIFA_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    TAIFA_SANDBOX: 'true',
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_ROLES: 'api',
  });
  const from = await sandboxSender(taifa.url, key);
  // `{{n}}` becomes a number unique to each request (bench/load.ts): its own recipient and receipt number.
  const body = JSON.stringify(sendBody(from, 42, 'customer{{n}}@recipient.example')).replaceAll('#100042', '#{{n}}');
  const auth = { authorization: `Bearer ${key}` };

  // The baselines, in their own processes: the no-op route, and the storage floor (see noop-server.ts).
  const startBaseline = async (name: string, env: Record<string, string>) => {
    const port = await freePort();
    const child = spawnNode(name, ['bench/noop-server.ts'], { PORT: String(port), ...env });
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(child, `${url}/healthz`);
    return { child, url };
  };
  const noop = await startBaseline('no-op route', {});
  const floor = await startBaseline('storage floor', { STORE: `${dir}/floor.db` });

  // Warm all up (JIT, SQLite page cache), then measure one after the other, each alone on the CPUs.
  if (WARMUP > 0) {
    process.stderr.write('warming up…\n');
    await load(noop.url, body, {}, WARMUP);
    await load(floor.url, body, {}, WARMUP);
    const w = await load(taifa.url, body, auth, WARMUP);
    if (!w.statusCounts['202'])
      throw new Error(`Taifa Mail answered no 202 in the warm-up: ${JSON.stringify(w.statusCounts)}`);
  }
  await sleep(500);
  const quiet = await waitForQuiet(Number(values['quiet-wait']));
  const rowsBefore = await countRows(databaseUrl, 'SELECT count(*) AS n FROM emails');
  const measureBaseline = async (what: string, b: typeof noop) => {
    process.stderr.write(`measuring ${what}…\n`);
    const window = cpuWindow();
    const before = treeCpuMs(b.child.pid);
    const result = await load(b.url, body, {}, DURATION);
    const serverMs = treeCpuMs(b.child.pid) - before;
    const cpu = window.stop();
    await b.child.stop();
    return { result, serverMs, cpu };
  };
  const { result: base, serverMs: baseServerMs, cpu: baseCpu } = await measureBaseline('the no-op route', noop);
  const { result: fl, serverMs: floorServerMs, cpu: floorCpu } = await measureBaseline('the storage floor', floor);
  process.stderr.write('measuring Taifa Mail POST /v1/emails/…\n');
  const w = cpuWindow();
  const cpu0 = treeCpuMs(taifa.pid);
  const t = await load(taifa.url, body, auth, DURATION);
  const taifaServerMs = treeCpuMs(taifa.pid) - cpu0;
  const taifaCpu = w.stop();
  // Requests still in flight when the load stopped may commit after it: let them, then count.
  await sleep(1000);
  const rowsAfter = await countRows(databaseUrl, 'SELECT count(*) AS n FROM emails');
  const recipientsQueued = await countRows(
    databaseUrl,
    "SELECT count(*) AS n FROM email_recipients WHERE status = 'queued'",
  );
  // Rounds of: N suppressions stored, then none (see the header).
  const suppressionRuns: Array<{ label: string; withN: boolean; result: LoadResult; cpuMs: number }> = [];
  /** A run of the load, with the server's CPU time per request (steadier than the rate on a busy machine). */
  const measured = async (): Promise<{ result: LoadResult; cpuMs: number }> => {
    const before = treeCpuMs(taifa.pid);
    const result = await load(taifa.url, body, auth, DURATION);
    return { result, cpuMs: (treeCpuMs(taifa.pid) - before) / Math.max(1, result.total) };
  };
  for (let round = 1; SUPPRESSIONS > 0 && round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}: storing ${fmt(SUPPRESSIONS)} suppressions…\n`);
    await storeBenchSuppressions(databaseUrl, SUPPRESSIONS, from.slice(from.indexOf('@') + 1));
    const stored = await countRows(databaseUrl, 'SELECT count(*) AS n FROM suppressions');
    await sleep(500);
    process.stderr.write(`round ${round}: measuring with ${fmt(stored)} suppressions…\n`);
    suppressionRuns.push({ label: `${round}: with ${fmt(stored)}`, withN: true, ...(await measured()) });
    await clearBenchSuppressions(databaseUrl);
    await sleep(500);
    process.stderr.write(`round ${round}: measuring with none…\n`);
    suppressionRuns.push({ label: `${round}: with none`, withN: false, ...(await measured()) });
  }
  await taifa.stop();

  // Postfix: smtpd accepting 5 KB messages over persistent SMTP sessions into its (fsynced) queue, on hold.
  let postfix: {
    rate: number;
    accepted: number;
    held: number;
    seconds: number;
    cpu: CpuWindow;
    serverMs: number;
  } | null = null;
  let postfixNote = "postfix not measured (Debian's postfix is not installed)";
  if (values['no-postfix']) postfixNote = 'postfix not measured (--no-postfix)';
  else if (havePostfix()) {
    process.stderr.write('measuring Postfix SMTP acceptance…\n');
    const pf = await startPostfix({ relayPort: 9, concurrency: 20 });
    const bytes = body.length;
    if (WARMUP > 0) await pf.inject(500, bytes, CONNECTIONS);
    await waitForQuiet(Number(values['quiet-wait']));
    const heldBefore = pf.held();
    // smtp-source sends a fixed count: send chunks until the duration has passed.
    let accepted = 0;
    let seconds = 0;
    const chunk = 2000;
    const pw = cpuWindow();
    const pfCpu0 = treeCpuMs(pf.masterPid);
    while (seconds < DURATION) {
      seconds += await pf.inject(chunk, bytes, CONNECTIONS);
      accepted += chunk;
    }
    const serverMs = treeCpuMs(pf.masterPid) - pfCpu0;
    const cpu = pw.stop();
    await sleep(500);
    const held = pf.held() - heldBefore;
    await pf.stop();
    postfix = { rate: accepted / seconds, accepted, held, seconds, cpu, serverMs };
    postfixNote = '';
  }

  const accepted = t.statusCounts['202'] ?? 0;
  const rate = accepted / t.seconds;
  const baseRate = (base.statusCounts['202'] ?? 0) / base.seconds;
  const ratio = rate / baseRate;
  const floorRate = (fl.statusCounts['202'] ?? 0) / fl.seconds;
  const stored = rowsAfter - rowsBefore;
  const inFlight = stored - accepted;
  const rows: Array<Array<string | number>> = [
    [
      'target',
      'accepted/s',
      '202s',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'errors',
      'seconds',
      'server CPU ms/msg',
      'machine CPU %',
    ],
    [
      'no-op Fastify route (baseline)',
      fmt(baseRate),
      fmt(base.statusCounts['202'] ?? 0),
      fmt(base.p50, 1),
      fmt(base.p99, 1),
      fmt(base.non2xx),
      fmt(base.errors + base.timeouts),
      fmt(base.seconds, 1),
      fmt(baseServerMs / Math.max(1, base.total), 3),
      fmt(baseCpu.machinePct),
    ],
    [
      'storage floor: no-op + 1 SQLite row',
      fmt(floorRate),
      fmt(fl.statusCounts['202'] ?? 0),
      fmt(fl.p50, 1),
      fmt(fl.p99, 1),
      fmt(fl.non2xx),
      fmt(fl.errors + fl.timeouts),
      fmt(fl.seconds, 1),
      fmt(floorServerMs / Math.max(1, fl.total), 3),
      fmt(floorCpu.machinePct),
    ],
    [
      `Taifa Mail POST /v1/emails/ (${dbName})`,
      fmt(rate),
      fmt(accepted),
      fmt(t.p50, 1),
      fmt(t.p99, 1),
      fmt(t.non2xx),
      fmt(t.errors + t.timeouts),
      fmt(t.seconds, 1),
      fmt(taifaServerMs / Math.max(1, t.total), 3),
      fmt(taifaCpu.machinePct),
    ],
  ];
  if (postfix) {
    rows.push([
      `Postfix ${postfixVersion()} smtpd (smtp-source -d)`,
      fmt(postfix.rate),
      fmt(postfix.accepted),
      'n/a',
      'n/a',
      '0',
      '0',
      fmt(postfix.seconds, 1),
      fmt(postfix.serverMs / postfix.accepted, 3),
      fmt(postfix.cpu.machinePct),
    ]);
  }
  const pass = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const out = [
    '',
    `bench/send — POST /v1/emails/, ${fmt(body.length)}-byte JSON body (html + text, one "to" and receipt number unique per request, subject, tags), ${CONNECTIONS} connections, ${DURATION} s per target after ${WARMUP} s warm-up`,
    `load generator: autocannon in its own process; Taifa Mail: one process, TAIFA_ROLES=api (worker off while measuring), sandbox, ${dbName}, LOG_LEVEL=warn`,
    '',
    table(rows),
    '',
    `ratio Taifa / no-op: ${ratio.toFixed(2)}   target ≥ 0.50 on SQLite: ${values.pg ? 'n/a (PostgreSQL run)' : pass(ratio >= 0.5)}`,
    `ratio storage floor / no-op: ${(floorRate / baseRate).toFixed(2)}; Taifa / storage floor: ${(rate / floorRate).toFixed(2)} — the floor stores each body as one row of one table` +
      ' (SQLite checkpointed as Taifa Mail is, a transaction per event-loop turn, no fsync, no auth, no validation, no other row or index): no server that keeps what it accepts can beat it here',
    `server CPU per message: Taifa ${fmt(taifaServerMs / Math.max(1, t.total), 3)} ms vs no-op ${fmt(baseServerMs / Math.max(1, base.total), 3)} ms` +
      (postfix ? ` vs Postfix ${fmt(postfix.serverMs / postfix.accepted, 3)} ms (all its processes)` : '') +
      ' — user+system time of the server process(es) during the window, little affected by other load' +
      (values.pg ? "; PostgreSQL's own processes not included" : ''),
    postfix
      ? `ratio Taifa / Postfix SMTP acceptance: ${(rate / postfix.rate).toFixed(2)}   target ≥ 2.00: ${pass(rate / postfix.rate >= 2)}`
      : postfixNote,
    `durability: ${fmt(accepted)} answered 202; ${fmt(stored)} emails committed in the database during the run` +
      (inFlight === 0
        ? ' — equal'
        : inFlight > 0 && inFlight <= CONNECTIONS
          ? ` — ${inFlight} more: requests in flight when the load stopped (committed, answer not read)`
          : ' — MISMATCH') +
      `; ${fmt(recipientsQueued)} recipients queued in all (incl. warm-up)`,
  ];
  if (suppressionRuns.length > 0) {
    const rateOf = (r: LoadResult) => (r.statusCounts['202'] ?? 0) / r.seconds;
    const runs = [
      { label: '0: with none', withN: false, result: t, cpuMs: taifaServerMs / Math.max(1, t.total) },
      ...suppressionRuns,
    ];
    const median = (xs: number[]) => {
      const v = [...xs].sort((x, y) => x - y);
      return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
    };
    const withRate = median(runs.filter((r) => r.withN).map((r) => rateOf(r.result)));
    const noneRate = median(runs.filter((r) => !r.withN).map((r) => rateOf(r.result)));
    const withCpu = median(runs.filter((r) => r.withN).map((r) => r.cpuMs));
    const noneCpu = median(runs.filter((r) => !r.withN).map((r) => r.cpuMs));
    out.push(
      '',
      `suppressions: one look-up per accepted email, on ${dbName}; runs in this order, in the same server:`,
      ...runs.map(
        (r) =>
          `  ${r.label.padEnd(16)} ${fmt(rateOf(r.result)).padStart(7)} accepted/s  p50 ${fmt(r.result.p50, 1)} ms` +
          `  p99 ${fmt(r.result.p99, 1)} ms  non-2xx ${fmt(r.result.non2xx)}  server CPU ${fmt(r.cpuMs, 3)} ms/msg`,
      ),
      `  median with ${fmt(SUPPRESSIONS)}: ${fmt(withRate)} accepted/s; median with none: ${fmt(noneRate)} accepted/s;` +
        ` with / without ${(withRate / noneRate).toFixed(3)}   target ≥ 0.90: ${pass(withRate / noneRate >= 0.9)}`,
      `  median server CPU per message: ${fmt(withCpu, 3)} ms with ${fmt(SUPPRESSIONS)}, ${fmt(noneCpu, 3)} ms with none` +
        ` (${(((withCpu - noneCpu) / noneCpu) * 100).toFixed(1)}%)`,
    );
  }
  if (postfix) {
    out.push(
      `postfix durability: ${fmt(postfix.accepted)} sent by smtp-source, ${fmt(postfix.held)} queue files on hold${postfix.held >= postfix.accepted ? ' — equal' : ' — MISMATCH'}`,
    );
    out.push(
      `postfix setup: throwaway instance (own config and queue dirs under a temp dir), smtpd on 127.0.0.1, ${fmt(body.length)}-byte messages, held (no delivery while measuring), in_flow_delay=0, log to /dev/null`,
    );
  }
  out.push(
    `other load: before start ${describeOtherLoad(quiet)}; during the no-op run ${describeOtherLoad(baseCpu)}; during the floor run ${describeOtherLoad(floorCpu)}; during the Taifa run ${describeOtherLoad(taifaCpu)}` +
      (postfix ? `; during the Postfix run ${describeOtherLoad(postfix.cpu)}` : ''),
    `machine: ${machine()}; code: ${codeVersion()}`,
    '',
  );
  process.stdout.write(out.join('\n'));
}

runMain(main);

// bench/track: pixel and click throughput and latency under load from a second process, beside a
// bare node:http server answering the same GIF in the same run; then counts that every hit the
// load made was recorded. Usage: npx tsx bench/track.ts [--pg] [--duration 10] [--connections 50]
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { openStore } from '../src/store/database.js';
import { TrackingTokens } from '../src/tracking/tokens.js';
import { api, freePort, machine, newBenchKey, runMain, spawnNode, startTaifa, tempDir, tempPostgres, waitHealthy } from './lib.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { pg: { type: 'boolean', default: false }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const SECRET = 'bench-tracking-secret';
const BENCH_KEY = newBenchKey();

interface Load { ok: number; rps: number; p50: number; p99: number; non2xx: number; errors: number }

async function load(url: string, paths: string[]): Promise<Load> {
  const arg = JSON.stringify({ url, paths, connections: Number(values.connections), duration: Number(values.duration) });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/load-runner.ts', arg], { maxBuffer: 1 << 26 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Load;
}

async function main(): Promise<void> {
  const dir = tempDir('taifa-bench-track-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  // API and tracking only: the emails stay queued, which is all a tracking token needs.
  const taifa = await startTaifa('taifa', { TAIFA_DATA_DIR: dir, DATABASE_URL: databaseUrl, TAIFA_SANDBOX: 'true', TAIFA_BOOTSTRAP_API_KEY: BENCH_KEY, TAIFA_ROLES: 'api,tracking', TAIFA_SECRET: SECRET });
  const d = await api(taifa.url, BENCH_KEY, 'POST', '/v1/domains', { name: 'bench.example.com' });
  await api(taifa.url, BENCH_KEY, 'POST', `/v1/domains/${d.body.id}/verify`);
  await api(taifa.url, BENCH_KEY, 'POST', '/v1/senders', { email: 'news@bench.example.com' });
  const batch = Array.from({ length: 100 }, (_, i) => ({ from_: { email: 'news@bench.example.com' }, to: [{ email: `reader${i}@recipient.example` }], subject: `Issue ${i}`, html: '<p>Hi</p>' }));
  const accepted = await api(taifa.url, BENCH_KEY, 'POST', '/v1/emails/batch', batch);
  const emailIds = (accepted.body.results as Array<{ id: string }>).map((r) => r.id);

  // Tokens for each recipient, signed with the server's secret (as the renderer would).
  const store = openStore(databaseUrl);
  const recipients = await store.db.selectFrom('email_recipients').select(['id', 'email_id']).where('email_id', 'in', emailIds).execute();
  const tokens = new TrackingTokens(SECRET);
  const opens = recipients.map((r) => `/v1/track/open/${tokens.sign({ kind: 'open', emailId: r.email_id, recipientId: r.id })}`);
  const clicks = recipients.map((r, i) => `/v1/track/click/${tokens.sign({ kind: 'click', emailId: r.email_id, recipientId: r.id, url: `https://shop.example.com/item/${i}?utm_source=mail` })}`);

  const barePort = await freePort();
  const bareChild = spawnNode('bare', ['bench/bare-gif-server.ts'], { PORT: String(barePort) });
  const bare = { url: `http://127.0.0.1:${barePort}` };
  await waitHealthy(bareChild, `${bare.url}/`);
  await load(bare.url, ['/x']); // warm-up
  const base = await load(bare.url, opens);
  const pixel = await load(taifa.url, opens);
  const click = await load(taifa.url, clicks);

  // Every hit answered must be on disk once the group commits behind the answers have run.
  const count = async (type: string) => Number((await store.db.selectFrom('email_events').where('event_type', '=', type)
    .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const wantOpens = pixel.ok;
  let opensStored = 0;
  let clicksStored = 0;
  for (let i = 0; i < 300; i++) {
    opensStored = await count('open');
    clicksStored = await count('click');
    // Back-filled opens come on top of the pixel's: count the pixel's through their metadata later if needed.
    if (opensStored >= wantOpens && clicksStored >= click.ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await store.close();
  const f = (n: number) => n.toFixed(0).padStart(8);
  process.stdout.write([
    '',
    `${values.connections} connections, ${values.duration} s each, ${recipients.length} recipients, database ${values.pg ? 'PostgreSQL' : 'SQLite'}`,
    `                          req/s   p50 ms   p99 ms  non-2xx   errors`,
    `bare node:http GIF     ${f(base.rps)} ${f(base.p50)} ${f(base.p99)} ${f(base.non2xx)} ${f(base.errors)}`,
    `Taifa open pixel       ${f(pixel.rps)} ${f(pixel.p50)} ${f(pixel.p99)} ${f(pixel.non2xx)} ${f(pixel.errors)}`,
    `Taifa click redirect   ${f(click.rps)} ${f(click.p50)} ${f(click.p99)} ${f(click.non2xx)} ${f(click.errors)}`,
    `ratio pixel / bare: ${(pixel.rps / base.rps).toFixed(2)}, click / bare: ${(click.rps / base.rps).toFixed(2)} (target ≥ 0.60)`,
    `recorded: ${clicksStored} of ${click.ok} clicks, ${opensStored} opens for ${pixel.ok} pixel hits (+ back-filled opens from clicks)`,
    `machine: ${machine()}`,
    '',
  ].join('\n'));
}

runMain(main);

// The load generator of bench/send.ts, run as its own process so that it never shares a CPU event
// loop with the server it measures. Reads its job from the BENCH_LOAD environment variable (JSON:
// url, connections, duration seconds or amount of requests, body, headers), runs autocannon's programmatic API, and
// prints
// one JSON line with the result. Every `{{n}}` in the body is replaced by a number unique to each
// request (so each email has its own recipient and subject, as in real traffic).
import { createRequire } from 'node:module';

interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const job = JSON.parse(process.env.BENCH_LOAD ?? '{}') as {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  body: string;
  headers: Record<string, string>;
};

const parts = job.body.split('{{n}}');
let n = 0;
const r = await autocannon({
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
  timeout: 30,
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...job.headers },
      body: parts.length === 1 ? job.body : undefined,
      setupRequest:
        parts.length === 1 ? undefined : (req: Record<string, unknown>) => ({ ...req, body: parts.join(String(++n)) }),
    },
  ],
});
const statusCounts = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
process.stdout.write(
  JSON.stringify({
    seconds: r.duration,
    total: r.requests.total,
    statusCounts,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    mean: r.latency.mean,
    max: r.latency.max,
  }) + '\n',
);

// A load generator in its own process: autocannon over a list of paths, result as one JSON line.
// Usage: node --import tsx bench/load-runner.ts '<json {url, paths, connections, duration}>'
import { createRequire } from 'node:module';

interface Result {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: Result) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { url, paths, connections, duration } = JSON.parse(process.argv[2]!) as {
  url: string;
  paths: string[];
  connections: number;
  duration: number;
};
autocannon(
  {
    url,
    connections,
    duration,
    // Each connection walks the list of paths, so hits spread over many recipients and links.
    requests: paths.map((path) => ({ method: 'GET', path })),
  },
  (err, r) => {
    if (err) throw err;
    const ok = r['2xx'] + (r as unknown as { '3xx': number })['3xx'];
    process.stdout.write(
      JSON.stringify({
        ok,
        rps: ok / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      }) + '\n',
    );
  },
);

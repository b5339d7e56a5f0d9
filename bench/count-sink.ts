// A counting SMTP sink for bench/deliver.ts: accepts everything, keeps only counts, bytes and
// times (no parsing, no storage), so that the same sink costs Taifa Mail and Postfix the same.
import { SMTPServer } from 'smtp-server';

/** What the sink has seen since the last reset. */
export interface CountSink {
  port: number;
  readonly count: number;
  readonly bytes: number;
  /** Date.now() when the first and the latest message ended. */
  readonly firstAt: number;
  readonly lastAt: number;
  readonly connections: number;
  readonly maxConcurrentConnections: number;
  reset(): void;
  /** Resolves when `n` messages arrived; `progress` is called every 5 s. */
  waitFor(n: number, timeoutMs: number, progress?: (count: number) => void): Promise<void>;
  close(): Promise<void>;
}

/** Starts the sink on 127.0.0.1 (no TLS, no auth needed). */
export async function startCountSink(): Promise<CountSink> {
  const state = { count: 0, bytes: 0, firstAt: 0, lastAt: 0, connections: 0, open: 0, maxOpen: 0 };
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    authOptional: true,
    maxClients: 1000,
    onConnect(_session, cb) {
      state.connections++;
      state.open++;
      state.maxOpen = Math.max(state.maxOpen, state.open);
      cb();
    },
    onClose() {
      state.open--;
    },
    onData(stream, _session, cb) {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        const now = Date.now();
        if (state.count === 0) state.firstAt = now;
        state.count++;
        state.bytes += bytes;
        state.lastAt = now;
        cb(null, 'Ok');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    get count() {
      return state.count;
    },
    get bytes() {
      return state.bytes;
    },
    get firstAt() {
      return state.firstAt;
    },
    get lastAt() {
      return state.lastAt;
    },
    get connections() {
      return state.connections;
    },
    get maxConcurrentConnections() {
      return state.maxOpen;
    },
    reset() {
      Object.assign(state, { count: 0, bytes: 0, firstAt: 0, lastAt: 0, connections: 0, maxOpen: state.open });
    },
    async waitFor(n, timeoutMs, progress) {
      const deadline = Date.now() + timeoutMs;
      let nextReport = Date.now() + 5000;
      while (state.count < n) {
        if (Date.now() > deadline) throw new Error(`sink: ${state.count} of ${n} messages after ${timeoutMs} ms`);
        if (progress && Date.now() >= nextReport) {
          progress(state.count);
          nextReport += 5000;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

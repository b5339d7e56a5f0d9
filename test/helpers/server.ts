import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { newApiKey } from '../../src/ids.js';
import { startServer, type Server } from '../../src/server.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

/** A JSON response as a test sees it. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A Taifa Mail server running in this process on a fresh database, with the first account's key. */
export interface TestServer {
  server: Server;
  url: string;
  key: string;
  dataDir: string;
  db: TestDatabase;
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; headers?: Record<string, string>; raw?: string },
  ): Promise<Res<T>>;
  close(): Promise<void>;
}

/** Starts a server (port 0, silent logs, quick polling) with `env` on top of the test defaults. */
export async function startTestServer(kind: DatabaseKind, env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-test-'));
  const db = await createTestDatabase(kind, dataDir);
  const key = newApiKey();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    // Links in the copies, as tests expect them (by default they would follow PORT, which is 0 here).
    TAIFA_PUBLIC_URL: 'http://localhost:3000',
    TAIFA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_HELO_NAME: 'mta.taifa.test',
    TAIFA_POLL_INTERVAL_MS: '50',
    TAIFA_SECRET: 'test-secret',
    // Servers run side by side: each inbound listener takes a free port.
    TAIFA_INBOUND_SMTP_PORT: '0',
    // Webhook receivers in tests listen on loopback (tests of the rule set it to false).
    TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
    ...env,
  });
  const server = await startServer(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const call: TestServer['call'] = async (method, p, body, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const k = opts.key === undefined ? key : opts.key;
    if (k) headers.authorization = `Bearer ${k}`;
    let payload: string | undefined = opts.raw;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    } else if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + p, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    server,
    url: server.url,
    key,
    dataDir,
    db,
    call,
    close: async () => {
      await server.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined (default 20 s), else throws `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until an email reaches `status` and returns its detail. */
export function settled(t: TestServer, id: string, status: string): Promise<any> {
  return eventually(`email ${id} to be ${status}`, async () => {
    const r = await t.call('GET', `/v1/emails/${id}`);
    return r.body.status === status ? r.body : undefined;
  });
}

/** The event types of an email's detail, in order. */
export const eventTypes = (detail: { events: Array<{ event_type: string }> }): string[] =>
  detail.events.map((e) => e.event_type);

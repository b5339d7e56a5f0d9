import fc from 'fast-check';
import { expect } from 'vitest';
import type { Database } from '../../src/store/schema.js';
import type { TestServer } from './server.js';

/**
 * The fuzz suites' runner: generated requests against a real server, each held to the API's contract — a
 * 2xx or a 4xx in the documented error shape, never a 5xx — and, when refused, to having written nothing.
 *
 * `npm test` runs each property a few dozen times from a fixed seed, so a run is quick and repeatable.
 * TAIFA_FUZZ_RUNS=5000 runs each that many times; TAIFA_FUZZ_SEED (and TAIFA_FUZZ_PATH) replay a failure
 * as fast-check reported it (run only the failing test, with vitest's -t).
 */

/** One request as a fuzz property makes it. A `raw` body is sent as it is; `body` as JSON. */
export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  raw?: string | Uint8Array;
  /** Content-Type of the body; application/json by default, none when null. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The API key to send: the server's own by default, none when null. */
  key?: string | null;
}

/** An answer as the property judges it. */
interface Answer {
  status: number;
  contentType: string;
  text: string;
}

const DEFAULT_SEED = 20_260_414;
/** How long one run of a request may take at most, to size a long run's timeout (generous: shrinking). */
const MS_PER_RUN = 400;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, not ${v}`);
  return n;
}

/** Runs per property: `runs` in `npm test`, TAIFA_FUZZ_RUNS when set. */
export function fuzzRuns(runs: number): number {
  return envInt('TAIFA_FUZZ_RUNS') ?? runs;
}

/** A test timeout that fits `runs` runs of a property (vitest's default fits the short ones). */
export function fuzzTimeoutMs(runs: number): number {
  return 60_000 + fuzzRuns(runs) * MS_PER_RUN;
}

/** fast-check's parameters: the fixed seed (or TAIFA_FUZZ_SEED, and TAIFA_FUZZ_PATH to go straight to a case). */
function parameters(runs: number): fc.Parameters<[FuzzRequest]> {
  const path = process.env.TAIFA_FUZZ_PATH;
  return { seed: envInt('TAIFA_FUZZ_SEED') ?? DEFAULT_SEED, numRuns: fuzzRuns(runs), ...(path ? { path } : {}) };
}

// Every table a request could write; a refused request must leave each as it was.
const TABLES = [
  'accounts',
  'users',
  'sessions',
  'api_keys',
  'domains',
  'senders',
  'emails',
  'email_recipients',
  'email_attachments',
  'email_events',
  'captured_messages',
  'usage_counters',
  'idempotency_keys',
  'saved_searches',
  'suppressions',
  'webhooks',
  'webhook_deliveries',
  'webhook_attempts',
  'stats_rollups',
  'engagement_firsts',
] as const satisfies ReadonlyArray<keyof Database>;

/**
 * What a refused request must not change: the row count of every table, and in full the rows that
 * requests change in place (quota counters, domains and their settings, senders, webhooks, saved searches).
 */
async function snapshot(t: TestServer): Promise<unknown> {
  const db = t.server.store.db;
  const counts = await Promise.all(
    TABLES.map(async (table) => {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return [table, Number(row.n)] as const;
    }),
  );
  const [usage, domains, senders, webhooks, searches] = await Promise.all([
    db.selectFrom('usage_counters').selectAll().orderBy('account_id').orderBy('period').execute(),
    db.selectFrom('domains').selectAll().orderBy('id').execute(),
    db.selectFrom('senders').selectAll().orderBy('id').execute(),
    db.selectFrom('webhooks').selectAll().orderBy('id').execute(),
    db.selectFrom('saved_searches').selectAll().orderBy('user_id').execute(),
  ]);
  return { counts: Object.fromEntries(counts), usage, domains, senders, webhooks, searches };
}

async function send(t: TestServer, req: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const key = req.key === undefined ? t.key : req.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const payload = req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const type = req.contentType === undefined ? 'application/json' : req.contentType;
  if (payload !== undefined && type !== null) headers['content-type'] = type;
  const res = await fetch(t.url + req.path, { method: req.method, headers, body: payload });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** A short account of a request for a failure message: huge bodies cut down. */
function account(req: FuzzRequest, answer: Answer): string {
  const body =
    req.raw === undefined
      ? JSON.stringify(req.body)
      : typeof req.raw === 'string'
        ? req.raw
        : `<${req.raw.length} bytes>`;
  const cut = (s: string | undefined) => (s && s.length > 600 ? `${s.slice(0, 600)}… (${s.length} chars)` : s);
  return `${req.method} ${cut(req.path)} ${cut(body)} → ${answer.status} ${cut(answer.text)}`;
}

/** The documented error body: {detail, code}, and `errors` naming fields (always, for a validation error). */
function expectErrorShape(answer: Answer, what: string): void {
  expect(answer.contentType, what).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  expect(typeof body.detail === 'string' && body.detail.length > 0, what).toBe(true);
  expect(body.code, what).toMatch(/^[a-z][a-z0-9_]*$/);
  if (body.code === 'validation_error') expect(Array.isArray(body.errors) && body.errors.length > 0, what).toBe(true);
  if (body.errors === undefined) return;
  expect(Array.isArray(body.errors), what).toBe(true);
  for (const e of body.errors as Array<Record<string, unknown>>) {
    expect(typeof e.field === 'string' && e.field.length > 0, what).toBe(true);
    expect(typeof e.error === 'string' && e.error.length > 0, what).toBe(true);
  }
}

/** Sends one request and holds its answer to the contract; returns the status. */
export async function checkRequest(t: TestServer, req: FuzzRequest): Promise<number> {
  const before = await snapshot(t);
  const answer = await send(t, req);
  const what = account(req, answer);
  expect(answer.status >= 200 && answer.status < 500, what).toBe(true);
  expect(answer.status < 300 || answer.status >= 400, what).toBe(true);
  if (answer.status >= 400) {
    expectErrorShape(answer, what);
    expect(await snapshot(t), `nothing written by a refused request: ${what}`).toEqual(before);
  }
  return answer.status;
}

/**
 * Runs the property over `requests` on `t`: `runs` times in `npm test`. Returns how often each status came,
 * so that a test can also check that its generator reaches past the schema (some requests succeed).
 */
export async function fuzz(
  t: TestServer,
  requests: fc.Arbitrary<FuzzRequest>,
  runs: number,
): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requests, async (req) => {
      const status = await checkRequest(t, req);
      seen.set(status, (seen.get(status) ?? 0) + 1);
    }),
    parameters(runs),
  );
  return seen;
}

/** How many of the answers counted by `fuzz` had a status in [from, to). */
export function answered(seen: Map<number, number>, from: number, to: number): number {
  return [...seen].filter(([s]) => s >= from && s < to).reduce((n, [, c]) => n + c, 0);
}

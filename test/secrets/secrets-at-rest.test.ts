import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { dkimVerify } from 'mailauth';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { newApiKey } from '../../src/ids.js';
import { keyIdOf, SecretBox } from '../../src/secret-box.js';
import { startServer, type Server } from '../../src/server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { eventually } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// DKIM private keys and webhook signing secrets are stored encrypted under a key derived from TAIFA_SECRET:
// the rows, read directly, hold neither; messages are still signed with the key and webhooks with the secret.

const SENDER = { email: 'hello@example.com', name: 'Example' };
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `taifa ARGS…` as an operator would, with only `env` of the TAIFA_ settings. */
function taifa(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAIFA_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/taifa.js', ...args],
      { cwd: ROOT, env: { ...inherited, ...env } },
      (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
    );
  });
}

/** A sandbox server on `db`, its data in `dataDir`, with `env` on top, logging into `lines`; calls made with `key`. */
async function startOn(db: TestDatabase, dataDir: string, key: string, env: Record<string, string>, lines?: string[]) {
  const config = loadConfig({
    PORT: '0',
    TAIFA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_HELO_NAME: 'mta.taifa.test',
    TAIFA_INBOUND_SMTP_PORT: '0',
    TAIFA_SANDBOX: 'true',
    TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
    TAIFA_POLL_INTERVAL_MS: '50',
    TAIFA_WEBHOOK_POLL_INTERVAL_MS: '50',
    ...env,
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines?.push(chunk.toString());
      done();
    },
  });
  const server = await startServer(config, pino({ level: lines ? 'info' : 'silent' }, sink));
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(server.url + p, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  };
  return { server, call };
}
type Running = Awaited<ReturnType<typeof startOn>>;

/** Adds and verifies example.com with its sender; the DKIM record it asked for. */
async function sendingDomain(t: Running): Promise<{ name: string; value: string }> {
  const d = await t.call('POST', '/v1/domains', { name: 'example.com' });
  expect(d.status).toBe(201);
  await t.call('POST', `/v1/domains/${d.body.id}/verify`);
  expect((await t.call('POST', '/v1/senders', SENDER)).status).toBe(201);
  return d.body.records.find((r: { purpose: string }) => r.purpose === 'dkim');
}

/** Sends an email and waits for its delivery into the capture store; its raw message. */
async function sendAndCapture(t: Running, subject: string): Promise<Buffer> {
  const sent = await t.call('POST', '/v1/emails', {
    from_: SENDER,
    to: [{ email: 'jane@recipient.test' }],
    subject,
    text: 'Hello',
  });
  expect(sent.status).toBe(202);
  const id: string = sent.body.id;
  await eventually(`${subject} delivered`, async () => {
    const r = await t.call('GET', `/v1/emails/${id}`);
    return r.body.status === 'delivered' ? true : undefined;
  });
  const raw = await t.call('GET', `/v1/emails/${id}/raw`);
  expect(raw.status).toBe(200);
  return Buffer.from(raw.body as string);
}

/** mailauth's DKIM verdict on a message, against the published record. */
async function dkimVerdict(raw: Buffer, dkim: { name: string; value: string }): Promise<string | undefined> {
  const result = await dkimVerify(raw, {
    resolver: async (name: string, type: string) => {
      if (type === 'TXT' && name === dkim.name) return [[dkim.value]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  });
  return result.results[0]?.status.result;
}

/** Whether a standardwebhooks receiver holding `secret` accepts what `at` got for `subject`. */
async function webhookVerifies(rx: WebhookReceiver, at: string, subject: string, secret: string): Promise<boolean> {
  const got = await eventually(`a webhook for ${subject} at ${at}`, async () =>
    rx.at(at).find((r) => r.json?.data?.subject === subject),
  );
  try {
    new Webhook(secret).verify(got.body, got.headers);
    return true;
  } catch {
    return false;
  }
}

/** The stored secret columns, read directly. */
async function storedSecrets(server: Server) {
  const domains = await server.store.db.selectFrom('domains').select(['dkim_private_key']).execute();
  const webhooks = await server.store.db.selectFrom('webhooks').select(['secret', 'previous_secret']).execute();
  return {
    dkim: domains.map((d) => d.dkim_private_key),
    webhook: webhooks.flatMap((w) => [w.secret, ...(w.previous_secret ? [w.previous_secret] : [])]),
  };
}

describe.each(testDatabases())('secrets at rest on %s', (kind) => {
  let rx: WebhookReceiver;
  const dirs: string[] = [];
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    rx = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await rx?.down();
    for (const db of dbs) await db.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  async function fresh(): Promise<{ db: TestDatabase; dataDir: string; key: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-secrets-'));
    dirs.push(dataDir);
    const db = await createTestDatabase(kind, dataDir);
    dbs.push(db);
    return { db, dataDir, key: newApiKey() };
  }

  it('stores DKIM keys and webhook secrets encrypted, and signs mail and webhooks with them', async () => {
    const { db, dataDir, key } = await fresh();
    const t = await startOn(db, dataDir, key, { TAIFA_SECRET: 'first secret' });
    try {
      const dkim = await sendingDomain(t);
      const hook = await t.call('POST', '/v1/webhooks', { url: rx.url('/stored'), events: ['email.delivered'] });
      expect(hook.status).toBe(201);
      const secret: string = hook.body.secret;

      const stored = await storedSecrets(t.server);
      expect(stored.dkim).toHaveLength(1);
      expect(stored.webhook).toHaveLength(1);
      for (const value of [...stored.dkim, ...stored.webhook]) {
        expect(value).toMatch(/^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
        expect(value).not.toContain('PRIVATE KEY');
        expect(value).not.toContain(secret.slice(6, 20));
      }

      const raw = await sendAndCapture(t, 'Stored encrypted');
      expect(await dkimVerdict(raw, dkim)).toBe('pass');
      expect(await webhookVerifies(rx, '/stored', 'Stored encrypted', secret)).toBe(true);
    } finally {
      await t.server.close();
    }
  });

  it('encrypts the secrets it finds stored plain at start (as an earlier version left them), and says so', async () => {
    const { db, dataDir, key } = await fresh();
    const env = { TAIFA_SECRET: 'plain then sealed' };
    const first = await startOn(db, dataDir, key, env);
    const dkim = await sendingDomain(first);
    const hook = await first.call('POST', '/v1/webhooks', { url: rx.url('/plain'), events: ['email.delivered'] });
    const rotated = await first.call('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`);
    const secret: string = rotated.body.secret;
    // Every secret written back as it was stored before encryption.
    const box = first.server.secrets;
    const d = first.server.store.db;
    for (const row of await d.selectFrom('domains').select(['id', 'dkim_private_key']).execute())
      await d
        .updateTable('domains')
        .set({ dkim_private_key: box.open(row.dkim_private_key, 'dkim-private-key') })
        .where('id', '=', row.id)
        .execute();
    for (const row of await d.selectFrom('webhooks').select(['id', 'secret', 'previous_secret']).execute())
      await d
        .updateTable('webhooks')
        .set({
          secret: box.open(row.secret, 'webhook-secret'),
          previous_secret: row.previous_secret && box.open(row.previous_secret, 'webhook-secret'),
        })
        .where('id', '=', row.id)
        .execute();
    const plain = await storedSecrets(first.server);
    expect(plain.dkim[0]).toContain('PRIVATE KEY');
    expect(plain.webhook).toEqual([secret, hook.body.secret]);
    await first.server.close();

    const lines: string[] = [];
    const again = await startOn(db, dataDir, key, env, lines);
    try {
      const stored = await storedSecrets(again.server);
      for (const value of [...stored.dkim, ...stored.webhook]) expect(keyIdOf(value)).toBe(again.server.secrets.keyId);
      const said = lines
        .map((l) => JSON.parse(l))
        .find((l) => /encrypted the DKIM keys and webhook secrets/.test(l.msg));
      expect(said).toMatchObject({ count: 3, keyId: again.server.secrets.keyId });
      const raw = await sendAndCapture(again, 'Sealed at start');
      expect(await dkimVerdict(raw, dkim)).toBe('pass');
      expect(await webhookVerifies(rx, '/plain', 'Sealed at start', secret)).toBe(true);
      expect(await webhookVerifies(rx, '/plain', 'Sealed at start', hook.body.secret)).toBe(true);
    } finally {
      await again.server.close();
    }
    // Once sealed, a start finds nothing to do.
    const quiet: string[] = [];
    const third = await startOn(db, dataDir, key, env, quiet);
    await third.server.close();
    expect(quiet.some((l) => l.includes('encrypted the DKIM keys'))).toBe(false);
  }, 120_000);

  it('refuses to start with another TAIFA_SECRET, saying so, rather than sign with garbage', async () => {
    const { db, dataDir, key } = await fresh();
    const first = await startOn(db, dataDir, key, { TAIFA_SECRET: 'the right one' });
    await sendingDomain(first);
    await first.server.close();
    const right = SecretBox.fromSecrets('the right one').keyId;
    const wrong = SecretBox.fromSecrets('the wrong one').keyId;
    await expect(startOn(db, dataDir, key, { TAIFA_SECRET: 'the wrong one' })).rejects.toThrow(
      new RegExp(
        `encrypted under another TAIFA_SECRET \\(1 under key id ${right}\\); this TAIFA_SECRET's key id is ${wrong}`,
      ),
    );
    // Nothing was changed: the right secret still starts it.
    const again = await startOn(db, dataDir, key, { TAIFA_SECRET: 'the right one' });
    await again.server.close();
  }, 120_000);

  it('rotates: reads with both secrets meanwhile, `taifa secrets rotate` re-encrypts everything, the new one alone works', async () => {
    const { db, dataDir, key } = await fresh();
    const [OLD, NEW] = ['the old secret', 'the new secret'];
    const oldId = SecretBox.fromSecrets(OLD).keyId;
    const newId = SecretBox.fromSecrets(NEW).keyId;
    const before = await startOn(db, dataDir, key, { TAIFA_SECRET: OLD });
    const dkim = await sendingDomain(before);
    const hook = await before.call('POST', '/v1/webhooks', { url: rx.url('/rotation'), events: ['email.delivered'] });
    const rotated = await before.call('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`);
    const secret: string = rotated.body.secret;
    await before.server.close();

    // Servers restarted with the new secret and the old one beside it: everything still opens.
    const lines: string[] = [];
    const during = await startOn(db, dataDir, key, { TAIFA_SECRET: NEW, TAIFA_SECRET_PREVIOUS: OLD }, lines);
    let later: string;
    try {
      expect(
        lines.map((l) => JSON.parse(l)).find((l) => /still encrypted under TAIFA_SECRET_PREVIOUS/.test(l.msg)),
      ).toMatchObject({ count: 3, keyId: oldId });
      expect(await dkimVerdict(await sendAndCapture(during, 'During the rotation'), dkim)).toBe('pass');
      expect(await webhookVerifies(rx, '/rotation', 'During the rotation', secret)).toBe(true);
      // What is written meanwhile is sealed under the new secret.
      const made = await during.call('POST', '/v1/webhooks', { url: rx.url('/later'), events: ['email.delivered'] });
      later = made.body.secret;
      const stored = await storedSecrets(during.server);
      expect(stored.webhook.map(keyIdOf).sort()).toEqual([oldId, oldId, newId].sort());
    } finally {
      await during.server.close();
    }

    const base = { DATABASE_URL: db.url, TAIFA_DATA_DIR: dataDir, TAIFA_SECRET: NEW };
    // A wrong previous secret: a clear error, and nothing written.
    const wrong = await taifa(['secrets', 'rotate'], { ...base, TAIFA_SECRET_PREVIOUS: 'not the old one' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`encrypted under another TAIFA_SECRET (3 under key id ${oldId})`);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);

    const done = await taifa(['secrets', 'rotate'], { ...base, TAIFA_SECRET_PREVIOUS: OLD });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(
      `3 re-encrypted from TAIFA_SECRET_PREVIOUS (key id ${oldId}) to TAIFA_SECRET (key id ${newId})`,
    );
    // Again: nothing left to do.
    const again = await taifa(['secrets', 'rotate'], { ...base, TAIFA_SECRET_PREVIOUS: OLD });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining('0 re-encrypted')]);

    // The old secret alone no longer opens anything; the new one alone does all.
    await expect(startOn(db, dataDir, key, { TAIFA_SECRET: OLD })).rejects.toThrow(/another TAIFA_SECRET/);
    const after = await startOn(db, dataDir, key, { TAIFA_SECRET: NEW });
    try {
      const stored = await storedSecrets(after.server);
      for (const value of [...stored.dkim, ...stored.webhook]) expect(keyIdOf(value)).toBe(newId);
      expect(await dkimVerdict(await sendAndCapture(after, 'After the rotation'), dkim)).toBe('pass');
      expect(await webhookVerifies(rx, '/rotation', 'After the rotation', secret)).toBe(true);
      expect(await webhookVerifies(rx, '/rotation', 'After the rotation', hook.body.secret)).toBe(true);
      expect(await webhookVerifies(rx, '/later', 'After the rotation', later)).toBe(true);
    } finally {
      await after.server.close();
    }
  }, 180_000);
});

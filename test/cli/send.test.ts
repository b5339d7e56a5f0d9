import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { taifa, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// `taifa send` (from flags, or the JSON body of POST /v1/emails/ from a file) writes through the same send
// service as the API; the running sandbox server delivers it; `taifa emails show` shows it with its
// recipients and their events.

const KEY = `tfm_k_${'S'.repeat(32)}`;

function emailId(run: CliRun): string {
  const id = /^Email (\S+) queued \(Message-ID <[^>]+>\)\.$/m.exec(run.stdout)?.[1];
  if (!id) throw new Error(`no email sent: ${run.stdout}${run.stderr}`);
  return id;
}

describe.each(testDatabases())('taifa send and emails show on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let server: ChildServer;
  let env: Record<string, string>;

  /** The email as the API has it, once every recipient's delivery is settled. */
  async function delivered(id: string): Promise<any> {
    for (let tries = 0; ; tries++) {
      const e = await server.call('GET', `/v1/emails/${id}`);
      if (e.body.status === 'delivered' || tries >= 150) return e.body;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-send-'));
    db = await createTestDatabase(kind, dir);
    env = { TAIFA_DATA_DIR: dir, DATABASE_URL: db.url, TAIFA_SANDBOX: 'true', TAIFA_HELO_NAME: 'mta.taifa.test' };
    server = await startChildServer(
      {
        ...env,
        PORT: '0',
        TAIFA_ROLES: 'api,worker',
        TAIFA_BOOTSTRAP_API_KEY: KEY,
        TAIFA_POLL_INTERVAL_MS: '50',
      },
      KEY,
      { readyMs: 120_000 },
    );
    // A verified domain and a registered sender, made through the API.
    const d = await server.call('POST', '/v1/domains', { name: 'example.com' });
    await server.call('POST', `/v1/domains/${d.body.id}/verify`);
    const s = await server.call('POST', '/v1/senders', { email: 'hello@example.com', name: 'Example' });
    if (s.status !== 201) throw new Error(`sender: ${JSON.stringify(s.body)}`);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends from flags; the server delivers it; emails show shows it with its recipients and events', async () => {
    const sent = await taifa(
      [
        'send',
        '--from',
        'Example <hello@example.com>',
        '--to',
        'Jane Doe <jane@example.org>',
        '--to',
        'bob@example.net',
        '--subject',
        'Smoke test',
        '--text',
        'Hello from the command line',
        '--tag',
        'smoke',
      ],
      { env },
    );
    expect(sent.code).toBe(0);
    const id = emailId(sent);
    const api = await delivered(id);
    expect(api).toMatchObject({
      status: 'delivered',
      from_address: 'Example <hello@example.com>',
      subject: 'Smoke test',
      text_body: 'Hello from the command line',
      tags: ['smoke'],
    });
    expect(api.recipients.map((r: any) => [r.email, r.name, r.status])).toEqual([
      ['jane@example.org', 'Jane Doe', 'delivered'],
      ['bob@example.net', null, 'delivered'],
    ]);

    const shown = await taifa(['emails', 'show', id], { env });
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines).toContain(`Email ${id}: delivered`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Subject: +Smoke test$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Tags: +smoke$/));
    for (const to of ['jane@example.org', 'bob@example.net'])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^to\\s+${to}\\s+delivered\\s+1\\s+250 .*Captured by the Taifa Mail sandbox`)),
      );
    // Every event the API lists, in its order, a line each.
    const events = lines.slice(lines.indexOf('Events') + 2).filter(Boolean);
    expect(events.map((l) => l.split(/\s+/).slice(1, 3))).toEqual(
      api.events.map((e: any) => [e.event_type, e.recipient ?? '-']),
    );
    expect(api.events.map((e: any) => e.event_type)).toEqual(
      expect.arrayContaining(['queued', 'delivered', 'delivered']),
    );
  }, 240_000);

  it('sends the JSON body of POST /v1/emails/ from a file, and from stdin', async () => {
    const body = {
      from_: { email: 'hello@example.com', name: 'Example' },
      to: [{ email: 'carol@example.org' }],
      cc: [{ email: 'dave@example.org', name: 'Dave' }],
      subject: 'From a file',
      html: '<p>Hello <b>Carol</b></p>',
      headers: { 'X-Smoke': '1' },
    };
    const file = path.join(dir, 'body.json');
    fs.writeFileSync(file, JSON.stringify(body));
    const sent = await taifa(['send', '--file', file], { env });
    expect(sent.code).toBe(0);
    const api = await delivered(emailId(sent));
    expect(api).toMatchObject({ subject: 'From a file', html_body: body.html, headers: { 'X-Smoke': '1' } });
    expect(api.recipients.map((r: any) => [r.type, r.email, r.status])).toEqual([
      ['to', 'carol@example.org', 'delivered'],
      ['cc', 'dave@example.org', 'delivered'],
    ]);
    const shown = await taifa(['emails', 'show', api.id], { env });
    expect(shown.stdout).toMatch(/^cc\s+dave@example\.org\s+delivered\s+1\s+/m);

    const piped = await taifa(['send', '--file', '-'], { env, stdin: JSON.stringify({ ...body, subject: 'Piped' }) });
    expect((await delivered(emailId(piped))).subject).toBe('Piped');
  }, 240_000);

  it('refuses what the API refuses, in one line naming the field (or the flag), and writes nothing', async () => {
    const count = async () => ((await server.call('GET', '/v1/emails/?limit=100')).body as unknown[]).length;
    const before = await count();

    const flags = await taifa(
      ['send', '--from', 'hello@example.com', '--to', 'not-an-address', '--subject', 'Hi', '--text', 'x'],
      { env },
    );
    expect([flags.code, flags.stderr]).toEqual([
      1,
      'taifa: Cannot send: --to "not-an-address" is not a valid email address.\n',
    ]);

    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        from: { email: 'hello@example.com' },
        to: [{ email: 'a@example.org' }],
        subject: 'Hi',
        text: 'x',
      }),
    );
    const fromFile = await taifa(['send', '--file', file], { env });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain('from_ is required');
    expect(fromFile.stderr).toContain('from is not a field: the sender goes in "from_"');

    const stranger = await taifa(
      ['send', '--from', 'someone@else.test', '--to', 'a@example.org', '--subject', 'Hi', '--text', 'x'],
      { env },
    );
    expect([stranger.code, stranger.stderr]).toEqual([
      1,
      'taifa: someone@else.test is not a registered sender; register it with POST /v1/senders first.\n',
    ]);

    const notJson = path.join(dir, 'not.json');
    fs.writeFileSync(notJson, '{"from_":');
    const broken = await taifa(['send', '--file', notJson], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^taifa: .*not\.json is not valid JSON: /);
    for (const r of [flags, fromFile, stranger, broken]) expect(r.stderr).not.toMatch(/\n\s+at /);

    const unknown = await taifa(['emails', 'show', '01900000-0000-7000-8000-000000000000'], { env });
    expect([unknown.code, unknown.stderr]).toEqual([1, 'taifa: Email not found.\n']);
    expect(await count()).toBe(before);
  }, 240_000);
});

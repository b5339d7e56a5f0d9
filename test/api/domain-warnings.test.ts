import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { newApiKey } from '../../src/ids.js';
import { startServer, type Server } from '../../src/server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

/** A server on `db` whose log lines are kept, with TAIFA_HELO_NAME as given. */
async function start(db: TestDatabase, dataDir: string, key: string, heloName: string) {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    PORT: '0',
    TAIFA_PUBLIC_URL: 'https://mail.example.com',
    TAIFA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_SECRET: 'test-secret',
    TAIFA_INBOUND_SMTP_PORT: '0',
    TAIFA_SANDBOX: 'true',
    TAIFA_HELO_NAME: heloName,
  });
  const server = await startServer(config, pino({ level: 'warn' }, sink));
  const call = async (method: string, p: string) => {
    const res = await fetch(server.url + p, {
      method,
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const add = async (name: string) => {
    const res = await fetch(server.url + '/v1/domains', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { server, lines, call, add };
}

const recordOf = (d: { records: Array<{ purpose: string }> }, purpose: string): any =>
  d.records.find((r) => r.purpose === purpose);

// SPF and return-path records name our MTA (TAIFA_HELO_NAME, else the machine's host name). A bare host name such as
// `vm` cannot be looked up on the internet: the start says so in the log, and every domain answer carries warnings
// naming the records and what to set, until TAIFA_HELO_NAME is a fully qualified name.
describe.each(testDatabases())('records naming a host that is not fully qualified, on %s', (kind) => {
  let dataDir: string;
  let db: TestDatabase;
  let servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('warns on start and in the domain answers, and stops once TAIFA_HELO_NAME is fully qualified', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-helo-'));
    db = await createTestDatabase(kind, dataDir);
    const key = newApiKey();

    const bare = await start(db, dataDir, key, 'vm');
    servers.push(bare.server);
    const startWarning = bare.lines.find((l) => l.level === 40 && l.msg.includes('TAIFA_HELO_NAME'));
    expect(startWarning?.msg).toContain('"vm", not a fully qualified domain name');
    expect(startWarning?.msg).toContain("Set TAIFA_HELO_NAME to this server's fully qualified name");

    const created = await bare.add('example.com');
    expect(created.status).toBe(201);
    // The records themselves are as they always were: what they name is the configuration's.
    expect(recordOf(created.body, 'spf')).toMatchObject({
      type: 'TXT',
      name: 'example.com',
      value: 'v=spf1 a:vm ~all',
    });
    expect(recordOf(created.body, 'return_path')).toMatchObject({
      type: 'MX',
      name: 'tfm-bounces.example.com',
      value: 'vm',
    });
    expect(created.body.warnings.map((w: { record: string }) => w.record)).toEqual(['spf', 'return_path']);
    for (const w of created.body.warnings) {
      expect(w.message).toContain('"vm"');
      expect(w.message).toContain('not a fully qualified domain name');
      expect(w.message).toContain("set TAIFA_HELO_NAME to this server's fully qualified name");
    }
    const id = created.body.id as string;
    const one = await bare.call('GET', `/v1/domains/${id}`);
    expect(one.body.warnings).toEqual(created.body.warnings);
    const list = await bare.call('GET', '/v1/domains');
    expect(list.body[0].warnings).toEqual(created.body.warnings);
    const verified = await bare.call('POST', `/v1/domains/${id}/verify`);
    expect(verified.body.status).toBe('verified');
    expect(verified.body.warnings).toEqual(created.body.warnings);
    await bare.server.close();
    servers = [];

    // The operator sets a fully qualified name and restarts: the records name it, the warnings are gone.
    const named = await start(db, dataDir, key, 'mta.example.net');
    servers.push(named.server);
    expect(named.lines.filter((l) => l.msg.includes('TAIFA_HELO_NAME'))).toEqual([]);
    const again = await named.call('GET', `/v1/domains/${id}`);
    expect(again.body.warnings).toEqual([]);
    expect(recordOf(again.body, 'spf')).toMatchObject({ value: 'v=spf1 a:mta.example.net ~all', status: 'pending' });
    expect(recordOf(again.body, 'return_path')).toMatchObject({ value: 'mta.example.net', status: 'pending' });
    // What was not about the name stays as checked; the domain stays verified until it is checked again.
    expect(recordOf(again.body, 'dkim')).toMatchObject({ status: 'verified', matches: true });
    expect(again.body.status).toBe('verified');
    const listed = await named.call('GET', '/v1/domains');
    expect(listed.body).toEqual([again.body]);
    const rechecked = await named.call('POST', `/v1/domains/${id}/verify`);
    expect(recordOf(rechecked.body, 'spf')).toMatchObject({
      value: 'v=spf1 a:mta.example.net ~all',
      status: 'verified',
    });
    expect(rechecked.body.warnings).toEqual([]);
    const added = await named.add('example.org');
    expect(added.body.warnings).toEqual([]);
    expect(recordOf(added.body, 'spf').value).toBe('v=spf1 a:mta.example.net ~all');
  });
});

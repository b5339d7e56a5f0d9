import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { taifa, type CliRun } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { publishRecords } from '../helpers/verified-domain.js';

// `taifa domains add|verify|show|list`: the DNS records to paste into a DNS panel, as a table, through the same
// domain services as /v1/domains (sandbox mode passes them without DNS; otherwise they are looked up).

const KEY = `tfm_k_${'D'.repeat(32)}`;

interface RecordRow {
  type: string;
  host: string;
  status: string;
  value: string;
}

/** The records table a run printed: one object per row, by the header's column names. */
function recordsTable(run: CliRun): RecordRow[] {
  const lines = run.stdout.split('\n');
  const start = lines.findIndex((l) => /^TYPE\s+HOST\s+STATUS\s+VALUE$/.test(l));
  if (start < 0) throw new Error(`no records table: ${run.stdout}${run.stderr}`);
  const rows: RecordRow[] = [];
  for (const line of lines.slice(start + 1)) {
    const cells = line.split(/\s{2,}/);
    if (cells.length !== 4) break;
    rows.push({ type: cells[0]!, host: cells[1]!, status: cells[2]!, value: cells[3]! });
  }
  return rows;
}

describe.each(testDatabases())('taifa domains on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let server: ChildServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-domains-'));
    db = await createTestDatabase(kind, dir);
    env = { TAIFA_DATA_DIR: dir, DATABASE_URL: db.url, TAIFA_SANDBOX: 'true', TAIFA_HELO_NAME: 'mta.taifa.test' };
    server = await startChildServer({ ...env, PORT: '0', TAIFA_ROLES: 'api', TAIFA_BOOTSTRAP_API_KEY: KEY }, KEY, {
      readyMs: 120_000,
    });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds a domain with its records as a table, verifies it in sandbox mode, and lists it verified', async () => {
    const added = await taifa(['domains', 'add', 'Example.COM'], { env });
    expect(added.code).toBe(0);
    const id = /^Domain example\.com \((\S+)\): pending$/m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    const api = await server.call('GET', `/v1/domains/${id}`);
    const records = api.body.records as Array<{ type: string; name: string; value: string; priority?: number }>;
    // The table is what the API lists, a row per record, whole values and all.
    expect(recordsTable(added)).toEqual(
      records.map((r, i) => ({
        type: r.type,
        host: r.name,
        status: i < 2 ? 'pending' : 'pending (optional)',
        value: r.priority === undefined ? r.value : `${r.priority} ${r.value}`,
      })),
    );
    expect(recordsTable(added).map((r) => r.type)).toEqual(['TXT', 'TXT', 'MX', 'TXT']);
    expect(recordsTable(added)[0]?.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{300,}=*$/);
    expect(recordsTable(added)[2]).toMatchObject({ host: 'tfm-bounces.example.com', value: '10 mta.taifa.test' });

    const verified = await taifa(['domains', 'verify', 'example.com'], { env });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^Domain example\.com \(\S+\): verified, verified \d{4}-/m);
    expect(recordsTable(verified).map((r) => r.status)).toEqual([
      'verified',
      'verified',
      'verified (optional)',
      'verified (optional)',
    ]);
    expect((await server.call('GET', `/v1/domains/${id}`)).body.status).toBe('verified');

    const listed = await taifa(['domains', 'list'], { env });
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+example\\.com\\s+verified\\s+\\d{4}-`, 'm'));
    const shown = await taifa(['domains', 'show', id!], { env });
    expect(recordsTable(shown)).toEqual(recordsTable(verified));

    const twice = await taifa(['domains', 'add', 'example.com'], { env });
    expect([twice.code, twice.stderr]).toEqual([1, 'taifa: The domain example.com is already added.\n']);
    const bad = await taifa(['domains', 'add', 'not a domain'], { env });
    expect([bad.code, bad.stderr]).toEqual([1, 'taifa: Invalid request: name "not a domain" is not a domain name.\n']);
  }, 240_000);

  it('outside sandbox mode, looks the records up in DNS: not verified until they are published', async () => {
    const dns = await startDnsServer();
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-dns-'));
    const ownDb = await createTestDatabase(kind, own);
    const dnsEnv = {
      TAIFA_DATA_DIR: own,
      DATABASE_URL: ownDb.url,
      TAIFA_HELO_NAME: 'mta.taifa.test',
      TAIFA_DNS_SERVERS: dns.address,
    };
    try {
      await taifa(['accounts', 'create', '--name', 'Acme'], { env: dnsEnv });
      const added = await taifa(['domains', 'add', 'example.org'], { env: dnsEnv });
      const missing = await taifa(['domains', 'verify', 'example.org'], { env: dnsEnv });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toMatch(/^Domain example\.org \(\S+\): failed$/m);
      expect(recordsTable(missing).map((r) => r.status)).toEqual([
        'missing',
        'missing',
        'missing (optional)',
        'missing (optional)',
      ]);

      publishRecords(
        dns,
        recordsTable(added).map((r) =>
          r.type === 'MX'
            ? { type: r.type, name: r.host, value: r.value.split(' ')[1]!, priority: Number(r.value.split(' ')[0]) }
            : { type: r.type, name: r.host, value: r.value },
        ),
      );
      const verified = await taifa(['domains', 'verify', 'example.org'], { env: dnsEnv });
      expect(verified.code).toBe(0);
      expect(recordsTable(verified).map((r) => r.status)).toEqual([
        'verified',
        'verified',
        'verified (optional)',
        'verified (optional)',
      ]);
    } finally {
      await dns.close();
      await ownDb.drop();
      fs.rmSync(own, { recursive: true, force: true });
    }
  }, 240_000);
});

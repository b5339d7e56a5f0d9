import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { publishRecords } from '../helpers/verified-domain.js';

type Rec = {
  purpose: string;
  status: string;
  found: boolean;
  matches: boolean;
  name: string;
  value: string;
  type: string;
  current_values: string[];
};
const byPurpose = (records: Rec[], p: string) => records.find((r) => r.purpose === p)!;

describe.each(testDatabases())('domain verification against DNS on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({});
    t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_DNS_SERVERS: dns.address });
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  it('lists the records to publish with full host names', async () => {
    const d = await t.call('POST', '/v1/domains', { name: 'records.test' });
    const records: Rec[] = d.body.records;
    const dkim = byPurpose(records, 'dkim');
    expect(dkim).toMatchObject({ type: 'TXT', status: 'pending' });
    expect(dkim.name).toBe(`${d.body.dkim_selector}._domainkey.records.test`);
    // A 2048-bit RSA public key in SPKI DER is 294 bytes: 392 base64 characters.
    expect(/p=([A-Za-z0-9+/=]+)/.exec(dkim.value)![1]).toHaveLength(392);
    expect(byPurpose(records, 'spf')).toMatchObject({
      type: 'TXT',
      name: 'records.test',
      value: 'v=spf1 a:mta.taifa.test ~all',
    });
    expect(byPurpose(records, 'return_path')).toMatchObject({
      type: 'MX',
      name: 'tfm-bounces.records.test',
      value: 'mta.taifa.test',
    });
    expect(byPurpose(records, 'dmarc')).toMatchObject({ type: 'TXT', name: '_dmarc.records.test' });
  });

  it('reports missing records and stays unverified', async () => {
    const d = await t.call('POST', '/v1/domains', { name: 'missing.test' });
    const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
    expect(v.status).toBe(200);
    expect(v.body.status).toBe('failed');
    for (const p of ['dkim', 'spf', 'return_path', 'dmarc'])
      expect(byPurpose(v.body.records, p)).toMatchObject({ status: 'missing', found: false, matches: false });
    expect(v.body.last_checked_at).toMatch(/Z$/);
    expect((await t.call('POST', '/v1/senders', { email: 'a@missing.test' })).status).toBe(422);
  });

  it('reports wrong records as found but not matching', async () => {
    const d = await t.call('POST', '/v1/domains', { name: 'wrong.test' });
    const dkim = byPurpose(d.body.records, 'dkim');
    dns.set({
      ...dns.zone,
      txt: {
        ...dns.zone.txt,
        [dkim.name]: ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrongkey'],
        'wrong.test': ['v=spf1 include:_spf.elsewhere.test ~all', 'google-site-verification=abc'],
      },
    });
    const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
    expect(v.body.status).toBe('failed');
    expect(byPurpose(v.body.records, 'dkim')).toMatchObject({ status: 'mismatch', found: true, matches: false });
    const spf = byPurpose(v.body.records, 'spf');
    expect(spf).toMatchObject({ status: 'mismatch', found: true, matches: false });
    expect(spf.current_values).toEqual(['v=spf1 include:_spf.elsewhere.test ~all']);
  });

  it('verifies once DKIM and SPF match; then a sender can be registered', async () => {
    const d = await t.call('POST', '/v1/domains', { name: 'right.test' });
    publishRecords(
      dns,
      d.body.records.filter((r: Rec) => r.purpose === 'dkim' || r.purpose === 'spf'),
    );
    const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
    expect(v.body.status).toBe('verified');
    expect(byPurpose(v.body.records, 'dkim')).toMatchObject({ status: 'verified', found: true, matches: true });
    expect(byPurpose(v.body.records, 'spf')).toMatchObject({ status: 'verified', matches: true });
    expect(byPurpose(v.body.records, 'dmarc').status).toBe('missing'); // optional
    expect(v.body.verified_at).toMatch(/Z$/);
    expect((await t.call('GET', `/v1/domains/${d.body.id}`)).body.status).toBe('verified');
    expect((await t.call('POST', '/v1/senders', { email: 'Hello@Right.test', name: 'Right' })).status).toBe(201);
  });

  it('keeps the previous status when DNS fails temporarily', async () => {
    const d = await t.call('POST', '/v1/domains', { name: 'flaky.test' });
    publishRecords(dns, d.body.records);
    expect((await t.call('POST', `/v1/domains/${d.body.id}/verify`)).body.status).toBe('verified');
    dns.servfail(byPurpose(d.body.records, 'dkim').name);
    const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
    expect(byPurpose(v.body.records, 'dkim').status).toBe('temporary_failure');
    expect(v.body.status).toBe('verified');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { apiKeyPrefix, hashApiKey, newApiKey, newId } from '../../src/ids.js';
import { findKeyOwner } from '../../src/store/accounts-repo.js';
import { insertApiKey } from '../../src/store/api-keys-repo.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { settled as settledEmail, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

describe.each(testDatabases())('retry, validate and saved searches on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  let fixed = false; // the mailbox that bounced is repaired before the retry
  beforeAll(async () => {
    sink = await startSmtpSink({
      rcptReply: (rcpt) => (rcpt.startsWith('broken') && !fixed ? { code: 550, message: '5.1.1 User unknown' } : null),
    });
    dns = await startDnsServer({
      mx: { 'recipient.test': [{ exchange: 'mx.recipient.test', priority: 10 }] },
      a: { 'mx.recipient.test': ['127.0.0.1'] },
    });
    t = await startTestServer(kind, { TAIFA_DNS_SERVERS: dns.address, TAIFA_MX_PORT: String(sink.port) });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  const settled = (id: string, status: string) => settledEmail(t, id, status);

  it('retries a bounced email to the recipients that did not get it, as a new linked email', async () => {
    const original = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'ok@recipient.test' }, { email: 'broken@recipient.test', name: 'Broken' }],
        subject: 'Retry me',
        tags: ['retry'],
        attachments: [{ filename: 'a.txt', content_base64: Buffer.from('attached').toString('base64') }],
      }),
    );
    await settled(original.body.id, 'bounced');
    const notYet = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'ok2@recipient.test' }] }));
    await settled(notYet.body.id, 'delivered');
    const conflict = await t.call('POST', `/v1/emails/${notYet.body.id}/retry`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('not_retryable');

    fixed = true;
    // The hard bounce put the address on the bounce list: a retry is rejected until it is taken off.
    const listed = await t.call('POST', `/v1/emails/${original.body.id}/retry`);
    expect(listed.body).toMatchObject({ status: 'rejected' });
    expect(listed.body.rejection_reason).toContain('broken@recipient.test is on the bounce list');
    expect((await t.call('DELETE', '/v1/suppressions/bounce/broken@recipient.test')).status).toBe(200);
    const retry = await t.call('POST', `/v1/emails/${original.body.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: 'queued', rejection_reason: null });
    expect(retry.body.id).not.toBe(original.body.id);
    const detail = await settled(retry.body.id, 'delivered');
    expect(detail).toMatchObject({
      retry_of_id: original.body.id,
      subject: 'Retry me',
      tags: ['retry'],
      to_addresses: ['broken@recipient.test'],
    });
    expect(detail.attachments).toEqual([{ filename: 'a.txt', content_type: 'application/octet-stream', size: 8 }]);
    expect((await t.call('POST', '/v1/emails/00000000-0000-7000-8000-000000000000/retry')).status).toBe(404);
  });

  it('validates without writing or sending: issues per area, plan and usage', async () => {
    // What is sent is queued first: a validation that wrote an email or a recipient would move these counts.
    const written = async () => {
      const count = async (table: 'emails' | 'email_recipients') =>
        Number(
          (
            await t.server.store.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return { emails: await count('emails'), recipients: await count('email_recipients') };
    };
    const before = { ...(await written()), messages: sink.messages.length };
    const ok = await t.call('POST', '/v1/emails/validate', sendBody());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      valid: true,
      can_send: true,
      issues: [],
      plan: 'business',
      usage: { daily_limit: 200000, monthly_limit: 5000000 },
    });
    const bad = await t.call(
      'POST',
      '/v1/emails/validate',
      sendBody({ from_: { email: 'nobody@example.com' }, to: [{ email: 'nope' }], html: undefined, text: undefined }),
    );
    expect(bad.body.valid).toBe(false);
    expect(bad.body.can_send).toBe(false);
    expect(bad.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['content', 'to']);
    const unregistered = await t.call(
      'POST',
      '/v1/emails/validate',
      sendBody({ from_: { email: 'nobody@example.com' } }),
    );
    expect(unregistered.body.issues).toEqual([
      { field: 'from', error: expect.stringContaining('not a registered sender') },
    ]);
    const free = await createAccount(t.server.store, { name: 'Free', plan: 'free' });
    const scheduled = await t.call(
      'POST',
      '/v1/emails/validate',
      sendBody({ send_at: new Date(Date.now() + 3_600_000).toISOString() }),
      { key: free.key },
    );
    expect(scheduled.body.issues.map((i: { field: string }) => i.field)).toEqual(
      expect.arrayContaining(['from', 'account']),
    );
    expect(scheduled.body.plan).toBe('free');
    expect({ ...(await written()), messages: sink.messages.length }).toEqual(before);
  });

  it('keeps saved searches per user, replaced by PUT, capped at 50', async () => {
    expect((await t.call('GET', '/v1/emails/saved-searches')).body).toEqual({ searches: [] });
    const put = await t.call('PUT', '/v1/emails/saved-searches', {
      searches: [
        {
          name: 'Bounces this week',
          query: 'status:bounced',
          range: '7d',
          status: 'bounced',
          domain: 'example.com',
          source: 'api',
        },
        { id: 'mine-1', name: 'Receipts', query: 'receipt to:gmail.com' },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.body.searches[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(put.body.searches[1]).toEqual({
      id: 'mine-1',
      name: 'Receipts',
      query: 'receipt to:gmail.com',
      range: null,
      status: null,
      domain: null,
      source: null,
    });
    expect((await t.call('GET', '/v1/emails/saved-searches')).body).toEqual(put.body);

    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    expect((await t.call('GET', '/v1/emails/saved-searches', undefined, { key: other.key })).body).toEqual({
      searches: [],
    });

    const tooMany = await t.call('PUT', '/v1/emails/saved-searches', {
      searches: Array.from({ length: 51 }, (_, i) => ({ name: `s${i}` })),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].field).toBe('searches');
    const noName = await t.call('PUT', '/v1/emails/saved-searches', { searches: [{ query: 'x' }] });
    expect(noName.body.errors[0].field).toBe('searches[0].name');
    expect((await t.call('PUT', '/v1/emails/saved-searches', { searches: [] })).body).toEqual({ searches: [] });
  });

  it('keeps saved searches per user: two users of one account each see their own, on any of their keys', async () => {
    const db = t.server.store.db;
    const owner = (await findKeyOwner(db, hashApiKey(t.key)))!;
    /** A new user of the bootstrap account with `n` API keys of their own. */
    const userWithKeys = async (name: string, n: number): Promise<string[]> => {
      const userId = newId();
      await db
        .insertInto('users')
        .values({ id: userId, account_id: owner.accountId, email: `${name}@example.com`, name, created_at: Date.now() })
        .execute();
      const keys = Array.from({ length: n }, () => newApiKey());
      for (const key of keys) {
        await insertApiKey(db, {
          id: newId(),
          accountId: owner.accountId,
          userId,
          name: `${name}'s key`,
          prefix: apiKeyPrefix(key),
          keyHash: hashApiKey(key),
          now: Date.now(),
        });
      }
      return keys;
    };
    const [amina1, amina2] = await userWithKeys('amina', 2);
    const [baraka] = await userWithKeys('baraka', 1);
    const put = await t.call(
      'PUT',
      '/v1/emails/saved-searches',
      { searches: [{ id: 'a1', name: 'Amina: bounces', query: 'status:bounced' }] },
      { key: amina1 },
    );
    expect(put.status).toBe(200);
    expect(
      (
        await t.call(
          'PUT',
          '/v1/emails/saved-searches',
          { searches: [{ id: 'b1', name: 'Baraka: receipts', query: 'tag:receipt' }] },
          { key: baraka },
        )
      ).status,
    ).toBe(200);

    const names = async (key: string) =>
      (await t.call('GET', '/v1/emails/saved-searches', undefined, { key })).body.searches.map(
        (x: { name: string }) => x.name,
      );
    expect(await names(amina1!)).toEqual(['Amina: bounces']);
    expect(await names(amina2!)).toEqual(['Amina: bounces']); // another key of the same user
    expect(await names(baraka!)).toEqual(['Baraka: receipts']);
    expect(await names(t.key)).not.toContain('Amina: bounces'); // the account's first user
    // Replacing one user's list leaves the other's alone.
    await t.call('PUT', '/v1/emails/saved-searches', { searches: [] }, { key: amina2 });
    expect(await names(amina1!)).toEqual([]);
    expect(await names(baraka!)).toEqual(['Baraka: receipts']);
  });
});

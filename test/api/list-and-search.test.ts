import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ids = (r: { body: Array<{ id: string }> }) => r.body.map((e) => e.id);

describe.each(testDatabases())('list and search on %s', (kind) => {
  let t: TestServer;
  const sent: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    await sandboxSender(t, 'billing.example.org', 'invoices');
    const send = async (name: string, body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/emails/', sendBody(body));
      if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      sent[name] = r.body.id;
    };
    await send('welcome', {
      subject: 'Welcome to Acme, Jane!',
      to: [{ email: 'jane@gmail.com' }],
      tags: ['onboarding'],
    });
    await send('reset', { subject: 'Password reset requested', to: [{ email: 'bob@yahoo.com' }], tags: ['security'] });
    await send('receipt', {
      from_: { email: 'invoices@billing.example.org' },
      subject: 'Your receipt #12345',
      to: [{ email: 'carol@gmail.com' }],
      cc: [{ email: 'accounts@corp.test' }],
      tags: ['receipt'],
    });
    await send('resetLater', {
      subject: 'Reset your password',
      to: [{ email: 'dave@corp.test' }],
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
  });
  afterAll(async () => t?.close());

  /** A fresh business account with a verified sender hello@`domain`; returns its key. */
  async function account(domain: string): Promise<string> {
    const a = await createAccount(t.server.store, { name: domain, plan: 'business' });
    const d = await t.call('POST', '/v1/domains', { name: domain }, { key: a.key });
    await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, { key: a.key });
    await t.call('POST', '/v1/senders', { email: `hello@${domain}` }, { key: a.key });
    return a.key;
  }

  it('lists newest first with status filter and zero-based paging; checks limit', async () => {
    const all = await t.call('GET', '/v1/emails/');
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual([sent.resetLater, sent.receipt, sent.reset, sent.welcome]);
    expect(all.body[0]).toMatchObject({
      status: 'scheduled',
      source: 'api',
      opened_count: 0,
      clicked_count: 0,
      retry_of_id: null,
    });
    expect(all.body[1].from_address).toBe('Example <invoices@billing.example.org>');
    expect(ids(await t.call('GET', '/v1/emails?status=scheduled'))).toEqual([sent.resetLater]);
    expect(ids(await t.call('GET', '/v1/emails?limit=2&page=1'))).toEqual([sent.reset, sent.welcome]);
    expect(ids(await t.call('GET', '/v1/emails?limit=2&page=2'))).toEqual([]);
    const refusals: Record<string, string> = {
      'limit=0': 'must be at least 1',
      'limit=101': 'must be at most 100',
      'limit=abc': 'must be an integer',
      'limit=2.5': 'must be an integer',
      'page=-1': 'must be at least 0',
      'page=100001': 'must be at most 100000',
      'status=lost': 'unknown status lost',
      'status=sent&status=queued': 'must be given once',
      'limit=2&limit=3': 'must be given once',
    };
    for (const [bad, why] of Object.entries(refusals)) {
      const r = await t.call('GET', `/v1/emails?${bad}`);
      expect([bad, r.status]).toEqual([bad, 422]);
      expect(r.body.errors[0]).toEqual({ field: bad.split('=')[0], error: expect.stringContaining(why) });
    }
    expect(ids(await t.call('GET', '/v1/emails?status=Cancelled,%20SCHEDULED&limit=%2010'))).toEqual([sent.resetLater]);
  });

  it('searches free text across sender, subject and recipients, with inline tokens', async () => {
    const search = async (q: string, extra = '') =>
      ids(await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}${extra}`));
    expect(await search('welcome')).toEqual([sent.welcome]);
    expect(await search('WELCOME jane')).toEqual([sent.welcome]);
    expect(await search('recei')).toEqual([sent.receipt]); // the last word matches as a prefix
    expect(await search('"password reset"')).toEqual([sent.reset]);
    expect(await search('reset')).toEqual([sent.resetLater, sent.reset]);
    expect(await search('to:gmail.com')).toEqual([sent.receipt, sent.welcome]);
    expect(await search('to:jane@gmail.com')).toEqual([sent.welcome]);
    expect(await search('to:corp.test')).toEqual([sent.resetLater, sent.receipt]); // cc counts as a recipient
    expect(await search('from:invoices@billing.example.org')).toEqual([sent.receipt]);
    expect(await search('domain:example.com')).toEqual([sent.resetLater, sent.reset, sent.welcome]);
    expect(await search('tag:receipt')).toEqual([sent.receipt]);
    expect(await search('reset status:scheduled')).toEqual([sent.resetLater]);
    expect(await search('', '&status=queued&tag=security')).toEqual([sent.reset]);
    expect(await search('gmail')).toEqual([sent.receipt, sent.welcome]);
    expect(await search('nothing-like-this')).toEqual([]);
    expect(await search('')).toHaveLength(4);
    const r = await t.call('GET', `/v1/emails/search?q=${encodeURIComponent('to:gmail.com')}&limit=1&page=1`);
    expect(ids(r)).toEqual([sent.welcome]);
    expect(Object.keys(r.body[0]).sort()).toEqual([
      'created_at',
      'delivered_at',
      'from_address',
      'id',
      'source',
      'status',
      'subject',
      'tags',
      'to_addresses',
    ]);
  });

  it('matches to: and from: against a whole address, a local part or a domain, in any case', async () => {
    const as = { key: await account('people.test') };
    const mine: Record<string, string> = {};
    const send = async (name: string, body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/emails/', sendBody({ from_: { email: 'hello@people.test' }, ...body }), as);
      expect(r.status).toBe(202);
      mine[name] = r.body.id;
    };
    await send('jane', { to: [{ email: 'Jane@Example.org' }], subject: 'Welcome aboard', tags: ['welcome'] });
    await send('janet', { to: [{ email: 'janet@example.org' }], subject: 'Your invoice' });
    await send('janeAtCorp', { to: [{ email: 'jane@corp.test' }], subject: 'Reset your password' });
    await send('mary', { to: [{ email: 'mary@jane.test' }], subject: 'Hello Mary' });
    await send('bob', { to: [{ email: 'bob@example.org' }], cc: [{ email: 'jane.doe@other.test' }], subject: 'Hi' });
    const search = async (q: string) =>
      ids(await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}`, undefined, as));
    const cases: Array<[string, string[]]> = [
      ['to:jane', ['janeAtCorp', 'jane']],
      ['to:JANE', ['janeAtCorp', 'jane']],
      ['to:jane@', ['janeAtCorp', 'jane']],
      ['to:JANE@Example.org', ['jane']],
      ['to:@example.org', ['bob', 'janet', 'jane']],
      ['to:example.org', ['bob', 'janet', 'jane']], // a bare domain, as before
      ['to:@Jane.Test', ['mary']],
      ['to:jane.test', ['mary']],
      ['to:jane.doe', ['bob']], // cc is a recipient
      ['to:@example.org to:@corp.test', ['bob', 'janeAtCorp', 'janet', 'jane']],
      ['to:jane tag:welcome', ['jane']],
      ['to:jane welcome', ['jane']],
      ['to:jane reset', ['janeAtCorp']],
      ['to:jane status:queued', ['janeAtCorp', 'jane']],
      ['to:jane status:delivered', []],
      ['from:hello', ['bob', 'mary', 'janeAtCorp', 'janet', 'jane']],
      ['from:@people.test to:janet', ['janet']],
      ['from:HELLO@People.Test to:@jane.test', ['mary']],
      // Whole parts only: no prefix, and neither part stands for the other.
      ['to:jan', []],
      ['to:jane@example', []],
      ['to:@example', []],
      ['to:example', []],
      ['to:mary.jane', []],
      ['from:hell', []],
      ['from:jane', []],
      ['from:@example.com', []],
    ];
    for (const [q, want] of cases) expect([q, await search(q)]).toEqual([q, want.map((n) => mine[n])]);
    // The free word finds the same two: as a whole word, not as the prefix of janet, jane.doe or jane.test.
    expect(await search('jane')).toEqual([mine.janeAtCorp, mine.jane]);
    // The first account's sender addresses, by local part and by domain.
    expect(ids(await t.call('GET', `/v1/emails/search?q=${encodeURIComponent('from:@example.com')}`))).toEqual([
      sent.resetLater,
      sent.reset,
      sent.welcome,
    ]);
    expect(ids(await t.call('GET', '/v1/emails/search?q=from:invoices'))).toEqual([sent.receipt]);
    expect(ids(await t.call('GET', '/v1/emails/search?q=to:jane'))).toEqual([sent.welcome]);
  });

  it('answers odd queries with results, never an error', async () => {
    for (const q of [
      '"',
      '""',
      "'",
      'to:',
      'from:@@@',
      'to:@',
      'to:@@',
      'from:a@',
      'AND OR NOT',
      '*',
      'a* b*',
      'tag:"black friday"',
      '\\',
      'x:y:z',
      'NEAR(a b)',
      '😀',
      '-',
      'status:BOUNCED',
      "o'brien",
      'a & b | !c <-> d',
    ]) {
      const r = await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}`);
      expect([r.status, q]).toEqual([200, q]);
      expect(Array.isArray(r.body)).toBe(true);
    }
    expect((await t.call('GET', '/v1/emails/search?q=status:lost')).status).toBe(422);
  });

  it("does not find another account's emails", async () => {
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    expect((await t.call('GET', '/v1/emails/search?q=welcome', undefined, { key: other.key })).body).toEqual([]);
    expect((await t.call('GET', '/v1/emails/', undefined, { key: other.key })).body).toEqual([]);
  });

  it('lists 20 emails when no limit is given', async () => {
    const as = { key: await account('many.test') };
    const batch = Array.from({ length: 25 }, (_, i) =>
      sendBody({ from_: { email: 'hello@many.test' }, subject: `n${i}` }),
    );
    expect((await t.call('POST', '/v1/emails/batch', batch, as)).status).toBe(202);
    expect((await t.call('GET', '/v1/emails/', undefined, as)).body).toHaveLength(20);
    expect((await t.call('GET', '/v1/emails/?page=1', undefined, as)).body).toHaveLength(5);
    expect((await t.call('GET', '/v1/emails/search?q=hello', undefined, as)).body).toHaveLength(20);
  });

  it("matches the last word as a prefix by the caller's own emails, whatever other accounts hold", async () => {
    const mine = { key: await account('mine.test') };
    const theirs = { key: await account('theirs.test') };
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ from_: { email: 'hello@mine.test' }, subject: 'Your invoices are ready' }),
      mine,
    );
    expect(ids(await t.call('GET', '/v1/emails/search?q=invoice', undefined, mine))).toEqual([r.body.id]);
    // Another account now has "invoice" as a whole word: this account's search must not change.
    expect(
      (
        await t.call(
          'POST',
          '/v1/emails/',
          sendBody({ from_: { email: 'hello@theirs.test' }, subject: 'Invoice 42' }),
          theirs,
        )
      ).status,
    ).toBe(202);
    expect(ids(await t.call('GET', '/v1/emails/search?q=invoice', undefined, mine))).toEqual([r.body.id]);
    expect(ids(await t.call('GET', '/v1/emails/search?q=invoice', undefined, theirs))).toHaveLength(1);
  });
});

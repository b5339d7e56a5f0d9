import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppressionView } from '../../src/api/suppressions.js';
import { listSuppressions } from '../../src/store/suppressions-repo.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const VIEW = ['address', 'type', 'domain', 'tag', 'reason', 'source_email_id', 'created_at'].sort();

describe.each(testDatabases())('suppression lists through the API on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    // API only: what is accepted stays queued, so that each test reads what acceptance decided.
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  const add = (items: unknown[]) => t.call('POST', '/v1/suppressions', { suppressions: items });
  const csv = (text: string) =>
    t.call('POST', '/v1/suppressions/import', undefined, { raw: text, headers: { 'content-type': 'text/csv' } });

  it('adds, reads, lists and deletes, with a result per item', async () => {
    const r = await add([
      { address: 'one@list.test', type: 'bounce', reason: 'user unknown' },
      { address: 'two@list.test', type: 'unsubscribe', domain: 'example.com', tag: 'news' },
      { address: 'one@list.test', type: 'bounce' },
      { address: 'not-an-address', type: 'bounce' },
      { address: 'three@list.test', type: 'complaint', domain: 'example.com' },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ added: 2, already_suppressed: 1, invalid: 2 });
    expect(r.body.results.map((x: { status: string }) => x.status)).toEqual([
      'added',
      'added',
      'already_suppressed',
      'invalid',
      'invalid',
    ]);
    expect(r.body.results[3].errors).toEqual([
      { field: 'suppressions[3].address', error: 'is not a valid email address' },
    ]);
    expect(r.body.results[4].errors[0].field).toBe('suppressions[4].domain');

    const one = await t.call('GET', '/v1/suppressions/bounce/one@list.test');
    expect(one.status).toBe(200);
    expect(one.body.suppressions).toHaveLength(1);
    expect(Object.keys(one.body.suppressions[0]).sort()).toEqual(VIEW);
    expect(one.body.suppressions[0]).toMatchObject({
      address: 'one@list.test',
      type: 'bounce',
      reason: 'user unknown',
    });
    // The answer is the view, field for field.
    const [stored] = await listSuppressions(t.server.store.db, await accountId(), {
      type: 'bounce',
      q: 'one@list',
      limit: 1,
      offset: 0,
    });
    expect(one.body.suppressions[0]).toEqual(suppressionView(stored!));

    const two = await t.call('GET', '/v1/suppressions/unsubscribe/two@list.test?domain=example.com');
    expect(two.body.suppressions[0]).toMatchObject({ domain: 'example.com', tag: 'news', source_email_id: null });
    expect((await t.call('GET', '/v1/suppressions/complaint/one@list.test')).status).toBe(404);
    expect((await t.call('GET', '/v1/suppressions/spam/one@list.test')).status).toBe(422);

    expect((await t.call('DELETE', '/v1/suppressions/bounce/one@list.test')).body).toEqual({
      address: 'one@list.test',
      type: 'bounce',
      deleted: 1,
    });
    expect((await t.call('GET', '/v1/suppressions/bounce/one@list.test')).status).toBe(404);
    expect((await t.call('DELETE', '/v1/suppressions/bounce/one@list.test')).status).toBe(404);
    // An unsubscribe's scope narrows the delete.
    expect((await t.call('DELETE', '/v1/suppressions/unsubscribe/two@list.test?domain=other.test')).status).toBe(404);
    expect(
      (await t.call('DELETE', '/v1/suppressions/unsubscribe/two@list.test?domain=example.com&tag=news')).body,
    ).toMatchObject({
      deleted: 1,
    });
  });

  async function accountId(): Promise<string> {
    const a = await t.server.store.db.selectFrom('accounts').select('id').executeTakeFirstOrThrow();
    return a.id;
  }

  it('answers 422 when every item is invalid, naming each field', async () => {
    const r = await add([{ address: 'x@y.test', type: 'unsubscribe' }, { address: 'x@y.test' }]);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'suppressions[0].domain', error: expect.any(String) },
        { field: 'suppressions[1].type', error: 'is required' },
      ]),
    );
  });

  it('takes 10,000 in one request and refuses 10,001 before checking them', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ address: `bulk${i}@bulk.test`, type: 'bounce' }));
    const r = await add(items);
    expect([r.status, r.body.added, r.body.results.length]).toEqual([200, 10_000, 10_000]);
    const again = await add(items.slice(0, 3));
    expect(again.body).toMatchObject({ added: 0, already_suppressed: 3 });
    const tooMany = await add([...items, { address: 'one-more', type: 'nope' }]);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors).toEqual([{ field: 'suppressions', error: 'has 10001 items; at most 10000' }]);
  });

  it('lists newest first, with filters and pages', async () => {
    const r = await add([
      { address: 'page-a@paging.test', type: 'complaint' },
      { address: 'page-b@paging.test', type: 'complaint' },
      { address: 'page-c@Paging.TEST', type: 'unsubscribe', domain: 'brand-p.test' },
    ]);
    expect(r.body.added).toBe(3);
    await add([{ address: 'page-d@paging.test', type: 'complaint' }]);
    const list = await t.call('GET', '/v1/suppressions?q=PAGING.test&limit=2');
    expect(list.body.map((s: { address: string }) => s.address)).toEqual(['page-d@paging.test', 'page-c@Paging.TEST']);
    const next = await t.call('GET', '/v1/suppressions?q=paging.test&limit=2&page=1');
    expect(next.body.map((s: { address: string }) => s.address).sort()).toEqual([
      'page-a@paging.test',
      'page-b@paging.test',
    ]);
    const unsubs = await t.call('GET', '/v1/suppressions?type=unsubscribe&domain=BRAND-P.test');
    expect(unsubs.body.map((s: { address: string }) => s.address)).toEqual(['page-c@Paging.TEST']);
    expect((await t.call('GET', '/v1/suppressions?type=complaint&q=paging')).body).toHaveLength(3);
    // A literal % in q matches a %, not anything.
    expect((await t.call('GET', '/v1/suppressions?q=%25')).body).toEqual([]);
    expect((await t.call('GET', '/v1/suppressions?type=spam')).status).toBe(422);
  });

  it('imports a CSV file, reporting bad lines by number', async () => {
    const r = await csv(
      [
        'address,type,domain,tag,reason',
        'csv1@import.test,bounce,,,"550 5.1.1 user unknown, said the MX"',
        'csv2@import.test,unsubscribe,example.com,news,',
        'not-an-address,bounce,,,',
        'csv3@import.test,unsubscribe,,,',
        'csv1@import.test,bounce,,,again',
        'csv4@import.test,bounce',
        'csv5@"import.test,bounce,,,',
        '',
        'csv6@import.test,complaint,,,"a reason',
        'on two lines"',
      ].join('\r\n'),
    );
    expect(r.status).toBe(200);
    expect(r.body.added).toBe(3);
    expect(r.body.already_suppressed).toBe(1);
    expect(r.body.invalid.map((x: { line: number }) => x.line)).toEqual([4, 5, 7, 8]);
    expect(r.body.invalid[1].error).toContain('domain');
    const [csv6] = (await t.call('GET', '/v1/suppressions/complaint/csv6@import.test')).body.suppressions;
    expect(csv6.reason).toBe('a reason\r\non two lines');
  });

  it('refuses an import without a header row, or sent as JSON', async () => {
    const noHeader = await csv('csv9@import.test,bounce\n');
    expect(noHeader.status).toBe(422);
    expect(noHeader.body.errors[0]).toMatchObject({ field: 'body' });
    expect(noHeader.body.errors[0].error).toContain('header row');
    const json = await t.call('POST', '/v1/suppressions/import', { address: 'x@y.test' });
    expect(json.status).toBe(415);
    // The other routes still refuse CSV.
    const elsewhere = await t.call('POST', '/v1/suppressions', undefined, {
      raw: 'address,type',
      headers: { 'content-type': 'text/csv' },
    });
    expect(elsewhere.status).toBe(415);
  });

  it('compares the domain part in any case and the local part exactly', async () => {
    expect((await add([{ address: 'Bob@Example.COM', type: 'bounce' }])).body.added).toBe(1);
    expect((await t.call('GET', '/v1/suppressions/bounce/Bob@example.com')).status).toBe(200);
    expect((await t.call('GET', '/v1/suppressions/bounce/bob@example.com')).status).toBe(404);
    expect((await add([{ address: 'Bob@example.com', type: 'bounce' }])).body.already_suppressed).toBe(1);

    const stopped = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'Bob@EXAMPLE.com' }] }));
    expect(stopped.status).toBe(202);
    expect(stopped.body.status).toBe('rejected');
    expect(stopped.body.rejection_reason).toMatch(/^Bob@EXAMPLE\.com is on the bounce list since \d{4}-\d\d-\d\d\.$/);
    const other = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'bob@example.com' }] }));
    expect(other.body).toMatchObject({ status: 'queued', rejection_reason: null });
  });

  it('drops a suppressed recipient at acceptance and sends to the others; all suppressed: rejected, no quota', async () => {
    await add([{ address: 'dropped@accept.test', type: 'complaint' }]);
    const usage = async () => (await t.call('POST', '/v1/emails/validate', sendBody())).body.usage.daily ?? 0;
    const before = await usage();
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'kept1@accept.test' }, { email: 'dropped@accept.test' }],
        cc: [{ email: 'kept2@accept.test' }],
      }),
    );
    expect(r.body.status).toBe('queued');
    expect(r.body.rejection_reason).toContain('dropped@accept.test is on the complaint list');
    const detail = (await t.call('GET', `/v1/emails/${r.body.id}`)).body;
    expect(detail.recipients.map((x: { email: string; status: string }) => [x.email, x.status])).toEqual([
      ['kept1@accept.test', 'queued'],
      ['dropped@accept.test', 'rejected'],
      ['kept2@accept.test', 'queued'],
    ]);
    expect(detail.rejection_reason).toBe(r.body.rejection_reason);
    const rejected = detail.events.filter((e: { event_type: string }) => e.event_type === 'rejected');
    expect(rejected).toEqual([
      expect.objectContaining({
        recipient: 'dropped@accept.test',
        metadata: { suppression: expect.objectContaining({ type: 'complaint', scope: 'account' }) },
      }),
    ]);
    expect(await usage()).toBe(before + 2);

    const all = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'dropped@accept.test' }] }));
    expect(all.body.status).toBe('rejected');
    const allDetail = (await t.call('GET', `/v1/emails/${all.body.id}`)).body;
    expect(allDetail.status).toBe('rejected');
    expect(allDetail.events.map((e: { event_type: string }) => e.event_type)).toEqual(['rejected']);
    expect(await usage()).toBe(before + 2);

    const batch = await t.call('POST', '/v1/emails/batch', [
      sendBody({ to: [{ email: 'dropped@accept.test' }] }),
      sendBody({ to: [{ email: 'kept3@accept.test' }] }),
    ]);
    expect(batch.body.results.map((x: { status: string }) => x.status)).toEqual(['rejected', 'queued']);
    expect(batch.body.results[0].rejection_reason).toContain('complaint list');
  });

  it('lists each suppressed recipient as an issue on its place in the dry run', async () => {
    await add([{ address: 'issue@validate.test', type: 'unsubscribe', domain: 'example.com' }]);
    const r = await t.call(
      'POST',
      '/v1/emails/validate',
      sendBody({ to: [{ email: 'fine@validate.test' }, { email: 'issue@validate.test' }] }),
    );
    expect(r.status).toBe(200);
    expect(r.body.issues).toEqual([
      {
        field: 'to[1]',
        error: expect.stringMatching(
          /^issue@validate\.test is on the unsubscribe list for mail from example\.com since/,
        ),
      },
    ]);
    expect([r.body.valid, r.body.can_send]).toEqual([false, true]);
    const only = await t.call('POST', '/v1/emails/validate', sendBody({ to: [{ email: 'issue@validate.test' }] }));
    expect(only.body.can_send).toBe(false);
    expect(only.body.issues.map((i: { field: string }) => i.field)).toEqual(['to', 'to[0]']);
  });
});

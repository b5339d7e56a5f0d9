import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What one email may cost to render: the HTML and text bodies are capped in bytes (413), and so is the
// number of links in them (422), since each recipient's copy signs a tracking URL for every link.

const MiB = 1024 * 1024;
const link = (i: number) => `<a href="https://shop.test/item/${i}">item ${i}</a>\n`;
const links = (n: number, from = 0) => Array.from({ length: n }, (_, i) => link(from + i)).join('');

describe.each(testDatabases())('body size and link limits on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  const emailCount = async () =>
    (
      await t.server.store.db
        .selectFrom('emails')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirst()
    )?.n;

  it.each([
    ['html over 5 MiB', { html: 'h'.repeat(5 * MiB + 1) }, 'html'],
    ['html over 5 MiB in UTF-8 bytes, not characters', { html: 'é'.repeat(2.5 * MiB + 1) }, 'html'],
    ['text over 5 MiB', { text: 't'.repeat(5 * MiB + 1) }, 'text'],
  ])('refuses %s with 413 naming the field, and writes nothing', async (_what, overrides, field) => {
    const before = Number(await emailCount());
    const r = await t.call('POST', '/v1/emails/', sendBody(overrides));
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('payload_too_large');
    expect(r.body.errors).toEqual([{ field, error: 'is larger than 5 MiB' }]);
    expect(r.body.detail).toContain(field);
    expect(Number(await emailCount())).toBe(before);
  });

  it('accepts bodies of exactly 5 MiB', async () => {
    const r = await t.call('POST', '/v1/emails/', sendBody({ html: 'h'.repeat(5 * MiB), text: 't'.repeat(5 * MiB) }));
    expect(r.status).toBe(202);
  });

  it.each([
    ['1,001 links in the html', { html: links(1001) }, 'html'],
    ['1,001 links in the html and text together', { html: links(600), text: links(401, 600) }, 'text'],
    ['1,001 http(s) URLs in the text', { text: 'see https://shop.test/x '.repeat(1001) }, 'text'],
  ])('refuses %s with 422 naming the field', async (_what, overrides, field) => {
    const r = await t.call('POST', '/v1/emails/', sendBody(overrides));
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors[0].field).toBe(field);
    expect(r.body.errors[0].error).toMatch(/1,?001 links.*at most 1,?000/);
  });

  it('accepts 1,000 links, and counts links in any spelling of the attribute', async () => {
    expect((await t.call('POST', '/v1/emails/', sendBody({ html: links(1000) }))).status).toBe(202);
    const spelled = `${links(998)}<A HREF = "https://shop.test/u">u</A><area/href='https://shop.test/v'>`;
    expect((await t.call('POST', '/v1/emails/', sendBody({ html: spelled }))).status).toBe(202);
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ html: `${spelled}\n<v:roundrect\thref="https://x.test">` }),
    );
    expect(r.status).toBe(422);
  });

  it('reports the same limits as issues in the dry run and per email in a batch', async () => {
    const dry = await t.call('POST', '/v1/emails/validate', sendBody({ html: links(1001) }));
    expect(dry.status).toBe(200);
    expect(dry.body.can_send).toBe(false);
    expect(dry.body.issues.map((i: { error: string }) => i.error).join(' ')).toMatch(/^html has 1,?001 links/);
    const batch = await t.call('POST', '/v1/emails/batch', [sendBody(), sendBody({ html: 'h'.repeat(5 * MiB + 1) })]);
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ total: 2, sent: 1, failed: 1 });
    expect(batch.body.results[1].rejection_reason).toBe('html: is larger than 5 MiB');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const MiB = 1024 * 1024;

/** Each rule of the send body: [what, body, status, field named]. */
const cases: Array<[string, Record<string, unknown>, number, string]> = [
  ['from_ missing', sendBody({ from_: undefined }), 422, 'from_'],
  [
    '"from" instead of "from_"',
    { ...sendBody({ from_: undefined }), from: { email: 'hello@example.com' } },
    422,
    'from',
  ],
  ['from_.email not an address', sendBody({ from_: { email: 'not-an-address' } }), 422, 'from_.email'],
  ['from_.email not a registered sender', sendBody({ from_: { email: 'someone@example.com' } }), 422, 'from_.email'],
  ['from_.email on an unverified domain', sendBody({ from_: { email: 'hello@unverified.test' } }), 422, 'from_.email'],
  [
    'from_.name with a line break',
    sendBody({ from_: { email: 'hello@example.com', name: 'A\r\nBcc: x@y.z' } }),
    422,
    'from_.name',
  ],
  ['to missing', sendBody({ to: undefined }), 422, 'to'],
  ['to empty', sendBody({ to: [] }), 422, 'to'],
  ['to not an array', sendBody({ to: 'jane@recipient.test' }), 422, 'to'],
  ['to[1].email missing', sendBody({ to: [{ email: 'a@b.test' }, { name: 'No address' }] }), 422, 'to[1].email'],
  ['to[0].email invalid', sendBody({ to: [{ email: 'jane@@recipient' }] }), 422, 'to[0].email'],
  ['cc[0].email invalid', sendBody({ cc: [{ email: 'nope' }] }), 422, 'cc[0].email'],
  ['bcc[0].email invalid', sendBody({ bcc: [{ email: 'nope' }] }), 422, 'bcc[0].email'],
  ['reply_to.email invalid', sendBody({ reply_to: { email: 'nope' } }), 422, 'reply_to.email'],
  [
    'more than 50 recipients',
    sendBody({ to: Array.from({ length: 51 }, (_, i) => ({ email: `r${i}@recipient.test` })) }),
    422,
    'to',
  ],
  ['subject missing', sendBody({ subject: undefined }), 422, 'subject'],
  ['subject with a line break', sendBody({ subject: 'Hi\r\nBcc: x@y.z' }), 422, 'subject'],
  ['neither html nor text', sendBody({ html: undefined, text: undefined }), 422, 'html'],
  ['html not a string', sendBody({ html: 42 }), 422, 'html'],
  ['headers not an object', sendBody({ headers: ['X-A: b'] }), 422, 'headers'],
  ['header value not a string', sendBody({ headers: { 'X-Count': 3 } }), 422, 'headers.X-Count'],
  ['header value with CR/LF', sendBody({ headers: { 'X-Evil': 'a\r\nBcc: victim@x.test' } }), 422, 'headers.X-Evil'],
  ['header name invalid', sendBody({ headers: { 'X Bad: name': 'v' } }), 422, 'headers.X Bad: name'],
  ['header overrides From', sendBody({ headers: { From: 'ceo@bank.test' } }), 422, 'headers.From'],
  ['header overrides To', sendBody({ headers: { to: 'x@y.test' } }), 422, 'headers.to'],
  ['header overrides Subject', sendBody({ headers: { Subject: 'x' } }), 422, 'headers.Subject'],
  ['header overrides Message-ID', sendBody({ headers: { 'Message-ID': '<x@y>' } }), 422, 'headers.Message-ID'],
  [
    'header overrides DKIM-Signature',
    sendBody({ headers: { 'DKIM-Signature': 'v=1' } }),
    422,
    'headers.DKIM-Signature',
  ],
  ['tags not an array', sendBody({ tags: 'welcome' }), 422, 'tags'],
  ['tag not a string', sendBody({ tags: ['ok', 7] }), 422, 'tags[1]'],
  [
    'attachment filename with /',
    sendBody({ attachments: [{ filename: '../etc/passwd', content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  [
    'attachment filename with \\',
    sendBody({ attachments: [{ filename: 'a\\b.txt', content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  [
    'attachment filename missing',
    sendBody({ attachments: [{ content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  [
    'attachment content not base64',
    sendBody({ attachments: [{ filename: 'a.txt', content_base64: 'not base64!!' }] }),
    422,
    'attachments[0].content_base64',
  ],
  [
    'attachment with a data: prefix',
    sendBody({ attachments: [{ filename: 'a.txt', content_base64: 'data:text/plain;base64,' + b64('x') }] }),
    422,
    'attachments[0].content_base64',
  ],
  [
    'attachment content_type invalid',
    sendBody({ attachments: [{ filename: 'a.txt', content_base64: b64('x'), content_type: 'text plain' }] }),
    422,
    'attachments[0].content_type',
  ],
  [
    'attachment over 24 MiB',
    sendBody({ attachments: [{ filename: 'big.bin', content_base64: Buffer.alloc(24 * MiB + 3).toString('base64') }] }),
    413,
    'attachments[0].content_base64',
  ],
  [
    'attachments over 24 MiB combined',
    sendBody({
      attachments: [
        { filename: 'a.bin', content_base64: Buffer.alloc(13 * MiB).toString('base64') },
        { filename: 'b.bin', content_base64: Buffer.alloc(13 * MiB).toString('base64') },
      ],
    }),
    413,
    'attachments',
  ],
  ['send_at more than 30 days ahead', sendBody({ send_at: '2030-01-01T00:00:00Z' }), 422, 'send_at'],
  // Limits the schema states (and /v1/openapi.json documents) and the rules core adds to them.
  ['an unknown field', { ...sendBody(), colour: 'red' }, 422, 'colour'],
  ['subject over 998 characters', sendBody({ subject: 'x'.repeat(999) }), 422, 'subject'],
  ['subject only white space', sendBody({ subject: '   ' }), 422, 'subject'],
  ['to[0].name with a line break', sendBody({ to: [{ email: 'a@b.test', name: 'A\nB' }] }), 422, 'to[0].name'],
  [
    'to and cc together over 50 recipients',
    sendBody({
      to: Array.from({ length: 30 }, (_, i) => ({ email: `t${i}@recipient.test` })),
      cc: Array.from({ length: 30 }, (_, i) => ({ email: `c${i}@recipient.test` })),
    }),
    422,
    'to',
  ],
  ['more than 20 tags', sendBody({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), 422, 'tags'],
  ['tag over 256 characters', sendBody({ tags: ['x'.repeat(257)] }), 422, 'tags[0]'],
  ['header value over 2000 characters', sendBody({ headers: { 'X-Long': 'x'.repeat(2001) } }), 422, 'headers.X-Long'],
  [
    'header overrides dkim-signature in lower case',
    sendBody({ headers: { 'dkim-signature': 'v=1' } }),
    422,
    'headers.dkim-signature',
  ],
  ['header sets an ARC header', sendBody({ headers: { 'ARC-Seal': 'i=1' } }), 422, 'headers.ARC-Seal'],
  // Headers that would change how receivers read the message or its trace: the MIME structure, the
  // resending and transport trace, and receivers' authentication verdicts.
  [
    'header sets Content-Disposition (the whole message an attachment)',
    sendBody({ headers: { 'Content-Disposition': 'attachment; filename="x.eml"' } }),
    422,
    'headers.Content-Disposition',
  ],
  [
    'header sets any Content- header',
    sendBody({ headers: { 'content-language': 'en' } }),
    422,
    'headers.content-language',
  ],
  ['header sets Content-ID', sendBody({ headers: { 'CONTENT-ID': '<a@b>' } }), 422, 'headers.CONTENT-ID'],
  ['header sets Resent-From', sendBody({ headers: { 'Resent-From': 'a@b.test' } }), 422, 'headers.Resent-From'],
  [
    'header sets resent-message-id',
    sendBody({ headers: { 'resent-message-id': '<x@y>' } }),
    422,
    'headers.resent-message-id',
  ],
  ['header sets Received', sendBody({ headers: { Received: 'from x by y' } }), 422, 'headers.Received'],
  [
    'header sets Authentication-Results',
    sendBody({ headers: { 'Authentication-Results': 'mx.test; dkim=pass' } }),
    422,
    'headers.Authentication-Results',
  ],
  ['header named with a slash keeps its name', sendBody({ headers: { 'X-A/B': 'a\rb' } }), 422, 'headers.X-A/B'],
  [
    'attachment named ..',
    sendBody({ attachments: [{ filename: '..', content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  [
    'attachment content not padded base64',
    sendBody({ attachments: [{ filename: 'a.txt', content_base64: 'QQ=' }] }),
    422,
    'attachments[0].content_base64',
  ],
  ['tracking.click not one of its values', sendBody({ tracking: { click: 'always' } }), 422, 'tracking.click'],
  ['tracking with an unknown key', sendBody({ tracking: { opens: true } }), 422, 'tracking.opens'],
  ['send_at not a real date', sendBody({ send_at: '2026-13-45T09:00:00Z' }), 422, 'send_at'],
  // Control characters (C0 but a tab where the field is header text, DEL, C1) in single-line text, and
  // lone UTF-16 surrogates anywhere: stored as one thing and sent as another (or cut at a NUL).
  ['subject with NUL', sendBody({ subject: 'Hi\u0000there' }), 422, 'subject'],
  ['subject with ESC', sendBody({ subject: 'Hi \u001b[31mred' }), 422, 'subject'],
  ['subject with DEL', sendBody({ subject: 'Hi\u007f' }), 422, 'subject'],
  ['subject with a C1 control (NEL)', sendBody({ subject: 'Hi\u0085there' }), 422, 'subject'],
  ['subject with a lone surrogate', sendBody({ subject: 'Hi \ud83d' }), 422, 'subject'],
  ['subject with a lone low surrogate', sendBody({ subject: '\ude00 Hi' }), 422, 'subject'],
  ['from_.name with NUL', sendBody({ from_: { email: 'hello@example.com', name: 'A\u0000B' } }), 422, 'from_.name'],
  ['to[0].name with a tab', sendBody({ to: [{ email: 'a@b.test', name: 'A\tB' }] }), 422, 'to[0].name'],
  ['cc[0].name with a C1 control', sendBody({ cc: [{ email: 'a@b.test', name: 'A\u009bB' }] }), 422, 'cc[0].name'],
  [
    'reply_to.name with a lone surrogate',
    sendBody({ reply_to: { email: 'a@b.test', name: 'A\ud800' } }),
    422,
    'reply_to.name',
  ],
  ['to[0].email with a lone surrogate', sendBody({ to: [{ email: 'ann\ud83d@recipient.test' }] }), 422, 'to[0].email'],
  ['bcc[0].email with a C1 control', sendBody({ bcc: [{ email: 'ann\u0085@recipient.test' }] }), 422, 'bcc[0].email'],
  ['header value with NUL', sendBody({ headers: { 'X-A': 'a\u0000b' } }), 422, 'headers.X-A'],
  ['header value with a vertical tab', sendBody({ headers: { 'X-A': 'a\u000bb' } }), 422, 'headers.X-A'],
  ['header value with DEL', sendBody({ headers: { 'X-A': 'a\u007f' } }), 422, 'headers.X-A'],
  ['header value with a lone surrogate', sendBody({ headers: { 'X-A': 'a\udc00' } }), 422, 'headers.X-A'],
  ['tag with NUL', sendBody({ tags: ['ok', 'a\u0000'] }), 422, 'tags[1]'],
  ['tag with a tab', sendBody({ tags: ['a\tb'] }), 422, 'tags[0]'],
  ['tag with a lone surrogate', sendBody({ tags: ['\ud800'] }), 422, 'tags[0]'],
  [
    'attachment filename with a C1 control',
    sendBody({ attachments: [{ filename: 'a\u0085.txt', content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  [
    'attachment filename with a lone surrogate',
    sendBody({ attachments: [{ filename: 'a\ud800.txt', content_base64: b64('x') }] }),
    422,
    'attachments[0].filename',
  ],
  ['text with a lone surrogate', sendBody({ text: 'Hello \ud83d' }), 422, 'text'],
  ['html with a lone surrogate', sendBody({ html: '<p>\udc00</p>' }), 422, 'html'],
];

describe.each(testDatabases())('send validation on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    expect((await t.call('POST', '/v1/domains', { name: 'unverified.test' })).status).toBe(201);
  });
  afterAll(async () => t?.close());

  it.each(cases)('%s', async (_what, body, status, field) => {
    const r = await t.call('POST', '/v1/emails/', body);
    expect(r.status).toBe(status);
    expect(r.body.code).toMatch(/^[a-z_]+$/);
    expect(typeof r.body.detail).toBe('string');
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers malformed JSON with 400 and a JSON error', async () => {
    const r = await t.call('POST', '/v1/emails/', undefined, { raw: '{"from_": ' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_json');
  });

  it('answers a body that is not an object with 422 naming the body', async () => {
    const r = await t.call('POST', '/v1/emails/', [sendBody()]);
    expect(r.status).toBe(422);
    expect(r.body.errors[0].field).toBe('body');
  });

  it('answers a missing or wrong key with 401', async () => {
    expect((await t.call('POST', '/v1/emails/', sendBody(), { key: null })).status).toBe(401);
    const r = await t.call('POST', '/v1/emails/', sendBody(), { key: 'tfm_k_' + 'x'.repeat(32) });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('unauthorized');
  });

  it('wrote nothing for any refused request, and accepts the valid body', async () => {
    const count = async () =>
      Number(
        (
          await t.server.store.db
            .selectFrom('emails')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count()).toBe(0);
    const ok = await t.call('POST', '/v1/emails', sendBody({ headers: { 'X-Campaign': 'spring' }, tags: ['welcome'] }));
    expect(ok.status).toBe(202);
    expect(await count()).toBe(1);
  });

  it('refuses an address with a lone surrogate and stores nothing; a whole character goes out as sent', async () => {
    const before = await t.call('GET', '/v1/emails/');
    const broken = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'jos\ud83d@recipient.test' }] }));
    expect(broken.status).toBe(422);
    expect(broken.body.errors).toEqual([{ field: 'to[0].email', error: expect.stringContaining('surrogate') }]);
    const sender = await t.call('POST', '/v1/emails/', sendBody({ from_: { email: 'hello\udfff@example.com' } }));
    expect(sender.body.errors).toEqual([{ field: 'from_.email', error: expect.stringContaining('surrogate') }]);
    expect((await t.call('GET', '/v1/emails/')).body).toEqual(before.body);

    // The same characters, paired, are one emoji: kept exactly, and a tab where header text allows it.
    const whole = {
      to: [{ email: 'jos\ud83d\ude00@recipient.test', name: 'Jos\ud83d\ude00' }],
      subject: 'Hi\t\ud83d\ude00',
      headers: { 'X-Note': 'a\tb \ud83d\ude00' },
      tags: ['\ud83d\ude00'],
    };
    const ok = await t.call('POST', '/v1/emails/', sendBody(whole));
    expect(ok.status).toBe(202);
    const detail = (await t.call('GET', `/v1/emails/${ok.body.id}`)).body;
    expect(detail).toMatchObject({
      to_addresses: [whole.to[0]!.email],
      subject: whole.subject,
      headers: whole.headers,
      tags: whole.tags,
    });
    expect(detail.recipients[0]).toMatchObject({ email: whole.to[0]!.email, name: whole.to[0]!.name });
  });

  it("refuses a lone surrogate in a sender's address or name (the display name of its mail)", async () => {
    for (const [body, field] of [
      [{ email: 'ann\ud83d@example.com' }, 'email'],
      [{ email: 'ann@example.com', name: 'Ann \ud83d' }, 'name'],
    ] as const) {
      const r = await t.call('POST', '/v1/senders', body);
      expect([r.status, r.body.errors?.[0]?.field]).toEqual([422, field]);
    }
    expect((await t.call('POST', '/v1/senders', { email: 'ann@example.com', name: 'Ann \ud83d\ude00' })).status).toBe(
      201,
    );
  });

  it('accepts null for every optional field, as "not given"', async () => {
    const nulls = {
      cc: null,
      bcc: null,
      reply_to: null,
      html: null,
      headers: null,
      tags: null,
      send_at: null,
      tracking: null,
      attachments: null,
    };
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        ...nulls,
        from_: { email: 'hello@example.com', name: null },
        to: [{ email: 'jane@recipient.test', name: null }],
      }),
    );
    expect(r.status).toBe(202);
  });

  it('authenticates before it validates: a bad body without a key is 401', async () => {
    const r = await t.call('POST', '/v1/emails/', { nope: true }, { key: null });
    expect(r.status).toBe(401);
  });

  it('enforces what /v1/openapi.json documents for the send body, with the schema as the validator', async () => {
    const doc = (await t.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
    const body = doc.paths['/v1/emails/'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.tracking.additionalProperties).toBe(false);
    // The same schema is documented for the dry run and for each element of a batch.
    expect(doc.paths['/v1/emails/validate'].post.requestBody.content['application/json'].schema).toEqual(body);
    expect(doc.paths['/v1/emails/batch'].post.requestBody.content['application/json'].schema.items).toEqual(body);

    const maxSubject: number = body.properties.subject.maxLength;
    const tooLong = await t.call('POST', '/v1/emails/', sendBody({ subject: 'x'.repeat(maxSubject + 1) }));
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual([{ field: 'subject', error: `must be at most ${maxSubject} characters` }]);
    expect((await t.call('POST', '/v1/emails/', sendBody({ subject: 'x'.repeat(maxSubject) }))).status).toBe(202);

    const positions: string[] = body.properties.tracking.properties.pixel_position.enum;
    const middle = await t.call('POST', '/v1/emails/', sendBody({ tracking: { pixel_position: 'middle' } }));
    expect(middle.status).toBe(422);
    expect(middle.body.errors).toEqual([
      {
        field: 'tracking.pixel_position',
        error: `must be one of ${positions.map((p) => JSON.stringify(p)).join(', ')}`,
      },
    ]);

    const maxTags: number = body.properties.tags.maxItems;
    const tags = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ tags: Array.from({ length: maxTags + 1 }, (_, i) => `t${i}`) }),
    );
    expect(tags.body.errors).toEqual([{ field: 'tags', error: `must have at most ${maxTags} items` }]);

    const slip = await t.call('POST', '/v1/emails/', {
      ...sendBody({ from_: undefined }),
      from: { email: 'hello@example.com' },
    });
    expect(slip.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'from', error: expect.stringContaining('from_') },
        { field: 'from_', error: 'is required' },
      ]),
    );
  });

  it('holds each email of a batch and the dry run to the same schema, without refusing the rest', async () => {
    const batch = await t.call('POST', '/v1/emails/batch', [
      sendBody({ subject: 'kept' }),
      sendBody({ tracking: { pixel_position: 'middle' } }),
      sendBody({ headers: { 'X-Evil': 'a\r\nBcc: x@y.test' } }),
    ]);
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ total: 3, sent: 1, failed: 2 });
    expect(batch.body.results[1]).toEqual({
      id: null,
      status: 'error',
      rejection_reason: expect.stringContaining('tracking.pixel_position: must be one of'),
    });
    expect(batch.body.results[2].rejection_reason).toContain('headers.X-Evil');

    const dry = await t.call(
      'POST',
      '/v1/emails/validate',
      sendBody({ tracking: { pixel_position: 'middle' }, headers: { From: 'x@y.test' } }),
    );
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ valid: false, can_send: false });
    expect(dry.body.issues).toEqual([
      { field: 'content', error: expect.stringContaining('tracking.pixel_position must be one of') },
      { field: 'content', error: expect.stringContaining('headers.From cannot be set') },
    ]);
  });
});

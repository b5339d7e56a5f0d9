import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_PATTERN } from '../../src/core/send-body-schema.js';
import { testDatabases } from '../helpers/databases.js';
import {
  allSchemas,
  exampleStrings,
  operations,
  requestExamples,
  responseExamples,
  schemaValidator,
  undescribedProperties,
  type Example,
  type Operation,
} from '../helpers/openapi-document.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';

/*
 * The reference teaches: every operation says what it does and shows real requests and answers, in groups
 * ordered as someone meets them. These tests read /v1/openapi.json as Swagger UI does, hold every example
 * against the schema it illustrates (so that an example cannot drift from the API), and run the request
 * examples against the server, as "Try it out" would.
 */

const TAG_ORDER = [
  'Health',
  'API keys',
  'Auth',
  'Domains',
  'Senders',
  'Emails',
  'Suppressions',
  'Webhooks',
  'Events',
  'Stats',
  'Tracking',
];
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** An address as a person would write one in an example: on the domains reserved for examples. */
const EXAMPLE_ADDRESS = /^[a-z]+(\.[a-z]+)?@example\.(com|org|net)$/;

describe.each(testDatabases())('the API reference on %s', (kind) => {
  let t: TestServer;
  let doc: any;
  let ops: Operation[];
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    doc = (await t.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
    ops = operations(doc);
  });
  afterAll(async () => t?.close());

  const label = (o: Operation) => `${o.method} ${o.path}`;

  it('groups the operations in the order someone meets them, each group with a sentence', () => {
    expect(doc.tags.map((tag: { name: string }) => tag.name)).toEqual(TAG_ORDER);
    for (const tag of doc.tags)
      expect([tag.name, tag.description]).toEqual([tag.name, expect.stringMatching(/\w.*\./)]);
    expect(ops.length).toBeGreaterThan(50);
    for (const o of ops) {
      expect([label(o), o.op.tags.length]).toEqual([label(o), 1]);
      expect(TAG_ORDER).toContain(o.op.tags[0]);
    }
    // The document lists its paths group by group, so that it reads in the same order.
    const ranks = ops.map((o) => TAG_ORDER.indexOf(o.op.tags[0]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // Where a user finds each kind of route.
    const tagOf = (method: string, path: string) => ops.find((o) => o.method === method && o.path === path)?.op.tags;
    expect(tagOf('GET', '/v1/emails/scheduled')).toEqual(['Emails']);
    expect(tagOf('PUT', '/v1/emails/saved-searches')).toEqual(['Emails']);
    expect(tagOf('GET', '/v1/track/open/{token}')).toEqual(['Tracking']);
    expect(tagOf('POST', '/v1/unsubscribe/{token}')).toEqual(['Tracking']);
    expect(ops.at(-1)?.op.tags).toEqual(['Tracking']);
  });

  it('gives every operation a summary, a description, and a meaning for each of its answers', () => {
    for (const o of ops) {
      expect([label(o), typeof o.op.summary]).toEqual([label(o), 'string']);
      expect(o.op.summary.length).toBeLessThanOrEqual(60);
      // What it does, its limits and errors: more than the summary says again.
      expect([label(o), o.op.description.length > o.op.summary.length + 40]).toEqual([label(o), true]);
      for (const [status, response] of Object.entries(o.op.responses as Record<string, { description: string }>)) {
        const where = `${label(o)} ${status}`;
        expect([where, response.description]).not.toEqual([where, 'Default Response']);
        expect([where, response.description]).not.toEqual([where, doc.components.schemas.Error.description]);
      }
      // Documentation-only keys are gone from what clients read.
      expect(Object.keys(o.op).filter((k) => k.startsWith('x-'))).toEqual([]);
    }
  });

  it('shows at least one example per operation, and one for every JSON answer', () => {
    for (const o of ops)
      expect([label(o), [...requestExamples(o), ...responseExamples(o)].length > 0]).toEqual([label(o), true]);
    for (const o of ops)
      for (const [status, response] of Object.entries(o.op.responses as Record<string, any>)) {
        const json = response.content?.['application/json'];
        if (json)
          expect([`${label(o)} ${status}`, json.example ?? json.examples]).not.toEqual([
            `${label(o)} ${status}`,
            undefined,
          ]);
      }
    // Bodies and the parameters worth showing have theirs (Swagger UI fills "Try it out" with them).
    for (const o of ops.filter((x) => x.op.requestBody))
      expect([label(o), requestExamples(o).some((e) => e.where.includes('request'))]).toEqual([label(o), true]);
    for (const o of ops)
      for (const p of (o.op.parameters ?? []).filter((x: any) => x.in === 'path'))
        expect([label(o), p.name, p.example]).toEqual([label(o), p.name, expect.anything()]);
  });

  it('holds every example to the schema it illustrates', () => {
    const compile = schemaValidator(doc);
    const check = (e: Example) => {
      const validate = compile(e.schema);
      const ok = validate(e.value);
      expect([e.where, ok ? [] : validate.errors]).toEqual([e.where, []]);
    };
    const all = ops.flatMap((o) => [...requestExamples(o), ...responseExamples(o)]);
    expect(all.length).toBeGreaterThan(150);
    all.forEach(check);
    // The validator does refuse: an example with a field gone wrong fails.
    const send = requestExamples(ops.find((o) => o.method === 'POST' && o.path === '/v1/emails/')!)[0]!;
    const broken = { ...send, value: { ...(send.value as object), to: [{ email: 'not an address' }] } };
    expect(compile(broken.schema)(broken.value)).toBe(false);
  });

  it('describes every property of every schema and every parameter', () => {
    const missing = allSchemas(doc).flatMap(({ where, schema }) => undescribedProperties(schema, where));
    expect(missing).toEqual([]);
    for (const o of ops)
      for (const p of o.op.parameters ?? [])
        expect([label(o), p.name, typeof p.description]).toEqual([label(o), p.name, 'string']);
  });

  it('shows real data: addresses, UUIDv7 ids, UTC times, keys and secrets as the API gives them', () => {
    const strings = ops
      .flatMap((o) => [...requestExamples(o), ...responseExamples(o)])
      .flatMap((e) => exampleStrings(e.value, e.schema).map((s) => ({ ...s, where: e.where })));
    const of = (test: (s: (typeof strings)[number]) => boolean) => strings.filter(test);
    const ids = of((s) => s.schema.format === 'uuid');
    expect(ids.length).toBeGreaterThan(30);
    for (const s of ids) expect([s.where, s.name, s.value]).toEqual([s.where, s.name, expect.stringMatching(UUID_V7)]);
    const times = of((s) => s.schema.format === 'date-time');
    expect(times.length).toBeGreaterThan(30);
    for (const s of times)
      expect([s.where, s.name, s.value]).toEqual([
        s.where,
        s.name,
        expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      ]);
    // A bare address anywhere (not a Message-ID, not inside a sentence) is one a person would write.
    const addresses = of((s) => /^[^\s<>@"]+@[^\s<>@"]+$/.test(s.value));
    expect(addresses.length).toBeGreaterThan(20);
    for (const s of addresses)
      expect([s.where, s.name, s.value]).toEqual([s.where, s.name, expect.stringMatching(EXAMPLE_ADDRESS)]);
    for (const s of of((s) => s.name === 'key')) expect(s.value).toMatch(/^tfm_k_[A-Za-z0-9]{32}$/);
    for (const s of of((s) => s.name === 'secret')) expect(s.value).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(of((s) => s.name === 'secret').length).toBeGreaterThan(0);
    // Every address field shows an address of its own, so that no sample is ever made up from the pattern.
    const patterned = allSchemas(doc).flatMap(({ where, schema }) => addressFields(schema, where));
    expect(patterned.length).toBeGreaterThan(5);
    for (const { where, schema } of patterned)
      expect([where, schema.examples?.[0]]).toEqual([where, expect.stringMatching(EXAMPLE_ADDRESS)]);
    // What "Try it out" fills "Send an email" with.
    const send = doc.paths['/v1/emails/'].post.requestBody.content['application/json'].example;
    expect([send.from_.email, send.to[0].email]).toEqual(['hello@example.com', 'jane@example.org']);
  });

  it('has request examples that work as they are, from adding a domain to reading the message back', async () => {
    const example = (method: string, path: string, type = 'application/json') =>
      doc.paths[path][method].requestBody.content[type].example;
    const domain = await t.call('POST', '/v1/domains', example('post', '/v1/domains'));
    expect([domain.status, domain.body.name]).toEqual([201, 'example.com']);
    expect((await t.call('POST', `/v1/domains/${domain.body.id}/verify`)).body.status).toBe('verified');
    expect((await t.call('PATCH', `/v1/domains/${domain.body.id}`, example('patch', '/v1/domains/{id}'))).status).toBe(
      200,
    );
    expect((await t.call('POST', '/v1/senders', example('post', '/v1/senders'))).status).toBe(201);
    const check = await t.call('POST', '/v1/emails/validate', example('post', '/v1/emails/validate'));
    expect([check.status, check.body.valid, check.body.issues]).toEqual([200, true, []]);
    const sent = await t.call('POST', '/v1/emails/', example('post', '/v1/emails/'));
    expect([sent.status, sent.body.status]).toEqual([202, 'queued']);
    const batch = await t.call('POST', '/v1/emails/batch', example('post', '/v1/emails/batch'));
    expect([batch.status, batch.body.failed, batch.body.sent]).toEqual([202, 0, 2]);
    await settled(t, sent.body.id, 'delivered');
    const key = await t.call('POST', '/v1/api-keys', example('post', '/v1/api-keys'));
    expect([key.status, key.body.key]).toEqual([201, expect.stringMatching(/^tfm_k_/)]);
    const saved = await t.call('PUT', '/v1/emails/saved-searches', example('put', '/v1/emails/saved-searches'));
    expect([saved.status, saved.body.searches.length]).toEqual([200, 2]);
    const added = await t.call('POST', '/v1/suppressions', example('post', '/v1/suppressions'));
    expect([added.status, added.body.added, added.body.invalid]).toEqual([200, 2, 1]);
    const csv = example('post', '/v1/suppressions/import', 'text/csv');
    const imported = await fetch(`${t.url}/v1/suppressions/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect([imported.status, ((await imported.json()) as any).invalid]).toEqual([200, []]);
    // Every read with its examples filled in, as "Try it out" fills them: an answer, never a refusal of them.
    for (const o of ops.filter((x) => x.method === 'GET')) {
      let path = o.path;
      const query = new URLSearchParams();
      for (const p of o.op.parameters ?? []) {
        if (p.example === undefined) continue;
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
        if (p.in === 'query') query.set(p.name, String(p.example));
      }
      const r = await fetch(`${t.url}${path}${query.size ? `?${query.toString()}` : ''}`, {
        headers: { authorization: `Bearer ${t.key}` },
        redirect: 'manual',
      });
      await r.arrayBuffer();
      expect([label(o), r.status === 422 || r.status >= 500]).toEqual([label(o), false]);
    }
    const raw = doc.paths['/v1/emails/{id}/raw'].get.parameters.find((p: any) => p.name === 'recipient');
    const copy = await t.call('GET', `/v1/emails/${sent.body.id}/raw?recipient=${raw.example}`);
    expect([copy.status, copy.body]).toEqual([200, expect.stringContaining('Subject: Welcome aboard')]);
  });
});

/** The schemas under `schema` that take an address by the send body's pattern, with where they are. */
function addressFields(schema: any, where: string): Array<{ where: string; schema: any }> {
  if (schema === null || typeof schema !== 'object') return [];
  const here = schema.pattern === EMAIL_PATTERN ? [{ where, schema }] : [];
  const inside = Object.entries(schema.properties ?? {}).flatMap(([k, v]) => addressFields(v, `${where}.${k}`));
  return [...here, ...inside, ...(schema.items ? addressFields(schema.items, `${where}[]`) : [])];
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(testDatabases())('the OpenAPI document on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it('is OpenAPI 3.1 and lists every route the server answers', async () => {
    const doc = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const routes = t.server.app.routeList
      .filter((r) => !r.hidden && r.method !== 'HEAD' && !r.url.startsWith('/docs'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // The API's paths, with its trailing slash.
    const send = doc.body.paths['/v1/emails/']?.post;
    expect(send.requestBody.content['application/json'].schema.required).toEqual(['from_', 'to', 'subject']);
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(['202', '413', '422', '429']));
    expect(doc.body.paths['/v1/emails/']?.get).toBeDefined();
    expect(doc.body.paths['/v1/emails']).toBeUndefined();
  });

  it('documents page and limit as integers', async () => {
    const doc = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    for (const path of ['/v1/emails/', '/v1/emails/search', '/v1/emails/scheduled']) {
      const params = doc.body.paths[path].get.parameters as Array<{
        name: string;
        in: string;
        schema: { type: string; minimum?: number; maximum?: number };
      }>;
      const byName = Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
      expect([path, byName.page?.type, byName.limit?.type]).toEqual([path, 'integer', 'integer']);
      expect(byName.limit?.minimum).toBe(1);
    }
    const list = doc.body.paths['/v1/emails/'].get.parameters as Array<{
      name: string;
      schema: { default?: number; maximum?: number };
    }>;
    expect(list.find((p) => p.name === 'limit')?.schema).toMatchObject({ default: 20, maximum: 100 });
    const updates = doc.body.paths['/v1/emails/updates'].get.parameters as Array<{
      name: string;
      required?: boolean;
      schema: { format?: string };
    }>;
    expect(updates.find((p) => p.name === 'since')).toMatchObject({ required: true, schema: { format: 'date-time' } });
    const events = doc.body.paths['/v1/emails/{id}/events'].get.parameters as Array<{
      name: string;
      schema: { type?: string; maximum?: number };
    }>;
    expect(events.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', maximum: 1000 });
    // Both spellings of the path still answer.
    expect((await t.call('GET', '/v1/emails')).status).toBe(200);
    expect((await t.call('GET', '/v1/emails/')).status).toBe(200);
    expect((await t.call('POST', '/v1/emails', {})).status).toBe(422);
  });

  it('renders a reference at /docs: 200 and the Swagger UI page, with or without the trailing slash', async () => {
    // inject follows no redirect: a 3xx here would be seen as such.
    for (const url of ['/docs', '/docs/']) {
      const page = await t.server.app.inject({ method: 'GET', url });
      expect([url, page.statusCode]).toEqual([url, 200]);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<div id="swagger-ui"></div>');
      // The page's scripts and styles load from where it says, relative to that URL.
      const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(
        (m) => new URL(m[1]!, t.url + url).pathname,
      );
      expect(assets).toContain('/docs/static/swagger-initializer.js');
      for (const asset of assets) {
        const res = await fetch(t.url + asset);
        // Read to the end, or the connection stays busy and the server's close waits for it.
        await res.arrayBuffer();
        expect([asset, res.status]).toEqual([asset, 200]);
      }
    }
    // The page loads the document from ./json, which is /docs/json from either spelling.
    const doc = await t.server.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toBe('3.1.0');
  });

  it('uses the schemas to validate: wrong types are a 422 naming the field', async () => {
    const r = await t.call('POST', '/v1/senders', { email: 42 });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
    // What the schemas say, said as sentences naming the field.
    const refusals: Array<[string, string, unknown, string, string]> = [
      ['POST', '/v1/domains', { name: '   ' }, 'name', 'must not be blank'],
      ['POST', '/v1/domains', {}, 'name', 'is required'],
      ['POST', '/v1/api-keys', { name: ' \t' }, 'name', 'must not be blank'],
      ['POST', '/v1/api-keys', { name: 'k'.repeat(101) }, 'name', 'must be at most 100 characters'],
      [
        'POST',
        '/v1/senders',
        { email: 'a@b.test', name: 'Two\nlines' },
        'name',
        'must be one line without control characters',
      ],
      // A sender's name is the display name of its mail when a send body gives none.
      [
        'POST',
        '/v1/senders',
        { email: 'a@b.test', name: 'A\u0000B' },
        'name',
        'must be one line without control characters',
      ],
      [
        'POST',
        '/v1/senders',
        { email: 'a@b.test', name: 'A\u0085B' },
        'name',
        'must be one line without control characters',
      ],
      [
        'PATCH',
        '/v1/domains/00000000-0000-7000-8000-000000000000',
        { pixel_position: 'left' },
        'pixel_position',
        'must be one of "top", "bottom"',
      ],
      ['PUT', '/v1/emails/saved-searches', { searches: [{ name: ' ' }] }, 'searches[0].name', 'must not be blank'],
      [
        'PUT',
        '/v1/emails/saved-searches',
        { searches: [{ name: 'x', query: 'q'.repeat(501) }] },
        'searches[0].query',
        'must be at most 500 characters',
      ],
      [
        'PUT',
        '/v1/emails/saved-searches',
        { searches: Array.from({ length: 51 }, (_, i) => ({ name: `s${i}` })) },
        'searches',
        'must have at most 50 items',
      ],
      [
        'PUT',
        '/v1/emails/saved-searches',
        {
          searches: [
            { id: 'a', name: 'x' },
            { id: 'a', name: 'y' },
          ],
        },
        'searches[1].id',
        'repeats an earlier entry',
      ],
    ];
    for (const [method, path, body, field, error] of refusals) {
      const x = await t.call(method, path, body);
      expect([method, path, x.status, x.body.errors]).toEqual([method, path, 422, [{ field, error }]]);
    }
    const key = await t.call('POST', '/v1/api-keys', { name: '  Deploys  ' });
    expect([key.status, key.body.name]).toEqual([201, 'Deploys']);
    expect((await t.call('POST', '/v1/api-keys', {})).body.name).toBe('API key');
    const bare = await t.call('POST', '/v1/api-keys');
    expect([bare.status, bare.body.detail]).toEqual([422, 'Invalid request: body must be an object.']);
    const extra = await t.call('PUT', '/v1/emails/saved-searches', { searches: [{ name: 'x', colour: 'red' }] });
    expect(extra.status).toBe(200); // unknown keys inside a saved search are ignored, not stored
    expect(extra.body.searches[0]).not.toHaveProperty('colour');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A well-formed UUIDv7 that no row has. */
const UNKNOWN = '01890000-0000-7000-8000-000000000000';

/** Every route with an `{id}` in its path, with a body where it needs one. */
const ROUTES: Array<[method: string, path: string, body?: unknown]> = [
  ['GET', '/v1/emails/{id}'],
  ['GET', '/v1/emails/{id}/events'],
  ['GET', '/v1/emails/{id}/raw'],
  ['GET', '/v1/emails/{id}/links'],
  ['POST', '/v1/emails/{id}/retry'],
  ['DELETE', '/v1/emails/scheduled/{id}'],
  ['POST', '/v1/emails/scheduled/{id}/send-now'],
  ['GET', '/v1/domains/{id}'],
  ['PATCH', '/v1/domains/{id}', { open_tracking: false }],
  ['DELETE', '/v1/domains/{id}'],
  ['POST', '/v1/domains/{id}/verify'],
  ['DELETE', '/v1/senders/{id}'],
  ['DELETE', '/v1/api-keys/{id}'],
];

describe.each(testDatabases())('id path parameters on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it('answer a malformed id with the 422 of a validation error naming `id`', async () => {
    const r = await t.call('GET', '/v1/emails/not-a-uuid');
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      detail: 'Invalid request: id must be an id this API gave out.',
      code: 'validation_error',
      errors: [{ field: 'id', error: 'must be an id this API gave out' }],
    });
    for (const [method, path, body] of ROUTES) {
      for (const bad of ['not-a-uuid', '42', `${UNKNOWN}x`, UNKNOWN.replace(/-/g, '')]) {
        const x = await t.call(method, path.replace('{id}', bad), body);
        expect([method, path, bad, x.status, x.body.errors]).toEqual([
          method,
          path,
          bad,
          422,
          [{ field: 'id', error: 'must be an id this API gave out' }],
        ]);
      }
    }
  });

  it('answer a well-formed unknown id with 404', async () => {
    for (const [method, path, body] of ROUTES) {
      const x = await t.call(method, path.replace('{id}', UNKNOWN), body);
      expect([method, path, x.status, x.body.code]).toEqual([method, path, 404, 'not_found']);
    }
  });

  it('are documented as UUIDs', async () => {
    const doc = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    for (const [method, path] of ROUTES) {
      const params = doc.body.paths[path][method.toLowerCase()].parameters as Array<{
        name: string;
        in: string;
        schema: unknown;
      }>;
      expect([method, path, params.find((p) => p.in === 'path' && p.name === 'id')?.schema]).toEqual([
        method,
        path,
        { type: 'string', format: 'uuid' },
      ]);
    }
  });

  it('still asks for the key first', async () => {
    const r = await t.call('GET', '/v1/emails/not-a-uuid', undefined, { key: null });
    expect(r.status).toBe(401);
  });
});

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The documented error body: `{detail, code}` (and `errors` where fields are at fault), nothing else. */
function expectErrorShape(r: RawAnswer, status: number, code: string): void {
  expect([r.status, r.headers['content-type']]).toEqual([status, 'application/json; charset=utf-8']);
  expect(Object.keys(r.json).filter((k) => k !== 'errors')).toEqual(['detail', 'code']);
  expect(r.json.code).toBe(code);
  expect(typeof r.json.detail).toBe('string');
  expect(r.headers['x-request-id']).toMatch(/^[\w.:-]{1,128}$/);
}

describe.each(testDatabases())('the edges of the HTTP API on %s', (kind) => {
  let t: TestServer;
  const auth = () => ({ authorization: `Bearer ${t.key}` });
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
  });
  afterAll(async () => t?.close());

  it('answers a bad URL, an over-long parameter and an unknown route in the error shape, never echoing the URL', async () => {
    const marker = 'zq<script>alert(1)</script>';
    const cases: Array<[string, number, string]> = [
      [`/v1/emails/%zz${encodeURIComponent(marker)}`, 400, 'bad_url'],
      [`/v1/domains/${'a'.repeat(10_001)}${encodeURIComponent(marker)}`, 414, 'uri_too_long'],
      [`/v1/no-such-route/${encodeURIComponent(marker)}`, 404, 'route_not_found'],
      [`/${encodeURIComponent(marker)}?q=${encodeURIComponent(marker)}`, 404, 'route_not_found'],
    ];
    for (const [path, status, code] of cases) {
      const r = await rawRequest(t.url, { path, headers: { ...auth(), 'x-request-id': 'edge-req-1' } });
      expectErrorShape(r, status, code);
      expect(r.headers['x-request-id']).toBe('edge-req-1');
      expect(r.body.toString()).not.toMatch(/zq|script|%zz|aaaaaaaaaa/);
    }
  });

  it('answers a request that is not valid HTTP in the error shape too, with a request id', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1', () => {
        socket.write('GET /v1/domains HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');
      });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nx-request-id: \S+/i);
    expect(head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8/i);
    expect(JSON.parse(body!)).toEqual({ detail: expect.any(String), code: 'bad_request' });
  });

  it('answers malformed JSON in the error shape without quoting the body back', async () => {
    for (const body of ['{"name": "zq<b>', '{"name": zq}', '{zq']) {
      const r = await rawRequest(t.url, {
        method: 'POST',
        path: '/v1/domains',
        headers: { ...auth(), 'content-type': 'application/json' },
        body,
      });
      expectErrorShape(r, 400, 'invalid_json');
      expect(r.body.toString()).not.toContain('zq');
    }
  });

  it('refuses a JSON route body sent as text/plain or without a Content-Type with 415, before reading it', async () => {
    const types: Array<Record<string, string>> = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'text/plain; charset=utf-8' },
      {},
    ];
    for (const headers of types) {
      for (const [method, path] of [
        ['POST', '/v1/domains'],
        ['POST', '/v1/emails/'],
        ['PATCH', '/v1/domains/0190a0a0-0000-7000-8000-000000000000'],
      ] as const) {
        const r = await rawRequest(t.url, {
          method,
          path,
          headers: { ...auth(), ...headers },
          body: '{"name":"plain.test"}',
        });
        expectErrorShape(r, 415, 'unsupported_media_type');
      }
    }
    // Nothing was created by any of them; JSON still works.
    expect((await t.call('GET', '/v1/domains')).body).toEqual([]);
    expect((await t.call('POST', '/v1/domains', { name: 'plain.test' })).status).toBe(201);
  });

  it('keeps answering requests without a body, and the CSV import its own type', async () => {
    expect((await rawRequest(t.url, { path: '/v1/domains', headers: auth() })).status).toBe(200);
    const csv = await rawRequest(t.url, {
      method: 'POST',
      path: '/v1/suppressions/import',
      headers: { ...auth(), 'content-type': 'text/csv' },
      body: 'address,type\nx@csv.test,bounce\n',
    });
    expect(csv.status).toBe(200);
    const plain = await rawRequest(t.url, {
      method: 'POST',
      path: '/v1/suppressions/import',
      headers: { ...auth(), 'content-type': 'text/plain' },
      body: 'address,type\nx@csv.test,bounce\n',
    });
    expectErrorShape(plain, 415, 'unsupported_media_type');
    expect(plain.json.detail).toBe('Send the request body as text/csv.');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A path a route pattern stands for: each parameter given a value of its kind. */
function concrete(url: string): string {
  const values: Record<string, string> = { type: 'bounce', address: 'a@b.test', token: 'x' };
  return url.replace(/:(\w+)/g, (_, name: string) => values[name] ?? randomUUID()).replace('*', 'index.html');
}

/** Whether a route took the request (whatever it then answered), rather than the router saying no. */
const answered = (r: RawAnswer) => r.status !== 405 && r.json?.code !== 'route_not_found';

describe.each(testDatabases())('a method a path does not answer, on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
  });
  afterAll(async () => t?.close());

  const send = (method: string, path: string) =>
    rawRequest(t.url, { method, path, headers: { authorization: `Bearer ${t.key}`, 'x-request-id': 'method-1' } });

  it('is a 405 listing in Allow exactly the methods that path answers, for every registered route', async () => {
    const byPattern = new Map<string, Set<string>>();
    for (const r of t.server.app.routeList) byPattern.set(r.url, (byPattern.get(r.url) ?? new Set()).add(r.method));
    expect(byPattern.size).toBeGreaterThan(40);
    let refused = 0;
    for (const [url, registered] of byPattern) {
      const path = concrete(url);
      const answers = new Map<string, RawAnswer>();
      for (const m of METHODS) answers.set(m, await send(m, path));
      // The methods the path answers: the route's own, and those another route takes there. (A file route's own
      // methods answer a file that is not there with its 404: the path still answers them.)
      const answering = METHODS.filter((m) => registered.has(m) || answered(answers.get(m)!));
      // Every method registered for the route is taken there (but a file's); HEAD wherever GET is.
      if (!url.includes('*'))
        expect([url, [...registered].filter((m) => !answered(answers.get(m)!))]).toEqual([url, []]);
      if (answering.includes('GET')) expect([url, answering.includes('HEAD')]).toEqual([url, true]);
      for (const m of METHODS.filter((x) => !answering.includes(x))) {
        const r = answers.get(m)!;
        expect([m, url, r.status]).toEqual([m, url, 405]);
        expect(r.headers.allow).toBe(answering.join(', '));
        expect(r.headers['x-request-id']).toBe('method-1');
        if (m !== 'HEAD') {
          expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
          expect(r.json).toEqual({ detail: expect.stringContaining(m), code: 'method_not_allowed' });
        }
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(200);
  });

  it('names the methods in the sentence and the header, and answers without a key too', async () => {
    const id = randomUUID();
    const r = await rawRequest(t.url, { method: 'DELETE', path: `/v1/domains/${id}/verify` });
    expect([r.status, r.headers.allow, r.json.code]).toEqual([405, 'POST', 'method_not_allowed']);
    expect(r.json.detail).toBe(
      'This path does not answer DELETE; it answers POST (see the Allow header, and /docs for the API).',
    );
    const put = await send('PUT', '/v1/emails/');
    expect([put.status, put.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
    const noSlash = await send('PUT', '/v1/emails?limit=5');
    expect([noSlash.status, noSlash.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
    const pixel = await send('POST', '/v1/track/open/anything');
    expect([pixel.status, pixel.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('leaves unknown paths a 404 route_not_found, whatever the method', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['POST', '/v1/nothing-here'],
      ['DELETE', '/v1/emails/a/b/c'],
      ['PUT', '/v1/domains/x/verify/again'],
      ['GET', '/docs/static/no-such-file.js'],
      ['POST', '/nothing/here'],
    ] as const) {
      const r = await send(method, path);
      expect([method, path, r.status, r.json?.code]).toEqual([method, path, 404, 'route_not_found']);
      expect(r.headers.allow).toBeUndefined();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTokens } from '../../src/session-tokens.js';
import { testDatabases } from '../helpers/databases.js';
import { addUser, login, sessionSetCookie, withCookie } from '../helpers/dashboard.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'a long enough password';

describe.each(testDatabases())('dashboard sessions on %s', (kind) => {
  let t: TestServer;
  const db = () => t.server.store.db;
  const count = async (table: 'api_keys' | 'domains' | 'sessions') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it('logs in with email (any letter case) and password: the user, and a cookie that works on /v1 routes', async () => {
    const { id, accountId } = await addUser(t, 'Amina@Example.com', PASSWORD, 'Amina');
    const res = await login(t, 'amina@EXAMPLE.com', PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, email: 'Amina@Example.com', name: 'Amina', account_id: accountId });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.cookie).toMatch(/^taifa_session=[\w-]+\.[\w-]+\.[\w-]+$/);

    const emails = await withCookie(t, res.cookie!, 'GET', '/v1/emails/');
    expect([emails.status, emails.body]).toEqual([200, []]);
    const me = await withCookie(t, res.cookie!, 'GET', '/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: { id, email: 'Amina@Example.com', name: 'Amina', account_id: accountId },
      account: { id: accountId, name: 'Default', plan: 'business' },
    });
    // The session's account is the user's: what it lists is that account's.
    const ids = (r: { body: Array<{ id: string }> }) => r.body.map((k) => k.id);
    const keys = await withCookie(t, res.cookie!, 'GET', '/v1/api-keys');
    expect(ids(keys)).toEqual(ids(await t.call('GET', '/v1/api-keys')));
  });

  it('sets the cookie HttpOnly, SameSite=Lax, Path=/, for 7 days, and not Secure over http', async () => {
    await addUser(t, 'baraka@example.com', PASSWORD);
    const before = Date.now();
    const res = await login(t, 'baraka@example.com', PASSWORD);
    const attributes = res
      .setCookie!.split(';')
      .slice(1)
      .map((a) => a.trim());
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    const maxAge = Number(attributes.find((a) => a.startsWith('Max-Age='))!.slice('Max-Age='.length));
    expect(maxAge).toBeGreaterThan(7 * 86_400 - 60);
    expect(maxAge).toBeLessThanOrEqual(7 * 86_400);
    expect(attributes.some((a) => /^secure$/i.test(a))).toBe(false);
    expect(attributes.some((a) => /^domain=/i.test(a))).toBe(false);
    const expires = Date.parse(attributes.find((a) => a.startsWith('Expires='))!.slice('Expires='.length));
    expect(expires).toBeGreaterThan(before + 7 * 86_400_000 - 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
    // An X-Forwarded-Proto from a proxy that is not trusted changes nothing.
    const proxied = await login(t, 'baraka@example.com', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(proxied.setCookie).not.toMatch(/;\s*secure/i);
  });

  it('answers a wrong password and an unknown email with the same 401, and sets no cookie', async () => {
    await addUser(t, 'chausiku@example.com', PASSWORD);
    const wrong = await login(t, 'chausiku@example.com', 'not the password');
    const unknown = await login(t, 'nobody@example.com', PASSWORD);
    const notAnEmail = await login(t, 'not an address', PASSWORD);
    for (const res of [wrong, unknown, notAnEmail]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Wrong email or password.', code: 'invalid_credentials' });
      expect(res.setCookie).toBeNull();
    }
    // Empty fields are not a try: the body is refused as such, naming the field.
    expect((await login(t, '', '')).status).toBe(422);
    const missing = await t.call('POST', '/v1/auth/login', { email: 'chausiku@example.com' }, { key: null });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ field: 'password', error: expect.any(String) }]);
  });

  it('logs out: the session ends on the server, a replayed cookie is 401, and so is a request without one', async () => {
    await addUser(t, 'daudi@example.com', PASSWORD);
    const { cookie } = await login(t, 'daudi@example.com', PASSWORD);
    const other = (await login(t, 'daudi@example.com', PASSWORD)).cookie!;
    const sessions = await count('sessions');

    // Without the CSRF header, logout is refused like any write made with the cookie, and the session lives on.
    expect((await withCookie(t, cookie!, 'POST', '/v1/auth/logout', undefined, { csrf: false })).status).toBe(403);
    expect((await withCookie(t, cookie!, 'GET', '/v1/auth/me')).status).toBe(200);

    const out = await withCookie(t, cookie!, 'POST', '/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(sessionSetCookie(out.headers)).toMatch(/^taifa_session=;.*Expires=Thu, 01 Jan 1970/);
    expect(await count('sessions')).toBe(sessions - 1);

    for (const path of ['/v1/emails/', '/v1/auth/me']) {
      const replay = await withCookie(t, cookie!, 'GET', path);
      expect([path, replay.status, replay.body.code]).toEqual([path, 401, 'unauthorized']);
      expect(sessionSetCookie(replay.headers)).toMatch(/^taifa_session=;/); // told to drop it
    }
    expect((await withCookie(t, cookie!, 'POST', '/v1/auth/logout')).status).toBe(401);
    // The user's other session is another cookie: it still works.
    expect((await withCookie(t, other, 'GET', '/v1/auth/me')).status).toBe(200);
    expect((await t.call('GET', '/v1/auth/me', undefined, { key: null })).status).toBe(401);
    expect((await t.call('GET', '/v1/emails/', undefined, { key: null })).status).toBe(401);
  });

  it('refuses a cross-site write made with the cookie (403 csrf_failed) and writes nothing', async () => {
    await addUser(t, 'eshe@example.com', PASSWORD);
    const { cookie } = await login(t, 'eshe@example.com', PASSWORD);
    const keysBefore = await count('api_keys');
    const domainsBefore = await count('domains');
    const evil = 'http://evil.example';
    const attempts: Array<{ what: string; init: RequestInit }> = [
      {
        what: 'a form post from another site',
        init: {
          headers: { cookie: cookie!, origin: evil, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'name=evil',
        },
      },
      {
        what: 'JSON from another site',
        init: {
          headers: { cookie: cookie!, origin: evil, 'content-type': 'application/json' },
          body: '{"name":"evil"}',
        },
      },
      {
        what: 'a plain-text body without an origin',
        init: { headers: { cookie: cookie!, 'content-type': 'text/plain' }, body: '{"name":"evil"}' },
      },
      {
        what: 'the CSRF header from another origin',
        init: {
          headers: { cookie: cookie!, origin: evil, 'x-taifa-csrf': '1', 'content-type': 'application/json' },
          body: '{"name":"evil"}',
        },
      },
      {
        what: 'the CSRF header with another site as Referer',
        init: {
          headers: {
            cookie: cookie!,
            referer: `${evil}/page`,
            'x-taifa-csrf': '1',
            'content-type': 'application/json',
          },
          body: '{"name":"evil"}',
        },
      },
      {
        what: 'an opaque origin',
        init: {
          headers: { cookie: cookie!, origin: 'null', 'x-taifa-csrf': '1', 'content-type': 'application/json' },
          body: '{"name":"evil"}',
        },
      },
      {
        what: 'a CSRF header that is not 1',
        init: {
          headers: { cookie: cookie!, 'x-taifa-csrf': 'yes', 'content-type': 'application/json' },
          body: '{"name":"evil"}',
        },
      },
    ];
    for (const { what, init } of attempts) {
      for (const [method, path] of [
        ['POST', '/v1/api-keys'],
        ['POST', '/v1/domains'],
      ] as const) {
        const res = await fetch(`${t.url}${path}`, { method, ...init });
        const body = (await res.json()) as { code: string };
        expect([what, path, res.status, body.code]).toEqual([what, path, 403, 'csrf_failed']);
      }
    }
    expect(await count('api_keys')).toBe(keysBefore);
    expect(await count('domains')).toBe(domainsBefore);
    // A delete too.
    const key = await t.call('POST', '/v1/api-keys', { name: 'Kept' });
    const del = await fetch(`${t.url}/v1/api-keys/${key.body.id}`, {
      method: 'DELETE',
      headers: { cookie: cookie!, origin: evil },
    });
    expect(del.status).toBe(403);
    expect((await t.call('GET', '/v1/api-keys')).body.map((k: { id: string }) => k.id)).toContain(key.body.id);
  });

  it('takes a same-origin write with the CSRF header, as the session user', async () => {
    const { id } = await addUser(t, 'faraji@example.com', PASSWORD);
    const { cookie } = await login(t, 'faraji@example.com', PASSWORD);
    // The origin the request was addressed to, the public URL's, or none said.
    const origins: Array<Record<string, string>> = [
      { origin: t.url },
      { origin: 'http://localhost:3000' },
      { referer: `${t.url}/dashboard` },
      {},
    ];
    for (const [i, headers] of origins.entries()) {
      const res = await withCookie(
        t,
        cookie!,
        'POST',
        '/v1/api-keys',
        { name: `From the dashboard ${i}` },
        { headers },
      );
      expect([headers, res.status]).toEqual([headers, 201]);
      const row = await db().selectFrom('api_keys').select('user_id').where('id', '=', res.body.id).executeTakeFirst();
      expect(row?.user_id).toBe(id);
      // The key it made works as a key.
      expect((await t.call('GET', '/v1/emails/', undefined, { key: res.body.key })).status).toBe(200);
    }
    const put = await withCookie(t, cookie!, 'PUT', '/v1/emails/saved-searches', { searches: [] });
    expect(put.status).toBe(200);
  });

  it('leaves Bearer keys as they were: no CSRF header needed, whatever the origin or cookie', async () => {
    const { cookie } = await login(t, 'faraji@example.com', PASSWORD);
    const evil = await t.call(
      'POST',
      '/v1/api-keys',
      { name: 'By key' },
      { headers: { origin: 'http://evil.example' } },
    );
    expect(evil.status).toBe(201);
    // A key and a cookie: the key decides (and a bad key is a 401, even with a good cookie).
    const both = await t.call('POST', '/v1/api-keys', { name: 'Both' }, { headers: { cookie: cookie! } });
    expect(both.status).toBe(201);
    const badKey = await t.call('GET', '/v1/emails/', undefined, {
      key: `tfm_k_${'x'.repeat(32)}`,
      headers: { cookie: cookie! },
    });
    expect(badKey.status).toBe(401);
    // With a key, me is the key's owner user (no email), and logout ends nothing.
    const me = await t.call('GET', '/v1/auth/me');
    expect(me.body.user).toMatchObject({ email: null, name: 'Owner' });
    expect((await t.call('POST', '/v1/auth/logout')).status).toBe(204);
    expect((await withCookie(t, cookie!, 'GET', '/v1/auth/me')).status).toBe(200);
  });

  it('keeps saved searches per user: the session user has their own', async () => {
    await addUser(t, 'gathoni@example.com', PASSWORD);
    const { cookie } = await login(t, 'gathoni@example.com', PASSWORD);
    await t.call('PUT', '/v1/emails/saved-searches', { searches: [{ name: 'The owner’s' }] });
    const put = await withCookie(t, cookie!, 'PUT', '/v1/emails/saved-searches', {
      searches: [{ id: 'g1', name: 'Gathoni: bounces', query: 'status:bounced' }],
    });
    expect(put.status).toBe(200);
    const mine = await withCookie(t, cookie!, 'GET', '/v1/emails/saved-searches');
    expect(mine.body.searches.map((s: { name: string }) => s.name)).toEqual(['Gathoni: bounces']);
    const owners = await t.call('GET', '/v1/emails/saved-searches');
    expect(owners.body.searches.map((s: { name: string }) => s.name)).toEqual(['The owner’s']);
  });

  it('refuses a tampered, expired, foreign or ended session token with 401', async () => {
    const { id } = await addUser(t, 'hadiza@example.com', PASSWORD);
    const { cookie } = await login(t, 'hadiza@example.com', PASSWORD);
    const token = cookie!.slice('taifa_session='.length);
    const claims = (await new SessionTokens('test-secret').verify(token))!;
    expect(claims).toMatchObject({ userId: id });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherUser = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'someone-else' }),
    ).toString('base64url');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const tampered = {
      'signature changed': `${header}.${payload}.${flipped}`,
      'payload changed': `${header}.${otherUser}.${signature}`,
      'alg none': `${noneHeader}.${payload}.`,
      garbage: 'not-a-jwt',
      expired: await new SessionTokens('test-secret').sign({ ...claims, expiresAt: Date.now() - 1000 }),
      'another secret': await new SessionTokens('another-secret').sign(claims),
    };
    for (const [what, value] of Object.entries(tampered)) {
      const res = await withCookie(t, `taifa_session=${value}`, 'GET', '/v1/auth/me');
      expect([what, res.status, res.body.code]).toEqual([what, 401, 'unauthorized']);
    }
    // The genuine one still works; once its session has expired in the database, it does not.
    expect((await withCookie(t, cookie!, 'GET', '/v1/auth/me')).status).toBe(200);
    await db()
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', claims.sessionId)
      .execute();
    expect((await withCookie(t, cookie!, 'GET', '/v1/auth/me')).status).toBe(401);
  });

  it('documents the auth routes in OpenAPI, with examples', async () => {
    const doc = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    const paths = doc.body.paths;
    const login = paths['/v1/auth/login'].post;
    expect(login).toMatchObject({ tags: ['Auth'], summary: expect.any(String), description: expect.any(String) });
    expect(login.security).toEqual([]);
    // One example each: the generator shows it as the media type's example.
    expect(login.requestBody.content['application/json'].example).toEqual({
      email: expect.any(String),
      password: expect.any(String),
    });
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '401', '422', '429']));
    expect(Object.keys(login.responses['200'].content['application/json'].example).sort()).toEqual([
      'account_id',
      'email',
      'id',
      'name',
    ]);
    expect(paths['/v1/auth/logout'].post).toMatchObject({ tags: ['Auth'], responses: { 204: expect.anything() } });
    const me = paths['/v1/auth/me'].get;
    expect(me.tags).toEqual(['Auth']);
    expect(Object.keys(me.responses['200'].content['application/json'].example)).toEqual(['user', 'account']);
  });
});

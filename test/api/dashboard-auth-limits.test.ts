import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { addUser, login, withCookie } from '../helpers/dashboard.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'a long enough password';

describe.each(testDatabases())('dashboard logins behind a proxy, limited, on %s', (kind) => {
  let t: TestServer;
  /** From a client address, as the trusted proxy says. */
  const from = (ip: string, more: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...more });

  beforeAll(async () => {
    t = await startTestServer(kind, {
      TAIFA_ROLES: 'api',
      TAIFA_TRUST_PROXY: 'true',
      TAIFA_AUTH_FAILURES_PER_MINUTE: '3',
    });
    await addUser(t, 'amina@example.com', PASSWORD);
    await addUser(t, 'baraka@example.com', PASSWORD);
    await addUser(t, 'chausiku@example.com', PASSWORD);
  });
  afterAll(async () => t?.close());

  it('makes the cookie Secure when the trusted proxy says the request came over https', async () => {
    const https = await login(t, 'amina@example.com', PASSWORD, from('198.51.100.1', { 'x-forwarded-proto': 'https' }));
    expect(https.status).toBe(200);
    expect(https.setCookie).toMatch(/;\s*Secure(;|$)/);
    const http = await login(t, 'amina@example.com', PASSWORD, from('198.51.100.1'));
    expect(http.setCookie).not.toMatch(/secure/i);
  });

  it('answers 429 with Retry-After after 10 failed logins to one email, from anywhere, even with its password', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await login(t, 'baraka@example.com', `wrong ${i}`, from(`203.0.113.${i + 1}`));
      expect(res.status).toBe(401);
    }
    const blocked = await login(t, 'BARAKA@example.com', PASSWORD, from('203.0.113.100'));
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('too_many_login_attempts');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(blocked.setCookie).toBeNull();
    // Another email from the same address is not blocked.
    expect((await login(t, 'amina@example.com', PASSWORD, from('203.0.113.100'))).status).toBe(200);
  });

  it('answers 429 after 10 failed logins from one address, whatever the emails', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await login(t, `guess${i}@example.com`, 'guess', from('192.0.2.7'));
      expect(res.status).toBe(401);
    }
    const blocked = await login(t, 'chausiku@example.com', PASSWORD, from('192.0.2.7'));
    expect([blocked.status, blocked.body.code]).toEqual([429, 'too_many_login_attempts']);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The user, from elsewhere, logs in.
    expect((await login(t, 'chausiku@example.com', PASSWORD, from('192.0.2.8'))).status).toBe(200);
  });

  it('lets a genuine session through from an address blocked for bad keys, but not a forged one', async () => {
    const { cookie } = await login(t, 'amina@example.com', PASSWORD, from('198.51.100.50'));
    for (let i = 0; i < 3; i++) {
      const res = await t.call('GET', '/v1/emails/', undefined, {
        key: `tfm_k_${String(i).repeat(32)}`,
        headers: from('198.51.100.50'),
      });
      expect(res.status).toBe(401);
    }
    expect((await t.call('GET', '/v1/emails/', undefined, { key: null, headers: from('198.51.100.50') })).status).toBe(
      429,
    );
    const genuine = await withCookie(t, cookie!, 'GET', '/v1/emails/', undefined, { headers: from('198.51.100.50') });
    expect(genuine.status).toBe(200);
    const forged = await withCookie(t, 'taifa_session=a.b.c', 'GET', '/v1/emails/', undefined, {
      headers: from('198.51.100.50'),
    });
    expect([forged.status, forged.body.code]).toEqual([429, 'too_many_auth_failures']);
  });
});

describe.each(testDatabases())('dashboard logins at an https public URL, on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_PUBLIC_URL: 'https://mail.example.test' });
    await addUser(t, 'amina@example.com', PASSWORD);
  });
  afterAll(async () => t?.close());

  it('sets the cookie Secure, and takes writes from the public origin only', async () => {
    const res = await login(t, 'amina@example.com', PASSWORD);
    expect(res.setCookie).toMatch(/;\s*Secure(;|$)/);
    const ok = await withCookie(
      t,
      res.cookie!,
      'POST',
      '/v1/api-keys',
      { name: 'Dashboard' },
      {
        headers: { origin: 'https://mail.example.test' },
      },
    );
    expect(ok.status).toBe(201);
    // The same host over http is another origin.
    const http = await withCookie(
      t,
      res.cookie!,
      'POST',
      '/v1/api-keys',
      { name: 'Dashboard' },
      {
        headers: { origin: 'http://mail.example.test' },
      },
    );
    expect([http.status, http.body.code]).toEqual([403, 'csrf_failed']);
    // A login from another site's page is refused too.
    const elsewhere = await login(t, 'amina@example.com', PASSWORD, { origin: 'https://evil.example' });
    expect([elsewhere.status, elsewhere.body.code, elsewhere.setCookie]).toEqual([403, 'csrf_failed', null]);
  });
});

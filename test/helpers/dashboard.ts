import { findKeyOwner } from '../../src/store/accounts-repo.js';
import { hashApiKey } from '../../src/ids.js';
import { createUser } from '../../src/services/users.js';
import type { Res, TestServer } from './server.js';

/** A login's answer, with the session cookie it set (`taifa_session=…`, ready for a Cookie header) and the raw
 * Set-Cookie line. */
export interface Login extends Res {
  cookie: string | null;
  setCookie: string | null;
}

/** The `taifa_session` line among a response's Set-Cookie headers, or null. */
export function sessionSetCookie(headers: Headers): string | null {
  return headers.getSetCookie().find((c) => c.startsWith('taifa_session=')) ?? null;
}

/** POST /v1/auth/login with `headers` on top. */
export async function login(
  t: { url: string },
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Login> {
  const res = await fetch(`${t.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });
  const text = await res.text();
  const setCookie = sessionSetCookie(res.headers);
  return {
    status: res.status,
    body: text ? JSON.parse(text) : text,
    headers: res.headers,
    setCookie,
    cookie: setCookie?.split(';')[0] ?? null,
  };
}

/** A new dashboard user of the test server's first account; returns its id and account. */
export async function addUser(
  t: TestServer,
  email: string,
  password: string,
  name?: string,
): Promise<{ id: string; accountId: string }> {
  const owner = (await findKeyOwner(t.server.store.db, hashApiKey(t.key)))!;
  const { user } = await createUser(t.server.store, { accountId: owner.accountId, email, password, name });
  return { id: user.id, accountId: owner.accountId };
}

/** `t.call` with the session cookie instead of the key (and, for a write, the CSRF header unless `csrf` is false). */
export function withCookie(
  t: TestServer,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { csrf?: boolean; headers?: Record<string, string> } = {},
): Promise<Res> {
  const csrf = opts.csrf ?? method !== 'GET';
  return t.call(method, path, body, {
    key: null,
    headers: { cookie, ...(csrf ? { 'x-taifa-csrf': '1' } : {}), ...(opts.headers ?? {}) },
  });
}

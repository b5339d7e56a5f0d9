// The dashboard's only way to the server: the public /v1 API, authenticated by the session cookie. Writes carry
// the header the API requires of cookie-authenticated writes (a cross-site form cannot set it).

/** An API error as the server words it: `{detail, code, errors}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: ReadonlyArray<{ field: string; error: string }> = [],
  ) {
    super(message);
  }
}

interface ErrorBody {
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; error: string }>;
}

/** Calls the API; resolves to the parsed JSON body (undefined for 204), throws ApiError for any 4xx or 5xx. */
export async function api<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  return (await apiWithHeaders<T>(method, path, body, init)).body;
}

/** A GET of a text resource (the raw message): its text, or ApiError for any 4xx or 5xx. */
export async function apiText(path: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin' });
  const text = await res.text();
  if (!res.ok) {
    let e: ErrorBody = {};
    try {
      e = JSON.parse(text) as ErrorBody;
    } catch {
      // Not the API's error body: the status says enough.
    }
    throw new ApiError(res.status, e.code ?? 'error', e.detail ?? `The server answered ${res.status}.`, e.errors);
  }
  return text;
}

/** As api, with the answer's headers too (a list's next cursor comes in x-next-cursor). */
export async function apiWithHeaders<T>(
  method: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<{ body: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (method !== 'GET' && method !== 'HEAD') headers.set('x-taifa-csrf', '1');
  if (body !== undefined && !(body instanceof Blob) && typeof body !== 'string')
    headers.set('content-type', 'application/json');
  const res = await fetch(path, {
    ...init,
    method,
    headers,
    credentials: 'same-origin',
    body:
      body === undefined ? undefined : body instanceof Blob || typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (res.status === 204) return { body: undefined as T, headers: res.headers };
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = (parsed ?? {}) as ErrorBody;
    throw new ApiError(res.status, e.code ?? 'error', e.detail ?? `The server answered ${res.status}.`, e.errors);
  }
  return { body: parsed as T, headers: res.headers };
}

import type { FastifyRequest } from 'fastify';

/** The header a dashboard's write must carry: a page on another site cannot send it (a form cannot set headers, and
 * a script's cross-origin request with it would need a CORS preflight this server never grants). */
export const CSRF_HEADER = 'x-taifa-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin of a URL, or null when it is not one (`null`, garbage). */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Whether a request comes from this server's pages, as far as it says where it comes from (Origin, else Referer;
 * neither is fine: not every client sends them): `publicOrigin` (TAIFA_PUBLIC_URL's), or the origin the request was
 * addressed to (its Host, with its scheme as Fastify sees it: https behind a trusted proxy that says so).
 */
export function fromThisOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const from = request.headers.origin ?? request.headers.referer;
  if (from === undefined) return true;
  const origin = originOf(from);
  return origin !== null && (origin === publicOrigin || origin === originOf(`${request.protocol}://${request.host}`));
}

/**
 * Whether a request authenticated by the session cookie may go ahead: reads always; a write (POST, PUT, PATCH,
 * DELETE…) when it carries `X-Taifa-Csrf: 1` and comes from this origin (fromThisOrigin).
 */
export function passesCsrfCheck(request: FastifyRequest, publicOrigin: string): boolean {
  if (SAFE_METHODS.has(request.method)) return true;
  return request.headers[CSRF_HEADER] === '1' && fromThisOrigin(request, publicOrigin);
}

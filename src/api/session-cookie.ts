import type { FastifyReply, FastifyRequest } from 'fastify';

/** The name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'taifa_session';

/** Whether the cookie must be Secure: the public URL is https, or this request came over https (said by a trusted
 * proxy's X-Forwarded-Proto, see TAIFA_TRUST_PROXY). */
function secure(request: FastifyRequest, publicUrl: string): boolean {
  return publicUrl.startsWith('https:') || request.protocol === 'https';
}

/** Sets the session cookie: HttpOnly (no script reads it), SameSite=Lax (no other site's request carries it, but a
 * link followed to here does), Path=/, Secure over https, and gone when the session ends (`expiresAt`, epoch ms). */
export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  publicUrl: string,
  token: string,
  expiresAt: number,
): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: secure(request, publicUrl),
    expires: new Date(expiresAt),
    maxAge: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
  });
}

/** Tells the browser to drop the session cookie (at logout, and when it no longer works). */
export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, publicUrl: string): void {
  void reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: secure(request, publicUrl),
  });
}

import { promises as dns } from 'node:dns';

/** A DNS resolver using the configured servers (`host:port`), or the system's when none are given. */
export function createResolver(servers: readonly string[], timeoutMs = 3000): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length) resolver.setServers([...servers]);
  return resolver;
}

/** DNS error codes meaning "this name or record does not exist" (as opposed to a failed look-up). */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** The error code of a failed look-up ('' when unknown). */
export function dnsErrorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

import { promises as dns } from 'node:dns';

/** A DNS resolver using the configured servers (`host:port`), or the system's when none are given. */
export function createResolver(servers: readonly string[], timeoutMs = 3000): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length) resolver.setServers([...servers]);
  return resolver;
}

/** Every address (A and AAAA) of a host name; rejects with the look-up's error when it has none. */
export type HostLookup = (host: string) => Promise<string[]>;

/**
 * Host look-ups through the configured servers (`host:port`) when there are any, so that tests can point
 * a name anywhere from a loopback DNS server; else the system's (`dns.lookup`, which reads /etc/hosts too).
 * One family failing is not the look-up failing: a name with A records but a broken AAAA answer has its
 * A addresses.
 */
export function hostLookup(servers: readonly string[]): HostLookup {
  if (servers.length === 0)
    return async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  const resolver = createResolver(servers);
  return async (host) => {
    const answers = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    if (addresses.length > 0) return addresses;
    const reasons = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as unknown] : []));
    // Say why it failed rather than "not found" when one family's look-up failed for another reason.
    const reason = reasons.find((r) => !NOT_FOUND_CODES.has(dnsErrorCode(r))) ?? reasons[0];
    throw reason instanceof Error ? reason : Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
  };
}

/** DNS error codes meaning "this name or record does not exist" (as opposed to a failed look-up). */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** The error code of a failed look-up ('' when unknown). */
export function dnsErrorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

import type { promises as dns } from 'node:dns';
import type { Logger } from 'pino';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { NOT_FOUND_CODES, dnsErrorCode } from '../dns/resolver.js';
import { SmtpPool } from './smtp-pool.js';
import type { Envelope, Transport } from './transport.js';

/** Where mail for a domain goes: MX hosts with their preference, or a final answer. */
type Route =
  | { kind: 'hosts'; hosts: Array<{ name: string; priority: number }> }
  | { kind: 'permanent'; text: string; dsn: string }
  | { kind: 'temporary'; text: string };

const ROUTE_TTL_MS = 60_000;

/**
 * MX host names by preference, equal preferences shuffled for each delivery (RFC 5321 §5.1), not once
 * per cached look-up, so that equal MX hosts share the load.
 */
function inPreferenceOrder(hosts: Array<{ name: string; priority: number }>): string[] {
  return hosts
    .map((h) => ({ ...h, tie: Math.random() }))
    .sort((a, b) => a.priority - b.priority || a.tie - b.tie)
    .map((h) => h.name);
}
const IDLE_POOL_MS = 30_000;

/**
 * Delivers straight to each recipient domain's MX (RFC 5321 §5.1): MX records by preference,
 * falling back to the domain's own A/AAAA when it has no MX, a null MX (RFC 7505) is a permanent
 * failure. One pool of reused connections per destination IP address, capped; STARTTLS when offered.
 */
export class DirectTransport implements Transport {
  readonly confirmsDelivery = true;
  private readonly routes = new Map<string, { route: Route; until: number }>();
  private readonly addresses = new Map<string, { ips: string[]; until: number }>();
  private readonly pools = new Map<string, SmtpPool>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly resolver: dns.Resolver,
    private readonly opts: { port: number; maxConnections: number; heloName: string; timeoutMs: number; log: Logger },
  ) {
    this.sweeper = setInterval(() => this.closeIdlePools(), IDLE_POOL_MS);
    this.sweeper.unref();
  }

  async deliver(e: Envelope): Promise<AttemptOutcome> {
    const route = await this.route(e.recipientDomain);
    if (route.kind === 'permanent')
      return { kind: 'permanent', reply: { code: null, text: route.text, dsn: route.dsn, host: null } };
    if (route.kind === 'temporary')
      return { kind: 'temporary', reply: { code: null, text: route.text, dsn: '4.4.3', host: null } };
    const failures: string[] = [];
    const hosts = inPreferenceOrder(route.hosts);
    for (const host of hosts) {
      let ips: string[];
      try {
        ips = await this.hostAddresses(host);
      } catch (error) {
        failures.push(`${host}: ${dnsErrorCode(error) || 'lookup failed'}`);
        continue;
      }
      for (const ip of ips) {
        const result = await this.pool(ip).send(e.from, e.to, e.raw, host);
        if ('outcome' in result) {
          result.outcome.reply.ip = ip;
          return result.outcome;
        }
        if (result.failure === 'data') {
          // The message went out and the connection broke before the reply: the MX may have it.
          // Trying the next address now could deliver it twice; the retry schedule tries again later.
          return {
            kind: 'temporary',
            reply: {
              code: null,
              text: `connection to ${host} [${ip}] lost after the message was sent, before the reply (${result.error})`,
              dsn: '4.4.2',
              host,
              ip,
            },
          };
        }
        failures.push(`${host} [${ip}]: ${result.error}`);
      }
    }
    return {
      kind: 'temporary',
      reply: {
        code: null,
        text: `no MX host of ${e.recipientDomain} could be reached (${failures.join('; ')})`,
        dsn: '4.4.1',
        host: hosts[0] ?? null,
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private pool(ip: string): SmtpPool {
    // Per destination address, so that the cap holds however many MX names point at one server; each
    // send names its MX host (TLS server name, what events report), and a connection opened for one name
    // may carry mail for another on the same address (TLS here is opportunistic, as in Postfix's cache).
    let pool = this.pools.get(ip);
    if (!pool) {
      pool = new SmtpPool({ host: ip, port: this.opts.port, label: ip, secure: false, requireTls: false }, this.opts);
      this.pools.set(ip, pool);
    }
    return pool;
  }

  private closeIdlePools(): void {
    const now = Date.now();
    for (const [key, pool] of this.pools) {
      if (pool.inFlight === 0 && now - pool.lastUsedAt > IDLE_POOL_MS) {
        pool.close();
        this.pools.delete(key);
      }
    }
  }

  private async route(domain: string): Promise<Route> {
    const cached = this.routes.get(domain);
    if (cached && cached.until > Date.now()) return cached.route;
    const route = await this.lookupRoute(domain);
    // Temporary DNS trouble is not cached: the next attempt asks again.
    if (route.kind !== 'temporary') this.routes.set(domain, { route, until: Date.now() + ROUTE_TTL_MS });
    return route;
  }

  private async lookupRoute(domain: string): Promise<Route> {
    try {
      const mx = await this.resolver.resolveMx(domain);
      const only = mx.length === 1 ? mx[0] : undefined;
      if (only && (only.exchange === '' || only.exchange === '.')) {
        return { kind: 'permanent', text: `${domain} does not accept mail (null MX, RFC 7505)`, dsn: '5.1.10' };
      }
      const hosts = mx
        .filter((m) => m.exchange !== '' && m.exchange !== '.')
        .map((m) => ({ name: m.exchange.replace(/\.$/, ''), priority: m.priority }));
      if (hosts.length) return { kind: 'hosts', hosts };
    } catch (error) {
      const code = dnsErrorCode(error);
      if (code === 'ENOTFOUND') return { kind: 'permanent', text: `the domain ${domain} does not exist`, dsn: '5.1.2' };
      if (code !== 'ENODATA')
        return { kind: 'temporary', text: `MX look-up for ${domain} failed: ${code || String(error)}` };
    }
    // No MX: the domain itself is the implicit MX, if it has an address (RFC 5321 §5.1).
    try {
      await this.hostAddresses(domain);
      return { kind: 'hosts', hosts: [{ name: domain, priority: 0 }] };
    } catch (error) {
      const code = dnsErrorCode(error);
      if (NOT_FOUND_CODES.has(code))
        return { kind: 'permanent', text: `${domain} has no MX and no address record`, dsn: '5.1.2' };
      return { kind: 'temporary', text: `address look-up for ${domain} failed: ${code || String(error)}` };
    }
  }

  /** A host's IPv4 then IPv6 addresses; throws the DNS error when it has none. */
  private async hostAddresses(host: string): Promise<string[]> {
    const cached = this.addresses.get(host);
    if (cached && cached.until > Date.now()) return cached.ips;
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const ips = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (ips.length === 0) throw v4.status === 'rejected' ? v4.reason : new Error('no address');
    this.addresses.set(host, { ips, until: Date.now() + ROUTE_TTL_MS });
    return ips;
  }
}

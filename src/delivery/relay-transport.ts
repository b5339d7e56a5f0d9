import { isIP } from 'node:net';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { SmtpPool, type PoolTarget } from './smtp-pool.js';
import type { Envelope, Transport } from './transport.js';

/** Parses `smtp://user:pass@host:port` / `smtps://…`. */
export function parseRelayUrl(url: string): {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
} {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
  };
}

/** Whether a host is this machine (127.0.0.0/8, ::1, localhost): traffic to it never crosses a network. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * How to reach the relay. Credentials never travel in clear text: over smtp:// (not smtps://) they
 * require STARTTLS, so a relay that does not offer it is a configuration fault rather than a leak,
 * except on loopback (a Postfix on the same machine), where nothing crosses a network.
 */
export function relayTarget(url: string): PoolTarget {
  const r = parseRelayUrl(url);
  return {
    host: r.host,
    port: r.port,
    label: r.host,
    secure: r.secure,
    auth: r.auth,
    requireTls: !!r.auth && !r.secure && !isLoopbackHost(r.host),
  };
}

/**
 * Delivers everything through one smarthost over a pool of reused connections; a 250 means `sent`.
 * Not reaching the relay at all (refused, no greeting, TLS required but failed, credentials refused) is
 * our configuration's fault; a connection the relay accepted and then lost mid-transaction is a
 * temporary failure like a 4xx (deferred, retried until the give-up age).
 */
export class RelayTransport implements Transport {
  readonly confirmsDelivery = false;
  private readonly pool: SmtpPool;

  constructor(relayUrl: string, opts: { maxConnections: number; heloName: string; timeoutMs: number }) {
    this.pool = new SmtpPool(relayTarget(relayUrl), opts);
  }

  async deliver(e: Envelope): Promise<AttemptOutcome> {
    const result = await this.pool.send(e.from, e.to, e.raw);
    if ('outcome' in result) return result.outcome;
    const host = this.pool.target.label;
    if (result.failure === 'connect') {
      return {
        kind: 'config_fault',
        reply: { code: null, text: `relay unreachable: ${result.error}`, dsn: '4.4.1', host },
      };
    }
    const when =
      result.failure === 'data'
        ? 'after the message was sent, before the relay confirmed it'
        : 'during the transaction';
    return {
      kind: 'temporary',
      reply: { code: null, text: `connection to the relay lost ${when}: ${result.error}`, dsn: '4.4.2', host },
    };
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}

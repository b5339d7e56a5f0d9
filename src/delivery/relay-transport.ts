import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { SmtpPool } from './smtp-pool.js';
import type { Envelope, Transport } from './transport.js';

/** Parses `smtp://user:pass@host:port` / `smtps://…`. */
export function parseRelayUrl(url: string): { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } } {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
  };
}

/** Delivers everything through one smarthost over a pool of reused connections; a 250 means `sent`. */
export class RelayTransport implements Transport {
  readonly confirmsDelivery = false;
  private readonly pool: SmtpPool;

  constructor(relayUrl: string, opts: { maxConnections: number; heloName: string; timeoutMs: number }) {
    const r = parseRelayUrl(relayUrl);
    this.pool = new SmtpPool({ host: r.host, port: r.port, label: r.host, secure: r.secure, auth: r.auth, requireTls: false }, opts);
  }

  async deliver(e: Envelope): Promise<AttemptOutcome> {
    const result = await this.pool.send(e.from, e.to, e.raw);
    if ('outcome' in result) return result.outcome;
    // Not reaching our own relay is our configuration's fault, not the recipient's.
    return { kind: 'config_fault', reply: { code: null, text: `relay unreachable: ${result.connectionError}`, dsn: '4.4.1', host: this.pool.target.label } };
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}

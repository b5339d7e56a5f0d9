import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { classifySmtpReply, enhancedStatus } from '../core/smtp-outcome.js';

/** Where and how to connect. */
export interface PoolTarget {
  /** Address to connect to (an IP for MX delivery, a host name for a relay). */
  host: string;
  port: number;
  /** Name shown in events and used for TLS SNI. */
  label: string;
  secure: boolean;
  auth?: { user: string; pass: string };
  /** Require STARTTLS (relays with credentials); otherwise STARTTLS is used when offered. */
  requireTls: boolean;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpError[];
}

/**
 * A pool of reused SMTP connections to one destination, over nodemailer's pooled transport:
 * at most `maxConnections` at once, each carrying any number of transactions.
 */
export class SmtpPool {
  private readonly transporter: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;
  lastUsedAt = Date.now();
  inFlight = 0;

  constructor(readonly target: PoolTarget, opts: { maxConnections: number; heloName: string; timeoutMs: number }) {
    this.transporter = nodemailer.createTransport({
      pool: true,
      host: target.host,
      port: target.port,
      secure: target.secure,
      auth: target.auth,
      requireTLS: target.requireTls,
      name: opts.heloName,
      maxConnections: opts.maxConnections,
      maxMessages: Infinity,
      // Our retry policy decides what a dropped connection means; the pool must not resend on its own.
      maxRequeues: 0,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
      // Opportunistic TLS, as MTAs do (Postfix's smtp_tls_security_level=may): encrypt, do not insist on a CA-signed certificate.
      tls: { rejectUnauthorized: false, servername: /^[\d.:]+$/.test(target.label) ? undefined : target.label },
      logger: false,
      debug: false,
    });
  }

  /**
   * Sends one transaction. Resolves to the reply-based outcome, or to `null` when no SMTP reply was
   * obtained (connection refused, dropped, timed out): the caller decides what that means.
   */
  async send(from: string, to: string, raw: Buffer): Promise<{ outcome: AttemptOutcome } | { connectionError: string }> {
    this.lastUsedAt = Date.now();
    this.inFlight++;
    try {
      const info = await this.transporter.sendMail({ envelope: { from, to: [to] }, raw });
      const response = String(info.response ?? '250 OK');
      const code = Number.parseInt(response.slice(0, 3), 10);
      return { outcome: classifySmtpReply(Number.isFinite(code) ? code : 250, response, this.target.label) };
    } catch (e) {
      const error = e as SmtpError;
      const rejected = error.rejectedErrors?.[0] ?? error;
      if (error.code === 'EAUTH') {
        return { outcome: { kind: 'config_fault', reply: { code: error.responseCode ?? null, text: error.response ?? error.message, dsn: enhancedStatus(error.response ?? ''), host: this.target.label } } };
      }
      if (rejected.responseCode) return { outcome: classifySmtpReply(rejected.responseCode, rejected.response ?? rejected.message, this.target.label) };
      return { connectionError: `${error.code ?? 'ERROR'}: ${error.message}` };
    } finally {
      this.inFlight--;
      this.lastUsedAt = Date.now();
    }
  }

  /** Closes every connection of the pool. */
  close(): void {
    this.transporter.close();
  }
}

import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { classifySmtpReply, enhancedStatus } from '../core/smtp-outcome.js';
import type { SmtpStage } from '../model.js';

/** Where and how to connect. */
export interface PoolTarget {
  /** Address to connect to (an IP for MX delivery, a host name for a relay). */
  host: string;
  port: number;
  /** Name shown in events and used for TLS SNI, unless a send names another. */
  label: string;
  secure: boolean;
  auth?: { user: string; pass: string };
  /** Require STARTTLS (relays with credentials); otherwise STARTTLS is used when offered. */
  requireTls: boolean;
}

/**
 * Where a transaction that got no SMTP reply broke off; the transports decide what each means.
 * - `connect`: no usable session (refused, timed out, no greeting, TLS required but failed). Nothing was sent.
 * - `session`: the session was up but the message itself was not sent, so it cannot have been delivered.
 * - `data`: the connection broke after the message was (being) sent and before the final reply: it may
 *   have been delivered, so sending it again at once risks a duplicate.
 */
export type FailureStage = 'connect' | 'session' | 'data';

export type SendResult = { outcome: AttemptOutcome } | { failure: FailureStage; error: string };

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpError[];
  /** The command the server refused, as nodemailer names it: `MAIL FROM`, `RCPT TO`, `DATA`… */
  command?: string;
}

/** The SMTP step of a refused command, for the bounce rules (a "user unknown" to DATA is a filter's). */
function stageOf(command: string | undefined): SmtpStage | undefined {
  if (!command) return undefined;
  if (/^rcpt/i.test(command)) return 'rcpt';
  if (/^mail/i.test(command)) return 'mail';
  if (/^(?:data|bdat|\.)/i.test(command)) return 'data';
  return undefined;
}

interface Conn {
  smtp: SMTPConnection;
  usable: boolean;
  gone: boolean;
  idleTimer: NodeJS.Timeout | null;
}

/** An idle connection is closed (QUIT) after this long, before the server's own idle timeout does it rudely. */
const IDLE_CLOSE_MS = 30_000;

function describe(error: SmtpError): string {
  return `${error.code ?? 'ERROR'}: ${error.message}`;
}

/**
 * A pool of reused SMTP connections to one destination (an MX address or the relay): at most
 * `maxConnections` at once, each carrying any number of transactions, one at a time. Built on
 * nodemailer's SMTPConnection rather than its pooled transport so that we know at which stage a
 * connection broke (`FailureStage`): whether the message may already have been delivered decides
 * whether it can be tried elsewhere at once.
 */
export class SmtpPool {
  lastUsedAt = Date.now();
  inFlight = 0;
  private readonly idle: Conn[] = [];
  private readonly waiting: Array<() => void> = [];
  private open = 0;
  private closed = false;

  constructor(
    readonly target: PoolTarget,
    private readonly opts: { maxConnections: number; heloName: string; timeoutMs: number },
  ) {}

  /** Sends one transaction; `serverName` (an MX host name) is what events report and TLS asks for. */
  async send(from: string, to: string, raw: Buffer, serverName = this.target.label): Promise<SendResult> {
    this.lastUsedAt = Date.now();
    this.inFlight++;
    try {
      let conn: Conn;
      try {
        conn = await this.acquire(serverName);
      } catch (e) {
        const error = e as SmtpError;
        if (error.code === 'EAUTH') {
          return {
            outcome: {
              kind: 'config_fault',
              reply: {
                code: error.responseCode ?? null,
                text: error.response ?? error.message,
                dsn: enhancedStatus(error.response ?? ''),
                host: serverName,
              },
            },
          };
        }
        return { failure: 'connect', error: describe(error) };
      }
      return await this.transact(conn, from, to, raw, serverName);
    } finally {
      this.inFlight--;
      this.lastUsedAt = Date.now();
    }
  }

  /** Closes every idle connection now and each busy one when its transaction ends. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) this.quit(conn);
    for (const wake of this.waiting.splice(0)) wake();
  }

  private transact(conn: Conn, from: string, to: string, raw: Buffer, serverName: string): Promise<SendResult> {
    // SMTPConnection pipes the body only after the server's 354: its first read marks "the message is going out".
    let bodyStarted = false;
    const body = new Readable({
      read() {
        bodyStarted = true;
        this.push(raw);
        this.push(null);
      },
    });
    return new Promise<SendResult>((resolve) => {
      conn.smtp.send({ from, to: [to] }, body, (err, info) => {
        if (!err) {
          this.release(conn);
          const response = String(info?.response ?? '250 OK');
          const code = Number.parseInt(response.slice(0, 3), 10);
          return resolve({ outcome: classifySmtpReply(Number.isFinite(code) ? code : 250, response, serverName) });
        }
        const error = err as SmtpError;
        const rejected = error.rejectedErrors?.[0] ?? error;
        if (rejected.responseCode) {
          // The server answered: the session stays usable after RSET, unless it said 421 (closing).
          if (rejected.responseCode !== 421 && conn.usable) this.resetAndRelease(conn);
          else this.discard(conn);
          return resolve({
            outcome: classifySmtpReply(
              rejected.responseCode,
              rejected.response ?? rejected.message,
              serverName,
              stageOf(rejected.command ?? error.command),
            ),
          });
        }
        this.discard(conn);
        resolve({ failure: bodyStarted ? 'data' : 'session', error: describe(error) });
      });
    });
  }

  private async acquire(serverName: string): Promise<Conn> {
    for (;;) {
      if (this.closed) throw Object.assign(new Error('the connection pool is closed'), { code: 'ECLOSED' });
      const conn = this.idle.pop(); // the most recently used: the others reach their idle close sooner
      if (conn) {
        if (conn.idleTimer) clearTimeout(conn.idleTimer);
        conn.idleTimer = null;
        if (conn.usable) return conn;
        continue;
      }
      if (this.open < this.opts.maxConnections) {
        this.open++;
        return this.connect(serverName);
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  /** Opens, greets, STARTTLS (when offered or required), AUTH (when configured). */
  private async connect(serverName: string): Promise<Conn> {
    const t = this.target;
    const smtp = new SMTPConnection({
      host: t.host,
      port: t.port,
      secure: t.secure,
      requireTLS: t.requireTls,
      name: this.opts.heloName,
      connectionTimeout: this.opts.timeoutMs,
      greetingTimeout: this.opts.timeoutMs,
      socketTimeout: this.opts.timeoutMs,
      // Opportunistic TLS, as MTAs do (Postfix's smtp_tls_security_level=may): encrypt, do not insist on a CA-signed
      // certificate.
      tls: { rejectUnauthorized: false, servername: isIP(serverName) ? undefined : serverName },
      logger: false,
    });
    const conn: Conn = { smtp, usable: false, gone: false, idleTimer: null };
    // Always listened to (an unhandled 'error' would end the process); a send in flight gets the same error in its
    // callback.
    smtp.on('error', () => this.forget(conn));
    smtp.once('end', () => this.forget(conn));
    try {
      await this.step(smtp, (done) => smtp.connect((err) => done(err ?? null)));
      if (t.auth) {
        // Sending without the configured credentials would only earn a rejection that looks like the recipient's fault.
        if (!smtp.allowsAuth)
          throw Object.assign(new Error(`${t.label} does not offer AUTH, but credentials are configured`), {
            code: 'EAUTH',
          });
        await this.step(smtp, (done) => smtp.login(t.auth, (err) => done(err ?? null)));
      }
    } catch (error) {
      smtp.close();
      this.forget(conn);
      throw error;
    }
    conn.usable = !conn.gone;
    if (!conn.usable)
      throw Object.assign(new Error('the connection closed while it was being set up'), { code: 'ECONNECTION' });
    return conn;
  }

  /** Runs one set-up step, which fails by its callback, an 'error' event or the connection ending. */
  private step(smtp: SMTPConnection, run: (done: (err: Error | null) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => finish(e);
      const onEnd = () => finish(Object.assign(new Error('connection closed during set-up'), { code: 'ECONNECTION' }));
      const finish = (err: Error | null) => {
        smtp.removeListener('error', onError);
        smtp.removeListener('end', onEnd);
        if (err) reject(err);
        else resolve();
      };
      smtp.once('error', onError);
      smtp.once('end', onEnd);
      run(finish);
    });
  }

  private release(conn: Conn): void {
    if (!conn.usable || this.closed) return this.discard(conn);
    conn.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(conn);
      if (i >= 0) this.idle.splice(i, 1);
      this.quit(conn);
    }, IDLE_CLOSE_MS);
    conn.idleTimer.unref();
    this.idle.push(conn);
    this.waiting.shift()?.();
  }

  private resetAndRelease(conn: Conn): void {
    conn.smtp.reset((err) => (err ? this.discard(conn) : this.release(conn)));
  }

  private quit(conn: Conn): void {
    conn.usable = false;
    conn.smtp.quit();
    this.forget(conn);
  }

  private discard(conn: Conn): void {
    conn.usable = false;
    conn.smtp.close();
    this.forget(conn);
  }

  /** Counts a connection out of the pool (once) and lets a waiting send open another. */
  private forget(conn: Conn): void {
    conn.usable = false;
    if (conn.gone) return;
    conn.gone = true;
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    this.open--;
    this.waiting.shift()?.();
  }
}

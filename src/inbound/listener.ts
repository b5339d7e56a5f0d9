import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** What the listener does with mail: which recipients are ours, and what an accepted message means. */
export interface InboundHandlers {
  /** Whether `address` is one of our mailboxes (a VERP return path, the complaint or unsubscribe box). */
  accepts(address: string): Promise<boolean>;
  /**
   * Takes one accepted message for `recipients`. Resolves once what it means is on disk: the listener
   * answers 250 only then, and 451 (try again later) when this throws.
   */
  handle(message: InboundMessage): Promise<void>;
}

/** A message as the listener accepted it. */
export interface InboundMessage {
  raw: Buffer;
  /** The envelope recipients it was accepted for (all of them ours). */
  recipients: string[];
  /** The envelope sender ('' for a bounce's null sender). */
  from: string;
  remoteAddress: string;
}

/** The listener's limits. */
export interface InboundLimits {
  /** Largest message accepted, in bytes (larger ones get 552). */
  maxBytes: number;
  /** Connections at once. */
  maxClients: number;
  /** Recipients per message. */
  maxRecipients: number;
  /** An idle connection is closed after this, in ms. */
  socketTimeoutMs: number;
}

/** The defaults: bounces and reports are small; 10 MiB leaves room for a quoted original. */
export const INBOUND_LIMITS: InboundLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxClients: 100,
  maxRecipients: 50,
  socketTimeoutMs: 60_000,
};

/** An SMTP reply that ends a command. */
function reply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * The inbound SMTP listener (the MX of each domain's return-path host): takes delivery status
 * notifications, complaint reports and unsubscribe mail for our own mailboxes only, refusing every other
 * recipient at RCPT with 550 (it relays nothing), and answers 250 only once the handler has recorded what
 * the message means. No AUTH (nobody logs in to an MX); STARTTLS with smtp-server's own certificate.
 */
export class InboundListener {
  private constructor(
    private readonly server: SMTPServer,
    /** The port it listens on (useful when started on port 0). */
    readonly port: number,
  ) {}

  /** Starts listening on `host:port`; rejects when the port cannot be taken. */
  static async start(o: {
    host: string;
    port: number;
    /** The name it greets with. */
    name: string;
    handlers: InboundHandlers;
    log: Logger;
    limits?: Partial<InboundLimits>;
  }): Promise<InboundListener> {
    const limits = { ...INBOUND_LIMITS, ...o.limits };
    const server = new SMTPServer({
      name: o.name,
      banner: 'Taifa Mail inbound',
      authOptional: true,
      disabledCommands: ['AUTH'],
      size: limits.maxBytes,
      maxClients: limits.maxClients,
      socketTimeout: limits.socketTimeoutMs,
      closeTimeout: 5_000,
      logger: false,
      onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, done: (err?: Error | null) => void) {
        if (session.envelope.rcptTo.length >= limits.maxRecipients) {
          done(reply(452, '4.5.3 Too many recipients'));
          return;
        }
        o.handlers.accepts(address.address).then(
          (ours) => done(ours ? null : reply(550, `5.1.1 <${address.address}>: no such mailbox here (not a relay)`)),
          (error: unknown) => {
            o.log.error({ err: error }, 'inbound: could not check a recipient');
            done(reply(451, '4.3.0 Temporary failure, try again later'));
          },
        );
      },
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null) => void) {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes <= limits.maxBytes) chunks.push(chunk);
        });
        stream.on('end', () => {
          if (stream.sizeExceeded || bytes > limits.maxBytes) {
            done(reply(552, `5.3.4 Message too big (at most ${limits.maxBytes} bytes)`));
            return;
          }
          const message: InboundMessage = {
            raw: Buffer.concat(chunks),
            recipients: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            remoteAddress: session.remoteAddress,
          };
          o.handlers.handle(message).then(
            () => done(null),
            (error: unknown) => {
              o.log.error({ err: error, recipients: message.recipients }, 'inbound: could not record a message');
              done(reply(451, '4.3.0 Temporary failure, try again later'));
            },
          );
        });
      },
    });
    server.on('error', (error) => o.log.warn({ err: error }, 'inbound: connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return new InboundListener(server, (server.server.address() as AddressInfo).port);
  }

  /** Stops taking connections and waits for the open ones to finish (up to smtp-server's close timeout). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

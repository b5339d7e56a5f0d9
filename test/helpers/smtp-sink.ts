import type { Server, Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

/** A message the sink accepted. */
export interface SinkMessage {
  envelopeFrom: string;
  recipients: string[];
  raw: Buffer;
  secure: boolean;
  authUser: string | null;
  receivedAt: number;
}

/** An SMTP reply the sink gives; 250 accepts. */
export interface SinkReply {
  code: number;
  message: string;
}

export interface SmtpSinkOptions {
  port?: number;
  /** Offer STARTTLS (default true; smtp-server's bundled self-signed certificate); false refuses it too. */
  starttls?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials (535 otherwise). */
  auth?: { user: string; pass: string };
  /** The RCPT TO reply for a recipient; `attempt` counts RCPTs for that address, from 1. null → 250. */
  rcptReply?: (rcpt: string, attempt: number) => SinkReply | null;
  /** The reply after DATA; null → 250. */
  dataReply?: (msg: SinkMessage) => SinkReply | null;
  /** Wait this long before answering each DATA (a slow receiver). */
  dataDelayMs?: number;
  /**
   * Hold the answer to DATA for the messages this returns true for, until `releaseHeld()`: a transaction
   * that stays in flight for exactly as long as the test needs, and no guessed delay.
   */
  holdData?: (msg: SinkMessage) => boolean;
  /**
   * Drop the connection mid-transaction for a recipient (`attempt` as for rcptReply): `rcpt` instead of
   * answering its RCPT TO, `data` after the whole message arrived instead of the final reply (the message
   * is then not kept). null → carry on.
   */
  dropDuring?: (rcpt: string, attempt: number) => 'rcpt' | 'data' | null;
  /** Address to listen on (default 127.0.0.1; `::1` for IPv6 tests). */
  host?: string;
}

/** A real SMTP server on 127.0.0.1 that records what it accepts. */
export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Connections dropped by `dropDuring`, with the recipient and the stage. */
  drops: Array<{ rcpt: string; stage: 'rcpt' | 'data' }>;
  connections: number;
  maxConcurrentConnections: number;
  rcptAttempts(rcpt: string): number;
  waitForMessages(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** Messages received in full whose DATA answer `holdData` is holding (not in `messages` yet). */
  held: SinkMessage[];
  /** Answers the held messages, and from now on holds nothing. */
  releaseHeld(): void;
  /** The next `n` connections are dropped as soon as they open. */
  dropNextConnections(n: number): void;
  close(): Promise<void>;
}

function replyError(r: SinkReply): Error {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

/** Starts the sink (port 0 by default). */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const byPeer = new Map<string, Socket>();
  const drops: SmtpSink['drops'] = [];
  const peer = (address: string, port: number) => `${address}|${port}`;
  const drop = (session: SMTPServerSession, rcpt: string, stage: 'rcpt' | 'data') => {
    drops.push({ rcpt, stage });
    const socket =
      byPeer.get(peer(session.remoteAddress, session.remotePort)) ??
      [...sockets].find((x) => x.remotePort === session.remotePort);
    socket?.destroy();
  };
  let toDrop = 0;
  let open = 0;
  const held: SinkMessage[] = [];
  let heldAnswers: Array<() => void> | null = [];
  const state = { connections: 0, maxConcurrentConnections: 0 };

  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: opts.starttls === false,
    // Not offered also means refused when asked for anyway (as a relay without TLS would).
    disabledCommands: opts.starttls === false ? ['STARTTLS'] : [],
    authOptional: !opts.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    size: 0,
    maxClients: 1000,
    onConnect(session: SMTPServerSession, cb: (err?: Error) => void) {
      state.connections++;
      open++;
      state.maxConcurrentConnections = Math.max(state.maxConcurrentConnections, open);
      cb();
    },
    onClose() {
      open--;
    },
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, cb: (err?: Error) => void) {
      const rcpt = address.address.toLowerCase();
      const n = (attempts.get(rcpt) ?? 0) + 1;
      attempts.set(rcpt, n);
      if (opts.dropDuring?.(rcpt, n) === 'rcpt') return drop(_session, rcpt, 'rcpt');
      const r = opts.rcptReply?.(rcpt, n);
      cb(r && r.code >= 300 ? replyError(r) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const msg: SinkMessage = {
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          recipients: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          authUser: (session.user as string | undefined) ?? null,
          receivedAt: Date.now(),
        };
        const dropFor = msg.recipients.find((rcpt) => opts.dropDuring?.(rcpt, attempts.get(rcpt) ?? 1) === 'data');
        if (dropFor) return drop(session, dropFor, 'data');
        const finish = () => {
          const r = opts.dataReply?.(msg);
          if (r && r.code >= 300) return cb(replyError(r));
          messages.push(msg);
          cb(null, '2.0.0 Ok: queued as ' + messages.length);
        };
        const answer = () => {
          if (opts.dataDelayMs) setTimeout(finish, opts.dataDelayMs);
          else finish();
        };
        if (heldAnswers && opts.holdData?.(msg)) {
          held.push(msg);
          heldAnswers.push(() => {
            held.splice(held.indexOf(msg), 1);
            answer();
          });
        } else answer();
      });
    },
  });
  server.on('error', () => undefined);
  // Track sockets so close() never hangs on a pooled client connection; drop the ones asked for.
  const raw = (server as unknown as { server: Server }).server;
  raw.on('connection', (s: Socket) => {
    sockets.add(s);
    const key = peer(s.remoteAddress ?? '', s.remotePort ?? 0);
    byPeer.set(key, s);
    s.on('close', () => {
      sockets.delete(s);
      byPeer.delete(key);
    });
    if (toDrop > 0) {
      toDrop--;
      s.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    raw.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (raw.address() as { port: number }).port;

  const sink: SmtpSink = {
    port,
    messages,
    drops,
    get connections() {
      return state.connections;
    },
    get maxConcurrentConnections() {
      return state.maxConcurrentConnections;
    },
    rcptAttempts: (rcpt) => attempts.get(rcpt.toLowerCase()) ?? 0,
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`SMTP sink: expected ${count} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages;
    },
    dropNextConnections(n) {
      toDrop += n;
    },
    held,
    releaseHeld() {
      const answers = heldAnswers ?? [];
      heldAnswers = null;
      for (const a of answers) a();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return sink;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the receiver got. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  at: number;
}

/** How the receiver answers a request: a status, a body, optionally after a delay or once `until` settles. */
export type Responder = (r: Received) => { status: number; body?: string; delayMs?: number; until?: Promise<unknown> };

/**
 * A webhook endpoint on loopback that keeps every request and answers as `respond` says (200 by
 * default). `down()` closes it (connections are refused) and `up()` opens it again on the same port.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  respond: Responder = () => ({ status: 200, body: 'ok' });
  private server: http.Server | null = null;
  port = 0;

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.up();
    return r;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests to `path`, parsed. */
  at(path = '/hook'): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async up(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          json = null;
        }
        const got: Received = { path: req.url ?? '/', headers, body, json, at: Date.now() };
        this.received.push(got);
        const answer = this.respond(got);
        const send = () => res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
        if (answer.until) void answer.until.then(send);
        else if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

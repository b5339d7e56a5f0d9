import { Agent, request } from 'undici';
import { guardedConnector, type TargetGuardOptions } from './target-guard.js';

/** The first this many bytes of a response body are kept in the delivery log. */
const KEPT_BODY_BYTES = 1024;

/** What one POST got. */
export interface PostResult {
  statusCode: number | null;
  /** The first 1 KiB of the response body (text), or null. */
  body: string | null;
  durationMs: number;
  /** Why there was no answer (timeout, refused connection, refused address), or null. */
  error: string | null;
}

/**
 * Posts webhook payloads over keep-alive connections (one undici Agent). No redirect is followed (a
 * 3xx is an answer like any other). Every connection goes through the SSRF guard, so a target is
 * judged again on the address actually connected to (target-guard.ts).
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly opts: { timeoutMs: number; guard: TargetGuardOptions }) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      // No cap per origin here: the dispatcher caps posts per endpoint, and endpoints can share a host.
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: guardedConnector(opts.guard, { timeout: opts.timeoutMs }),
    });
  }

  async post(url: string, payload: string, headers: Record<string, string>): Promise<PostResult> {
    const started = performance.now();
    // One deadline for the whole post. undici's own timeouts are per phase (connect, headers, each
    // body chunk), so a receiver that trickles could hold a slot for several times the timeout.
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'TaifaMail-Webhooks/1',
          ...headers,
        },
        body: payload,
      });
      const body = await firstBytes(res.body, KEPT_BODY_BYTES);
      return { statusCode: res.statusCode, body, durationMs: elapsed(started), error: null };
    } catch (error) {
      return { statusCode: null, body: null, durationMs: elapsed(started), error: describe(error, signal) };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Reads up to `max` bytes of a body, then lets the rest go (the connection is kept when it can be). */
async function firstBytes(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < max) chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  if (size >= max) body.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function describe(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'No answer within the timeout.';
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(error);
  if (code === 'ECONNREFUSED') return 'Connection refused.';
  if (code === 'ERR_WEBHOOK_TARGET_FORBIDDEN') return `Refused: ${message}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return 'No answer within the timeout.';
  return code ? `${code}: ${message}` : message;
}

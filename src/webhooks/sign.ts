import { createHmac } from 'node:crypto';

/** The key of a `whsec_…` secret: the bytes of its base64 part. */
function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the delivery's id, the same on every
 * retry), `webhook-timestamp` (this attempt, in seconds) and `webhook-signature`, one `v1,` and the
 * base64 HMAC-SHA256 of `id.timestamp.body` per secret, separated by spaces, as the scheme allows
 * during a rotation. Signed with node:crypto rather than the `standardwebhooks` package's signer,
 * whose SHA-256 is plain JavaScript (several times the CPU per delivery); the tests verify every
 * signature with that package's verifier.
 */
export function signedHeaders(
  msgId: string,
  at: Date,
  payload: string,
  secrets: readonly string[],
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signatures = secrets.map(
    (s) => `v1,${createHmac('sha256', keyOf(s)).update(`${msgId}.${timestamp}.${payload}`).digest('base64')}`,
  );
  return { 'webhook-id': msgId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

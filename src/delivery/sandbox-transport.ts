import type { Kysely } from 'kysely';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import { newId } from '../ids.js';
import { insertCapture } from '../store/captures-repo.js';
import type { Database } from '../store/schema.js';
import type { Envelope, Transport } from './transport.js';

/** Try-out mode: keeps each signed message in the capture store instead of sending it. */
export class SandboxTransport implements Transport {
  readonly confirmsDelivery = true;

  constructor(private readonly db: Kysely<Database>) {}

  async deliver(e: Envelope): Promise<AttemptOutcome> {
    await insertCapture(this.db, {
      id: newId(),
      emailId: e.emailId,
      recipientId: e.recipientId,
      envelopeFrom: e.from,
      envelopeTo: e.to,
      raw: e.raw,
      now: Date.now(),
    });
    return {
      kind: 'accepted',
      reply: {
        code: 250,
        text: '250 2.0.0 Captured by the Taifa Mail sandbox',
        dsn: '2.0.0',
        host: 'sandbox',
        captured: true,
      },
    };
  }

  async close(): Promise<void> {}
}

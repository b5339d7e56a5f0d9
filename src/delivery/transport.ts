import type { AttemptOutcome } from '../core/smtp-outcome.js';

/** One SMTP transaction's worth of work: one envelope recipient and the signed message. */
export interface Envelope {
  emailId: string;
  recipientId: string;
  from: string;
  to: string;
  recipientDomain: string;
  raw: Buffer;
}

/** Hands a message to the next hop and reports what happened; never throws for delivery problems. */
export interface Transport {
  /** Whether an accepting server is the recipient's own (so 250 means delivered, not just sent). */
  readonly confirmsDelivery: boolean;
  deliver(envelope: Envelope): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

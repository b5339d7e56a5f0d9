import type { Transaction } from 'kysely';
import type { BotVerdict, ScannerLists } from '../core/bot-classification.js';
import type { TtlCache } from '../core/ttl-cache.js';
import type { Database } from '../store/schema.js';
import type { TrackedRecipient } from '../store/tracking-repo.js';
import { recordHits } from './record-hits.js';

/** One pixel load or link click, as the endpoint saw it. */
export interface Hit {
  kind: 'open' | 'click';
  emailId: string;
  recipientId: string;
  url: string | null;
  ua: string;
  ip: string;
  referer: string | null;
  at: number;
}

/**
 * A pixel load whose token is not verified yet: the GIF is the answer whatever the token says, so the
 * check waits for the batch, in the recording thread.
 */
export interface PixelLoad {
  kind: 'pixel';
  token: string;
  ua: string;
  ip: string;
  at: number;
}

/** Recipients recently hit, by id. */
export type RecipientCache = TtlCache<TrackedRecipient>;

/** The windows of the rules, in ms (configuration with documented defaults). */
export interface HitRules {
  prefetchMs: number;
  openCoalesceMs: number;
  clickCoalesceMs: number;
  honeypotWindowMs: number;
}

/**
 * Records one hit in the caller's transaction (a batch of one: see recordHits for the rules). Returns
 * the stored event's verdict, or null when the token's recipient does not exist (tests and logs use it).
 */
export async function recordHit(
  trx: Transaction<Database>,
  lists: ScannerLists,
  rules: HitRules,
  h: Hit,
  recipients?: RecipientCache,
): Promise<BotVerdict | null> {
  return (await recordHits(trx, lists, rules, [h], recipients))[0] ?? null;
}

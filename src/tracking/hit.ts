// The types the tracking stages hand each other: the routes make hits, the buffer carries them to the
// recording thread, the batch writer verifies and writes them. Types only: importing this loads nothing.
import type { TrackedRecipient } from '../store/tracking-repo.js';
import type { TtlCache } from '../ttl-cache.js';

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

/** The windows of the counting rules, in ms (configuration with documented defaults). */
export interface HitRules {
  prefetchMs: number;
  openCoalesceMs: number;
  clickCoalesceMs: number;
  honeypotWindowMs: number;
}

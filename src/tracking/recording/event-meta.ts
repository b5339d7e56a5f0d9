import type { EventRow } from '../../store/schema.js';

/** The metadata of an open or click event, as the batch writer writes it. */
export interface EngagementMeta {
  ua?: string;
  ip?: string;
  url?: string | null;
  referer?: string | null;
  bot?: string;
  reason?: string;
  /** A repeat inside the coalescing window: stored, never counted. */
  coalesced?: boolean;
  /** The open a counted click stood in for (the person's own open never reached us). */
  backfilled?: boolean;
  /** The hidden honeypot link was followed. */
  honeypot?: boolean;
}

/** An engagement event's metadata. */
export const engagementMeta = (e: Pick<EventRow, 'metadata'>): EngagementMeta => e.metadata ?? {};

/** Whether an event was made by this visitor: the same address and user agent. */
export const sameVisitor = (m: EngagementMeta, v: { ip: string; ua: string }): boolean =>
  m.ip === v.ip && m.ua === v.ua;

/**
 * The words and shapes every layer shares — the API, the services, the rules and the store — as types
 * only. It imports nothing, so that the store can type its rows without importing the rules.
 */

/** The plans an account can be on. */
export const PLANS = ['free', 'starter', 'pro', 'business'] as const;
export type Plan = (typeof PLANS)[number];

/** A recipient's delivery state, in the order a recipient advances through them. */
export type RecipientStatus =
  'scheduled' | 'queued' | 'deferred' | 'sent' | 'delivered' | 'bounced' | 'rejected' | 'failed' | 'cancelled';

/** An email's status: derived from its recipients' (core/email-status.ts), so the same words. */
export type EmailStatus = RecipientStatus;

/** Which list a recipient was given in. */
export type RecipientKind = 'to' | 'cc' | 'bcc';

/** Event types, as the API names them (docs/how-it-works.md: events and statuses). */
export type EventType =
  | 'queued'
  | 'scheduled'
  | 'sent'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'rejected'
  | 'failed'
  | 'cancelled'
  | 'open'
  | 'click'
  | 'unsubscribe'
  | 'complaint';

/** The webhook name of each event type: `email.` and the past tense (docs/how-it-works.md: events and statuses). */
export const WEBHOOK_EVENT_NAMES = {
  queued: 'email.queued',
  scheduled: 'email.scheduled',
  sent: 'email.sent',
  delivered: 'email.delivered',
  deferred: 'email.deferred',
  bounced: 'email.bounced',
  rejected: 'email.rejected',
  failed: 'email.failed',
  cancelled: 'email.cancelled',
  open: 'email.opened',
  click: 'email.clicked',
  unsubscribe: 'email.unsubscribed',
  complaint: 'email.complained',
} as const satisfies Record<EventType, `email.${string}`>;
export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[EventType];

/**
 * Why a delivery failed, as the bounce rules (core/bounce-rules.ts) name it; kept in a bounced event's
 * metadata. Only user_unknown, host_unknown, has_moved and not_accepting_mail say the address itself
 * is bad (a hard bounce).
 */
export type BounceReason =
  | 'user_unknown'
  | 'host_unknown'
  | 'mailbox_full'
  | 'mailbox_disabled'
  | 'has_moved'
  | 'expired'
  | 'blocked'
  | 'spam_detected'
  | 'content_rejected'
  | 'policy'
  | 'auth_failure'
  | 'rate_limited'
  | 'message_too_big'
  | 'network'
  | 'system'
  | 'not_accepting_mail'
  | 'other';

/**
 * The counts of the stats (GET /v1/stats), named after the events that make them (docs/stats.md):
 * recipients accepted for delivery, delivery events, bounces hard and soft, people's opens and clicks
 * (counted, and unique: a recipient's first), machines' opens and clicks apart, unsubscribes, complaints.
 */
export const STAT_COUNTS = [
  'accepted',
  'sent',
  'delivered',
  'deferred',
  'bounced',
  'bounced_hard',
  'bounced_soft',
  'rejected',
  'failed',
  'cancelled',
  'opened',
  'opened_unique',
  'opened_machine',
  'clicked',
  'clicked_unique',
  'clicked_machine',
  'unsubscribed',
  'complained',
] as const;
export type StatCount = (typeof STAT_COUNTS)[number];
export type StatCounts = Record<StatCount, number>;

/** Who fetched a pixel or followed a link: '' for a person, else the kind of machine. */
export type BotKind = '' | 'apple' | 'gmail' | 'microsoft' | 'proofpoint' | 'mimecast' | 'generic';

/** The suppression lists: hard bounces and complaints (account-wide), unsubscribes (per sending domain, or tag). */
export const SUPPRESSION_TYPES = ['bounce', 'complaint', 'unsubscribe'] as const;
export type SuppressionType = (typeof SUPPRESSION_TYPES)[number];

/** A sending domain's state. */
export type DomainStatus = 'pending' | 'verified' | 'failed';

/** Where delivery of one webhook outbox row stands. */
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** A mailbox: address plus optional display name. */
export interface Address {
  email: string;
  name: string | null;
}

/** The `tracking` object of a send body . */
export interface TrackingOverride {
  open?: boolean;
  click?: boolean | 'htmlonly';
  pixel_position?: 'top' | 'bottom';
}

/** What a DNS record is for. */
export type RecordPurpose = 'dkim' | 'spf' | 'return_path' | 'dmarc' | 'tracking';
/** Where a record stands after the last check. */
export type RecordStatus = 'pending' | 'verified' | 'missing' | 'mismatch' | 'temporary_failure';

/** A DNS record the customer must publish, with the outcome of the last check. */
export interface DomainRecord {
  type: 'TXT' | 'MX' | 'CNAME';
  name: string;
  value: string;
  priority?: number;
  purpose: RecordPurpose;
  required: boolean;
  status: RecordStatus;
  found?: boolean;
  matches?: boolean;
  current_values?: string[];
}

/** The SMTP step a remote server answered: the greeting, MAIL FROM, RCPT TO or the message (DATA). */
export type SmtpStage = 'connect' | 'mail' | 'rcpt' | 'data';

/** What the remote side (or the attempt to reach it) said. */
export interface SmtpReply {
  code: number | null;
  text: string;
  /** Enhanced status code (RFC 3463) such as 5.1.1, when the reply carried one or we derived it. */
  dsn: string | null;
  /** The host that answered: an MX host name, the relay, or `sandbox`. */
  host: string | null;
  /** The step refused, when known: a "user unknown" said to RCPT TO is believed, said to DATA it is a filter. */
  stage?: SmtpStage;
  ip?: string | null;
  captured?: boolean;
}

/** Per-account overrides an operator can set (`taifa accounts set-limits`). */
export interface LimitOverrides {
  daily_limit?: number;
  monthly_limit?: number;
  batch_max?: number;
  requests_per_second?: number;
}

/** A named filter set for the email log. */
export interface SavedSearch {
  id: string;
  name: string;
  query: string | null;
  range: string | null;
  status: string | null;
  domain: string | null;
  source: string | null;
}

/** An event's metadata: the SMTP reply of a delivery event, the visitor of an open or click. */
export type EventMetadata = Record<string, unknown>;

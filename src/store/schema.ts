import type { Generated, Insertable, JSONColumnType, Kysely, Selectable, Transaction } from 'kysely';
import type {
  Address,
  BotKind,
  DomainRecord,
  DomainStatus,
  EmailStatus,
  EventMetadata,
  EventType,
  LimitOverrides,
  Plan,
  RecipientKind,
  RecipientStatus,
  SavedSearch,
  SmtpReply,
  StatCounts,
  SuppressionType,
  TrackingOverride,
  WebhookDeliveryStatus,
  WebhookEventName,
} from '../model.js';

/**
 * The tables, typed as the rest of the code sees them. Times are epoch milliseconds (bigint on
 * PostgreSQL, integer on SQLite). JSON columns are text in both databases: they are written as JSON
 * text and read back decoded, once, by the store's JsonColumnsPlugin (json-columns.ts), which knows
 * them by name — a column declared here with JSONColumnType must be listed there.
 */

/** A JSON column that may be null. */
type NullableJson<T extends object> = JSONColumnType<T | null, string | null, string | null>;

export interface AccountsTable {
  id: string;
  name: string;
  plan: Plan;
  limits: NullableJson<LimitOverrides>;
  settings: NullableJson<Record<string, unknown>>;
  created_at: number;
}

export interface UsersTable {
  id: string;
  account_id: string;
  /** As typed; null for a user who does not log in (each account's owner user, which holds its first key). */
  email: string | null;
  /** The email lower-cased, unique: what a login looks up (core/dashboard-users.ts). Null where email is. */
  email_key: string | null;
  /** scrypt, with its salt and parameters (password-hash.ts); null: cannot log in. */
  password_hash: string | null;
  name: string;
  created_at: number;
}

/** A dashboard session: the jti of its cookie's JWT. Deleted at logout. */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface DomainsTable {
  id: string;
  account_id: string;
  name: string;
  status: DomainStatus;
  dkim_selector: string;
  dkim_private_key: string;
  dkim_public_key: string;
  return_path_host: string;
  records: JSONColumnType<DomainRecord[]>;
  open_tracking: number;
  click_tracking: number;
  tracking_host: string | null;
  pixel_position: Generated<'top' | 'bottom'>;
  /** 1: every email from the domain carries List-Unsubscribe headers unless its send body says otherwise. */
  unsubscribe_links: Generated<number>;
  created_at: number;
  updated_at: number;
  verified_at: number | null;
  last_checked_at: number | null;
}

export interface SendersTable {
  id: string;
  account_id: string;
  domain_id: string;
  email: string;
  name: string | null;
  created_at: number;
}

export interface EmailsTable {
  id: string;
  account_id: string;
  domain_id: string | null;
  user_id: string | null;
  from_email: string;
  from_name: string | null;
  to_json: JSONColumnType<Address[]>;
  cc_json: NullableJson<Address[]>;
  bcc_json: NullableJson<Address[]>;
  reply_to_json: NullableJson<Address>;
  subject: string;
  html_body: string | null;
  text_body: string | null;
  headers_json: NullableJson<Record<string, string>>;
  tags_json: NullableJson<string[]>;
  status: EmailStatus;
  source: string;
  message_id: string;
  rejection_reason: string | null;
  opened_count: Generated<number>;
  clicked_count: Generated<number>;
  scheduled_at: number | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  retry_of_id: string | null;
  tracking_json: NullableJson<TrackingOverride>;
  opened_at: number | null;
  clicked_at: number | null;
  /** The send body's `unsubscribe` (1 or 0), or null for the domain's `unsubscribe_links`. */
  unsubscribe: number | null;
}

export interface EmailRecipientsTable {
  id: string;
  email_id: string;
  account_id: string;
  position: number;
  kind: RecipientKind;
  address: string;
  name: string | null;
  domain: string;
  status: RecipientStatus;
  attempts: Generated<number>;
  next_attempt_at: number | null;
  locked_by: string | null;
  locked_until: number | null;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  last_reply: NullableJson<SmtpReply>;
  verp_token: string;
  created_at: number;
  updated_at: number;
}

export interface EmailAttachmentsTable {
  id: string;
  email_id: string;
  position: number;
  filename: string;
  content_type: string;
  content: Buffer;
  size: number;
}

export interface EmailEventsTable {
  id: string;
  email_id: string;
  account_id: string;
  recipient_id: string | null;
  recipient: string | null;
  event_type: EventType;
  metadata: NullableJson<EventMetadata>;
  /** Opens and clicks: '' for a person, else the machine's kind; null for other events. */
  bot: BotKind | null;
  /** 1 on an open or click that moved a counter (a person's, not a repeat in its window), else 0. */
  counted: Generated<number>;
  created_at: number;
}

export interface CapturedMessagesTable {
  id: string;
  email_id: string;
  recipient_id: string;
  envelope_from: string;
  envelope_to: string;
  raw: Buffer;
  created_at: number;
}

export interface UsageCountersTable {
  account_id: string;
  period: string;
  count: number;
}

export interface IdempotencyKeysTable {
  account_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  /** The JSON body answered the first time, replayed as it was. */
  response: JSONColumnType<object>;
  created_at: number;
}

export interface SavedSearchesTable {
  user_id: string;
  searches: JSONColumnType<SavedSearch[]>;
  updated_at: number;
}

export interface SuppressionsTable {
  id: string;
  account_id: string;
  type: SuppressionType;
  /** The address as it was given. */
  address: string;
  /** The address as compared: the local part exactly, '@', the domain lower-cased. */
  key: string;
  /** Unsubscribes: the sending domain they apply to; '' for bounces and complaints (every domain). */
  domain: string;
  /** Unsubscribes from one tag only: that tag; '' otherwise. */
  tag: string;
  reason: string | null;
  /** The email whose bounce or complaint added the row, when one did. */
  source_email_id: string | null;
  created_at: number;
}

export interface WebhooksTable {
  id: string;
  account_id: string;
  url: string;
  /** The event names it wants; null for all of them. */
  event_types: NullableJson<WebhookEventName[]>;
  /** Only events of emails sent from this domain, when set. */
  domain: string | null;
  /** Only events of emails carrying this tag, when set. */
  tag: string | null;
  enabled: number;
  /** 1: opens and clicks by machines are not sent. */
  human_only: number;
  /** `whsec_` and the base64 key. */
  secret: string;
  /** The secret before the last rotation, still signing beside the new one until it expires. */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  /** Why it was switched off by us (every attempt failed for three days); null when enabled, or disabled by hand. */
  disabled_reason: string | null;
  /** The first failed attempt since the last success. */
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  /** Also the `webhook-id` header of every attempt. */
  id: string;
  webhook_id: string;
  account_id: string;
  /** The event it carries; null for a test delivery. */
  event_id: string | null;
  event_type: string;
  /** The JSON text posted (and signed), byte for byte. */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: number | null;
  locked_by: string | null;
  locked_until: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  webhook_id: string;
  attempted_at: number;
  duration_ms: number;
  /** The HTTP status answered; null when none was (timeout, refused connection, refused address). */
  status_code: number | null;
  error: string | null;
  /** The first 1 KiB of the response body. */
  response_body: string | null;
}

/**
 * What the events of one account's emails from one sending domain counted in one UTC hour: `tag` '' for
 * all of the domain's emails, else one tag's (see migration 0010). Kept by recordEvents.
 */
export type StatsRollupsTable = {
  account_id: string;
  /** The hour, as epoch milliseconds. */
  bucket_start: number;
  domain: string;
  tag: string;
} & StatCounts;

/** A recipient's first counted (people's) open and click, null until there is one. */
export interface EngagementFirstsTable {
  recipient_id: string;
  opened_at: number | null;
  clicked_at: number | null;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  domains: DomainsTable;
  senders: SendersTable;
  emails: EmailsTable;
  email_recipients: EmailRecipientsTable;
  email_attachments: EmailAttachmentsTable;
  email_events: EmailEventsTable;
  captured_messages: CapturedMessagesTable;
  usage_counters: UsageCountersTable;
  idempotency_keys: IdempotencyKeysTable;
  saved_searches: SavedSearchesTable;
  suppressions: SuppressionsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  stats_rollups: StatsRollupsTable;
  engagement_firsts: EngagementFirstsTable;
}

/** Any handle a repository function can run on: the database, or a transaction on it. */
export type Db = Kysely<Database> | Transaction<Database>;
/** A transaction on the database. */
export type Trx = Transaction<Database>;

export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type DomainRow = Selectable<DomainsTable>;
export type SenderRow = Selectable<SendersTable>;
export type EmailRow = Selectable<EmailsTable>;
export type NewEmail = Insertable<EmailsTable>;
export type RecipientRow = Selectable<EmailRecipientsTable>;
export type NewRecipient = Insertable<EmailRecipientsTable>;
export type AttachmentRow = Selectable<EmailAttachmentsTable>;
export type NewAttachment = Insertable<EmailAttachmentsTable>;
export type EventRow = Selectable<EmailEventsTable>;
export type NewEvent = Insertable<EmailEventsTable>;
export type SuppressionRow = Selectable<SuppressionsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;

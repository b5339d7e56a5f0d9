import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Times are epoch milliseconds (bigint on PostgreSQL, integer on SQLite); JSON columns are text. */
export interface AccountsTable {
  id: string;
  name: string;
  plan: string;
  limits: string | null;
  settings: string | null;
  created_at: number;
}

export interface UsersTable {
  id: string;
  account_id: string;
  email: string | null;
  name: string;
  created_at: number;
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
  status: string;
  dkim_selector: string;
  dkim_private_key: string;
  dkim_public_key: string;
  return_path_host: string;
  records: string;
  open_tracking: number;
  click_tracking: number;
  tracking_host: string | null;
  pixel_position: Generated<string>;
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
  to_json: string;
  cc_json: string | null;
  bcc_json: string | null;
  reply_to_json: string | null;
  subject: string;
  html_body: string | null;
  text_body: string | null;
  headers_json: string | null;
  tags_json: string | null;
  status: string;
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
  tracking_json: string | null;
  opened_at: number | null;
  clicked_at: number | null;
}

export interface EmailRecipientsTable {
  id: string;
  email_id: string;
  account_id: string;
  position: number;
  kind: string;
  address: string;
  name: string | null;
  domain: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: number | null;
  locked_by: string | null;
  locked_until: number | null;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  last_reply: string | null;
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
  event_type: string;
  metadata: string | null;
  bot: string | null;
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
  response: string;
  created_at: number;
}

export interface SavedSearchesTable {
  user_id: string;
  searches: string;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
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
}

export type AccountRow = Selectable<AccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type DomainRow = Selectable<DomainsTable>;
export type SenderRow = Selectable<SendersTable>;
export type EmailRow = Selectable<EmailsTable>;
export type NewEmail = Insertable<EmailsTable>;
export type EmailUpdate = Updateable<EmailsTable>;
export type RecipientRow = Selectable<EmailRecipientsTable>;
export type NewRecipient = Insertable<EmailRecipientsTable>;
export type AttachmentRow = Selectable<EmailAttachmentsTable>;
export type EventRow = Selectable<EmailEventsTable>;
export type NewEvent = Insertable<EmailEventsTable>;

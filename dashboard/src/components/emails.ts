/** The statuses an email (and each of its recipients) can have, as the API names them. */
export const STATUSES = [
  'scheduled',
  'queued',
  'deferred',
  'sent',
  'delivered',
  'bounced',
  'rejected',
  'failed',
  'cancelled',
] as const;

/** A row of the email log: the fields GET /v1/emails/search and /v1/emails/updates both answer with. */
export interface EmailRow {
  id: string;
  from_address: string;
  to_addresses: string[];
  subject: string;
  status: string;
  tags: string[] | null;
  source: string;
  created_at: string;
  delivered_at: string | null;
}

/** GET /v1/emails/updates: a summary and when it last changed. */
export interface EmailUpdate extends EmailRow {
  updated_at: string;
}

/** A saved search as GET/PUT /v1/emails/saved-searches keep it. */
export interface SavedSearch {
  id?: string;
  name: string;
  query?: string | null;
  range?: string | null;
  status?: string | null;
  domain?: string | null;
  source?: string | null;
}

import type { BounceReason } from '../model.js';

/** What a report says happened to one recipient. */
export interface ReportedRecipient {
  recipient: string;
  /** The DSN's Original-Recipient, when it differs from the final one. */
  originalRecipient: string | null;
  /** RFC 3463 status (`5.1.1`; derived as X.0.9xx when the report gives none); '' for a complaint or auto-reply. */
  status: string;
  /** The SMTP reply code the remote server gave, or ''. */
  replyCode: string;
  action: 'failed' | 'delayed' | 'delivered' | 'complaint' | 'auto_replied';
  reason: BounceReason | 'delivered' | 'complaint' | 'auto_reply';
  hard: boolean;
  /** ARF Feedback-Type for a complaint, else ''. */
  feedbackType: string;
  /** The remote server's words (Diagnostic-Code or the bounce's own lines), at most 1,000 characters. */
  diagnostic: string;
}

/** A parsed bounce, delay notice, delivery report, complaint or auto-reply, and what identifies our email. */
export interface ParsedReport {
  recipients: ReportedRecipient[];
  /** Our VERP token when the report quotes our return path (`bounce+<token>@…`). */
  verpToken: string | null;
  /** The Message-ID of the original email, when the report quotes its header. */
  messageId: string | null;
}

import { field, parseHeaderBlock, type HeaderMap } from './header-block.js';

/** What a feedback report (a complaint) says. */
export interface Complaint {
  /** abuse, fraud, virus, opt-out, not-spam, auth-failure, other (RFC 5965), lower-case. */
  feedbackType: string;
  /** The recipient who complained, as the report gives it ('' when it hides it). */
  recipient: string;
}

/**
 * Reads a message/feedback-report part (RFC 5965). The complaining recipient is Original-Rcpt-To,
 * else Removal-Recipient, else the To of the quoted original (many providers redact all of them).
 */
export function parseFeedbackReport(text: string, original: HeaderMap | null): Complaint {
  const h = parseHeaderBlock(text);
  const recipient =
    field(h, 'original-rcpt-to') ||
    field(h, 'removal-recipient') ||
    (original ? field(original, 'x-hmxmroriginalrecipient') || field(original, 'to') : '');
  return {
    feedbackType: (field(h, 'feedback-type') || 'abuse').toLowerCase().trim(),
    recipient: bareAddress(recipient),
  };
}

/** `Name <a@b>` or `rfc822; a@b` → `a@b` ('' when there is none). */
export function bareAddress(value: string): string {
  return /[^\s<>;:"(),]+@[^\s<>;:"(),]+/.exec(value)?.[0].replace(/\.$/, '').toLowerCase() ?? '';
}

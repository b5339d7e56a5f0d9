import { bareAddress } from './arf.js';
import { field, type HeaderMap } from './header-block.js';
import { complaint } from './recipient-verdicts.js';
import type { ReportedRecipient } from './report-types.js';

// Messages that come back to the bounce address without a machine-readable report: complaints in
// prose, automatic replies, and the test of whether a message is a bounce at all.

/**
 * Complaints sent without an ARF part: Outlook.com's "complaint about message from" with the original
 * attached, and the unsubscribe message Apple Mail sends (an opt-out).
 */
export function informalComplaint(
  headers: HeaderMap,
  subject: string,
  text: string,
  original: HeaderMap | null,
): ReportedRecipient | null {
  if (/complaint about message from/i.test(subject) && original)
    return complaint({
      feedbackType: 'abuse',
      recipient: bareAddress(field(original, 'x-hmxmroriginalrecipient') || field(original, 'to')),
    });
  if (/sent this email to unsubscribe/i.test(text))
    return complaint({ feedbackType: 'opt-out', recipient: bareAddress(field(headers, 'from')) });
  return null;
}

/** An out-of-office or other automatic reply (RFC 3834): reported so that it can be ignored, never a bounce. */
export function autoReplyFrom(headers: HeaderMap, subject: string): ReportedRecipient | null {
  const from = field(headers, 'from');
  const automatic =
    /auto-replied/i.test(field(headers, 'auto-submitted')) ||
    headers.has('x-autoreply') ||
    headers.has('x-autorespond') ||
    /auto[_-]reply/i.test(field(headers, 'precedence')) ||
    /out of (?:the )?office|auto(?:matic)?[- ]?reply|vacation|away (?:until|from)/i.test(subject);
  if (!automatic || /mailer-daemon|postmaster|mail delivery/i.test(from)) return null;
  if (/undeliver|delivery|failure|failed|returned|bounce/i.test(subject)) return null;
  return {
    recipient: bareAddress(from),
    originalRecipient: null,
    status: '',
    replyCode: '',
    action: 'auto_replied',
    reason: 'auto_reply',
    hard: false,
    feedbackType: '',
    diagnostic: '',
  };
}

/** The marks of an automatic failure notice: a null sender, a mailer's From, a bounce's Subject. */
export function looksLikeBounce(headers: HeaderMap, subject: string): boolean {
  return (
    /^\s*<\s*>\s*$/.test(field(headers, 'return-path')) ||
    headers.has('x-failed-recipients') ||
    /auto-(?:generated|replied)/i.test(field(headers, 'auto-submitted')) ||
    /mailer-daemon|postmaster|mail ?delivery|mailer|daemon|post_master/i.test(field(headers, 'from')) ||
    /undeliver|deliver(?:y|ed)|fail|returned|bounce|reject|error|notice|notification|could not|unable|loop/i.test(
      subject,
    )
  );
}

/** One recipient of an Amazon SES notification, in the words of a DSN block. */
export interface SesRecipient {
  recipient: string;
  kind: 'bounce' | 'delivery' | 'complaint';
  action: string;
  status: string;
  diagnostic: string;
  feedbackType: string;
}

/** Characters of JSON read: a notification is a few kilobytes. */
const MAX_JSON_CHARS = 1024 * 1024;

/**
 * Reads an Amazon SES event notification sent by email (bare, or wrapped in an SNS envelope whose
 * `Message` is the notification as a string): bounced recipients with their action, status and
 * diagnostic, delivered recipients with the SMTP response, complained recipients with the feedback type.
 * Anything else, or JSON that does not parse, gives an empty list.
 */
export function parseSesNotification(text: string, max: number): SesRecipient[] {
  if (!text.includes('notificationType') && !text.includes('eventType')) return [];
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start || end - start > MAX_JSON_CHARS) return [];
  // Sendmail splits lines over 990 characters with "!" and a folded line: undo it before parsing.
  const json = text.slice(start, end + 1);
  let doc = parseJson(json) ?? parseJson(json.replace(/!\r?\n /g, ''));
  if (typeof doc?.Message === 'string') doc = parseJson(doc.Message);
  if (!doc) return [];
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const type = str(doc.notificationType) || str(doc.eventType);
  const list = (v: unknown): Record<string, unknown>[] =>
    Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
  if (type === 'Bounce') {
    const bounce = object(doc.bounce);
    return list(bounce.bouncedRecipients)
      .slice(0, max)
      .map((r) => ({
        recipient: str(r.emailAddress),
        kind: 'bounce' as const,
        action: str(r.action) || 'failed',
        status: str(r.status),
        diagnostic: str(r.diagnosticCode).replace(/^\s*[\w-]+\s*;\s*/, ''),
        feedbackType: '',
      }));
  }
  if (type === 'Delivery') {
    const delivery = object(doc.delivery);
    const response = str(delivery.smtpResponse);
    return (Array.isArray(delivery.recipients) ? (delivery.recipients as unknown[]) : []).slice(0, max).map((r) => ({
      recipient: str(r),
      kind: 'delivery' as const,
      action: 'delivered',
      status: /\b2\.\d{1,3}\.\d{1,3}\b/.exec(response)?.[0] ?? '2.0.0',
      diagnostic: response,
      feedbackType: '',
    }));
  }
  if (type === 'Complaint') {
    const complaint = object(doc.complaint);
    return list(complaint.complainedRecipients)
      .slice(0, max)
      .map((r) => ({
        recipient: str(r.emailAddress),
        kind: 'complaint' as const,
        action: 'complaint',
        status: '',
        diagnostic: '',
        feedbackType: str(complaint.complaintFeedbackType) || 'abuse',
      }));
  }
  return [];
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function object(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

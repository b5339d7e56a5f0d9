import { bareAddress, parseFeedbackReport } from './arf.js';
import { parseDeliveryStatus } from './dsn.js';
import { field, parseHeaderBlock, type HeaderMap } from './header-block.js';
import { autoReplyFrom, informalComplaint, looksLikeBounce } from './informal-reports.js';
import { splitMimeParts, type MimeLeaf, type SplitMessage } from './mime-parts.js';
import { findNdrMentions, ndrExplanation } from './plain-ndr.js';
import { complaint, fromDsn, fromSes, fromText } from './recipient-verdicts.js';
import type { ParsedReport, ReportedRecipient } from './report-types.js';
import { parseSesNotification } from './ses-notification.js';

/** Bytes of a message read: reports quote the original, which may be large; the verdict is at the top. */
const MAX_INPUT_BYTES = 10 * 1024 * 1024;
/** Recipients read from one report: a report listing more is cut there (one DSN lists one per block). */
export const MAX_RECIPIENTS = 1_000;

const VERP = /\bbounce\+([A-Za-z0-9]{8,64})@/i;
/**
 * Parses a raw report message: RFC 3464 delivery status notifications, RFC 5965 feedback reports, the
 * plain-text bounces of MTAs that send neither, and auto-replies. Never throws: garbage, truncated or
 * hostile input gives an empty list. Work is bounded (see MAX_INPUT_BYTES, MAX_RECIPIENTS and the
 * limits of the MIME and header readers).
 */
export function parseReport(raw: Buffer): ParsedReport {
  try {
    return parse(raw.subarray(0, MAX_INPUT_BYTES).toString('latin1'), 0);
  } catch {
    return { recipients: [], verpToken: null, messageId: null };
  }
}

/** What `parse` hands the readers of each kind of report. */
interface Report {
  msg: SplitMessage;
  subject: string;
  /** The human-readable parts, the quoted original left out. */
  humanText: string;
  /** The header of the quoted original email, when the report quotes it. */
  original: HeaderMap | null;
}

function parse(raw: string, depth: number): ParsedReport {
  const msg = splitMimeParts(raw);
  const originalLeaf = msg.leaves.find((l) => l.type === 'message/rfc822' || l.type === 'text/rfc822-headers');
  const humanText = msg.leaves
    .filter((l) => (l.type === 'text/plain' || l.type === 'text/html') && l !== originalLeaf)
    .map((l) => (l.type === 'text/html' ? htmlToText(l.text) : l.text))
    .join('\n');
  const original = originalLeaf ? headOf(originalLeaf.text) : quotedHeader(humanText);
  const report: Report = { msg, subject: field(msg.headers, 'subject'), humanText, original };
  const identity = {
    verpToken: findVerp(msg.headers, original, raw),
    messageId: original ? (/<[^<>\s]{1,500}>/.exec(field(original, 'message-id'))?.[0] ?? null) : null,
  };
  const structured = fromReportParts(report);
  if (structured) return { ...identity, recipients: structured };
  // A bounce forwarded as an attachment (some gateways wrap the MTA's report in their own).
  if (originalLeaf?.type === 'message/rfc822' && depth === 0 && !findNdrMentions(humanText, new Set(), 1).length) {
    const inner = parse(originalLeaf.text, depth + 1);
    if (inner.recipients.length > 0) return inner;
  }
  const informal = informalComplaint(msg.headers, report.subject, humanText, original);
  if (informal) return { ...identity, recipients: [informal] };
  const autoReply = autoReplyFrom(msg.headers, report.subject);
  if (autoReply) return { ...identity, recipients: [autoReply] };
  // Only a message that presents itself as a bounce is read as one: a person writing to the bounce
  // address names addresses too, and none of them failed.
  if (!looksLikeBounce(msg.headers, report.subject)) return { ...identity, recipients: [] };
  return { ...identity, recipients: fromPlainText(report) };
}

/** The machine-readable reports: a feedback report, delivery-status blocks, an SES notification. */
function fromReportParts({ msg, subject, humanText, original }: Report): ReportedRecipient[] | null {
  const feedback = msg.leaves.find((l) => l.type === 'message/feedback-report');
  if (feedback) return [complaint(parseFeedbackReport(feedback.text, original))];

  const statusLeaves = msg.leaves.filter((l) => l.type === 'message/delivery-status' || isInlineDsn(l));
  const blocks = statusLeaves.flatMap((l) => parseDeliveryStatus(l.text, MAX_RECIPIENTS)).slice(0, MAX_RECIPIENTS);
  if (blocks.length > 0) {
    // The bounce's own words about each recipient, for the blocks that carry no Diagnostic-Code.
    const words = new Map(findNdrMentions(humanText, new Set(), MAX_RECIPIENTS).map((m) => [m.recipient, m.text]));
    const explanation = ndrExplanation(humanText);
    // A report about one recipient explains that one, even where it names it only in passing.
    const only = blocks.length === 1 ? blocks[0]?.finalRecipient.toLowerCase() : undefined;
    if (only && !words.has(only)) words.set(only, explanation);
    return blocks.map((b) => fromDsn(b, words, `${subject}\n${explanation}`));
  }

  const ses = parseSesNotification(humanText, MAX_RECIPIENTS);
  return ses.length > 0 ? ses.map((r) => fromSes(r)) : null;
}

/** A plain-text bounce: the recipients it names (or X-Failed-Recipients), each with its own lines. */
function fromPlainText({ msg, subject, humanText }: Report): ReportedRecipient[] {
  const exclude = new Set(
    ['from', 'to', 'reply-to', 'sender', 'return-path']
      .flatMap((name) => msg.headers.get(name) ?? [])
      .flatMap((v) => [...v.matchAll(/[^\s<>;:"(),]+@[^\s<>;:"(),]+/g)].map((m) => bareAddress(m[0]))),
  );
  const explanation = ndrExplanation(humanText);
  const context = `${subject}\n${explanation}`;
  let mentions = findNdrMentions(humanText, exclude, MAX_RECIPIENTS);
  // Someone who wrote to themselves: the failed address is the bounce's own addressee.
  if (mentions.length === 0) mentions = findNdrMentions(humanText, new Set(), MAX_RECIPIENTS);
  // Exim and Google name the failed recipients in a header; trust it over addresses found in the text.
  const failed = (msg.headers.get('x-failed-recipients') ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => bareAddress(v))
    .filter(Boolean)
    .slice(0, MAX_RECIPIENTS);
  if (failed.length > 0) {
    const words = new Map(mentions.map((m) => [m.recipient, m.text]));
    return failed.map((r) => fromText(r, words.get(r) ?? explanation, context));
  }
  return mentions.map((m) => fromText(m.recipient, m.text, context));
}

/** A delivery-status block pasted as text (some MTAs send the RFC 3464 fields in a text/plain part). */
function isInlineDsn(leaf: MimeLeaf): boolean {
  return leaf.type === 'text/plain' && /^final-recipient:/im.test(leaf.text) && /^status:/im.test(leaf.text);
}

/** The header of an attached message or text/rfc822-headers part. */
function headOf(text: string): HeaderMap {
  const end = /\r?\n\r?\n/.exec(text);
  return parseHeaderBlock(end ? text.slice(0, end.index) : text);
}

/** The header of an original email quoted in a plain-text bounce, from its first header-looking line. */
function quotedHeader(text: string): HeaderMap | null {
  const start = /^(?:received|return-path|message-id|from|to|subject|date|x-[\w-]+): /im.exec(
    text.slice(ndrExplanation(text).length),
  );
  if (!start) return null;
  const rest = text.slice(ndrExplanation(text).length + start.index);
  return headOf(rest);
}

/** Our VERP token: in the bounce's envelope headers, the quoted original's return path, or anywhere else. */
function findVerp(headers: HeaderMap, original: HeaderMap | null, raw: string): string | null {
  const candidates = [
    ...['to', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'].flatMap((n) => headers.get(n) ?? []),
    original ? field(original, 'return-path') : '',
    raw.slice(0, 1024 * 1024),
  ];
  for (const c of candidates) {
    const m = VERP.exec(c);
    if (m?.[1]) return m[1];
  }
  return null;
}

/** Enough of HTML to read a bounce written in it (Office 365 sends HTML only). */
function htmlToText(html: string): string {
  return html
    .slice(0, 256 * 1024)
    .replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^<>]{0,2000}>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

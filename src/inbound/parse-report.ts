import { classifyBounce } from '../core/classify-bounce.js';
import type { BounceReason, SmtpStage } from '../model.js';
import { bareAddress, parseFeedbackReport } from './arf.js';
import { parseDeliveryStatus, type DsnBlock } from './dsn.js';
import { field, parseHeaderBlock, type HeaderMap } from './header-block.js';
import { splitMimeParts, type MimeLeaf } from './mime-parts.js';
import { findNdrMentions, ndrExplanation } from './plain-ndr.js';
import { parseSesNotification, type SesRecipient } from './ses-notification.js';

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

/** Bytes of a message read: reports quote the original, which may be large; the verdict is at the top. */
const MAX_INPUT_BYTES = 10 * 1024 * 1024;
/** Recipients read from one report: a report listing more is cut there (one DSN lists one per block). */
export const MAX_RECIPIENTS = 1_000;
const MAX_DIAGNOSTIC_CHARS = 1_000;

const VERP = /\bbounce\+([A-Za-z0-9]{8,64})@/i;
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/;
const ENHANCED_ALL = new RegExp(ENHANCED.source, 'g');
const REPLY_CODE = /(?:^|[^\d.])([245][0-5]\d)(?=[\s,;:-]|$)/;
// In a bounce's own lines only a failure counts: a transcript quotes the 250s that came before it.
const FAILURE_REPLY_CODE = /(?:^|[^\d.])([45][0-5]\d)(?=[\s,;:-]|$)/;
// Which SMTP step the remote server refused, in the words of Exim, Postfix, Sendmail and DragonFly.
const STAGES: ReadonlyArray<[SmtpStage, RegExp]> = [
  [
    'connect',
    /after\s+initial\s+connection|(?:in\s+reply\s+to|after|during)\s+(?:the\s+)?(?:initial\s+)?(?:greeting|banner|connect)/i,
  ],
  ['mail', /(?:after|in\s+reply\s+to)\s+mail\s+from|>>>\s*mail\s+from|our\s+mail\s+from|smtp:mail\b|\[mail_from\]/i],
  [
    'rcpt',
    /(?:after|in\s+reply\s+to)\s+rcpt\s+to|>>>\s*rcpt\s+to|our\s+rcpt\s+to|smtp:rcpt\b|\[rcpt_to\]|does\s+not\s+like\s+recipient|has\s+rejected\s+address/i,
  ],
  [
    'data',
    /(?:in\s+reply\s+to|after)\s+(?:the\s+)?(?:end\s+of\s+)?data\b|>>>\s*data\b|our\s+(?:final\s+)?data|during\s+the\s+data|for\s+text\s+command|\[data\]/i,
  ],
];

function stageOf(text: string): SmtpStage | undefined {
  return STAGES.find(([, pattern]) => pattern.test(text))?.[0];
}

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

function parse(raw: string, depth: number): ParsedReport {
  const msg = splitMimeParts(raw);
  const originalLeaf = msg.leaves.find((l) => l.type === 'message/rfc822' || l.type === 'text/rfc822-headers');
  const humanText = msg.leaves
    .filter((l) => (l.type === 'text/plain' || l.type === 'text/html') && l !== originalLeaf)
    .map((l) => (l.type === 'text/html' ? htmlToText(l.text) : l.text))
    .join('\n');
  const original = originalLeaf ? headOf(originalLeaf.text) : quotedHeader(humanText);
  const identity = {
    verpToken: findVerp(msg.headers, original, raw),
    messageId: original ? (/<[^<>\s]{1,500}>/.exec(field(original, 'message-id'))?.[0] ?? null) : null,
  };
  const subject = field(msg.headers, 'subject');

  const feedback = msg.leaves.find((l) => l.type === 'message/feedback-report');
  if (feedback) return { ...identity, recipients: [complaint(parseFeedbackReport(feedback.text, original))] };

  const statusLeaves = msg.leaves.filter((l) => l.type === 'message/delivery-status' || isInlineDsn(l));
  const blocks = statusLeaves.flatMap((l) => parseDeliveryStatus(l.text, MAX_RECIPIENTS)).slice(0, MAX_RECIPIENTS);
  if (blocks.length > 0) {
    // The bounce's own words about each recipient, for the blocks that carry no Diagnostic-Code.
    const words = new Map(findNdrMentions(humanText, new Set(), MAX_RECIPIENTS).map((m) => [m.recipient, m.text]));
    const explanation = ndrExplanation(humanText);
    // A report about one recipient explains that one, even where it names it only in passing.
    const only = blocks.length === 1 ? blocks[0]?.finalRecipient.toLowerCase() : undefined;
    if (only && !words.has(only)) words.set(only, explanation);
    return { ...identity, recipients: blocks.map((b) => fromDsn(b, words, `${subject}\n${explanation}`)) };
  }

  const ses = parseSesNotification(humanText, MAX_RECIPIENTS);
  if (ses.length > 0) return { ...identity, recipients: ses.map((r) => fromSes(r)) };

  // A bounce forwarded as an attachment (some gateways wrap the MTA's report in their own).
  if (originalLeaf?.type === 'message/rfc822' && depth === 0 && !findNdrMentions(humanText, new Set(), 1).length) {
    const inner = parse(originalLeaf.text, depth + 1);
    if (inner.recipients.length > 0) return inner;
  }

  const informal = informalComplaint(msg.headers, subject, humanText, original);
  if (informal) return { ...identity, recipients: [informal] };
  const autoReply = autoReplyFrom(msg.headers, subject);
  if (autoReply) return { ...identity, recipients: [autoReply] };

  const exclude = new Set(
    ['from', 'to', 'reply-to', 'sender', 'return-path']
      .flatMap((name) => msg.headers.get(name) ?? [])
      .flatMap((v) => [...v.matchAll(/[^\s<>;:"(),]+@[^\s<>;:"(),]+/g)].map((m) => bareAddress(m[0]))),
  );
  // Only a message that presents itself as a bounce is read as one: a person writing to the bounce
  // address names addresses too, and none of them failed.
  if (!looksLikeBounce(msg.headers, subject)) return { ...identity, recipients: [] };
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
    return { ...identity, recipients: failed.map((r) => fromText(r, words.get(r) ?? explanation, context)) };
  }
  return { ...identity, recipients: mentions.map((m) => fromText(m.recipient, m.text, context)) };
}

/** A recipient block of a DSN: its Status and Diagnostic-Code, else the bounce's own words about it. */
function fromDsn(b: DsnBlock, words: ReadonlyMap<string, string>, fallback: string): ReportedRecipient {
  const own = words.get(b.finalRecipient.toLowerCase()) ?? '';
  const text = [b.diagnostic, own].filter(Boolean).join('\n') || fallback;
  // A class-only Status with no Diagnostic-Code says nothing the bounce's words do not say better.
  const codes = codesIn(b.diagnostic).length > 0 ? codesIn(b.diagnostic) : codesIn(own);
  // 4.4.7 means "gave up"; the cause may be only in the bounce's own words (Exchange: "#4.4.1").
  if (b.status === '4.4.7') codes.push(...codesIn(own));
  const status = !b.diagnostic && /^\d\.0\.0$/.test(b.status) ? (codes[0] ?? '') : preferredStatus(b.status, codes);
  const replyCode = REPLY_CODE.exec(b.diagnostic)?.[1] ?? '';
  const base = {
    recipient: b.finalRecipient,
    originalRecipient: b.originalRecipient && b.originalRecipient !== b.finalRecipient ? b.originalRecipient : null,
    replyCode,
    feedbackType: '',
    diagnostic: text.slice(0, MAX_DIAGNOSTIC_CHARS),
  };
  if (b.action === 'delivered' || b.action === 'relayed' || b.action === 'expanded' || status.startsWith('2.'))
    return { ...base, status, action: 'delivered', reason: 'delivered', hard: false };
  // An MTA that reports Action: expired gave up waiting, whatever the last attempt said.
  const cls = classifyBounce({
    code: replyCode ? Number(replyCode) : null,
    dsn: status || null,
    text: b.action === 'expired' ? `delivery expired: ${text}` : text,
    stage: stageOf(text),
  });
  const delayed = b.action === 'delayed';
  return {
    ...base,
    status: cls.status,
    action: delayed ? 'delayed' : 'failed',
    reason: cls.reason,
    hard: cls.hard && !delayed,
  };
}

/**
 * The Status field, unless it is a class-only `X.0.0` and the diagnostic carries a more precise code of
 * the same class; the diagnostic's code when there is no Status.
 */
function preferredStatus(statusField: string, codesInText: string[]): string {
  if (!statusField) return codesInText[0] ?? '';
  const sameClass = codesInText.filter((c) => c[0] === statusField[0] && c !== statusField);
  // X.Y.0 is vaguer than a code with a detail ("5.1.0 - Unknown address error 550 5.2.2 Mailbox full").
  const precise = sameClass.find((c) => !/\.0(?:\.|$)/.test(c));
  // 4.4.7 (expired) is what an MTA says when it gave up; the diagnostic says why.
  if ((/^\d\.0\.0$/.test(statusField) || statusField === '4.4.7') && sameClass[0]) return precise ?? sameClass[0];
  if (/\.0(?:\.|$)/.test(statusField.slice(1)) && precise) return precise;
  return statusField;
}

/** The failure status codes a text carries, in order (at most five): a transcript's 2.x.x are not failures. */
function codesIn(text: string): string[] {
  return [...text.slice(0, 4_000).matchAll(ENHANCED_ALL)]
    .filter((m) => m[1] !== '2')
    .slice(0, 5)
    .map((m) => `${m[1]}.${m[2]}.${m[3]}`);
}

/** A recipient named by a plain-text bounce: the codes and words of its own lines. */
function fromText(recipient: string, text: string, context: string): ReportedRecipient {
  const replyCode = FAILURE_REPLY_CODE.exec(text)?.[1] ?? '';
  const dsn = codesIn(text)[0] ?? null;
  const code = replyCode ? Number(replyCode) : null;
  const stage = stageOf(text);
  let cls = classifyBounce({ code, dsn, text, stage });
  if (cls.reason === 'other' && !dsn) cls = classifyBounce({ code, dsn, text: context, stage });
  const delayed =
    /will (?:keep )?(?:on )?(?:try|retry)|not yet been delivered|delivery (?:has been |is )?delayed|still trying/i.test(
      text,
    );
  return {
    recipient,
    originalRecipient: null,
    status: cls.status,
    replyCode,
    action: delayed ? 'delayed' : 'failed',
    reason: cls.reason,
    hard: cls.hard && !delayed,
    feedbackType: '',
    diagnostic: text.slice(0, MAX_DIAGNOSTIC_CHARS),
  };
}

/** A recipient of an Amazon SES notification. */
function fromSes(r: SesRecipient): ReportedRecipient {
  if (r.kind === 'complaint') return complaint({ feedbackType: r.feedbackType, recipient: r.recipient });
  return fromDsn(
    {
      finalRecipient: r.recipient,
      originalRecipient: '',
      action: r.action,
      status: r.status,
      diagnostic: r.diagnostic,
      remoteMta: '',
    },
    new Map(),
    '',
  );
}

function complaint(c: { feedbackType: string; recipient: string }): ReportedRecipient {
  return {
    recipient: c.recipient,
    originalRecipient: null,
    status: '',
    replyCode: '',
    action: 'complaint',
    reason: 'complaint',
    hard: false,
    feedbackType: c.feedbackType,
    diagnostic: '',
  };
}

/**
 * Complaints sent without an ARF part: Outlook.com's "complaint about message from" with the original
 * attached, and the unsubscribe message Apple Mail sends (an opt-out).
 */
function informalComplaint(
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
function autoReplyFrom(headers: HeaderMap, subject: string): ReportedRecipient | null {
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
function looksLikeBounce(headers: HeaderMap, subject: string): boolean {
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

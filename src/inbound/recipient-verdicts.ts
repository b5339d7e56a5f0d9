import { classifyBounce } from '../core/classify-bounce.js';
import type { DsnBlock } from './dsn.js';
import type { ReportedRecipient } from './report-types.js';
import type { SesRecipient } from './ses-notification.js';
import { codesIn, preferredStatus, replyCodeIn, stageOf } from './smtp-evidence.js';

// Each kind of report's evidence about one recipient, turned into what the rules make of it.

const MAX_DIAGNOSTIC_CHARS = 1_000;

/** A recipient block of a DSN: its Status and Diagnostic-Code, else the bounce's own words about it. */
export function fromDsn(b: DsnBlock, words: ReadonlyMap<string, string>, fallback: string): ReportedRecipient {
  const own = words.get(b.finalRecipient.toLowerCase()) ?? '';
  const text = [b.diagnostic, own].filter(Boolean).join('\n') || fallback;
  const codes = codesIn(b.diagnostic).length > 0 ? codesIn(b.diagnostic) : codesIn(own);
  // 4.4.7 means "gave up"; the cause may be only in the bounce's own words (Exchange: "#4.4.1").
  if (b.status === '4.4.7') codes.push(...codesIn(own));
  // A class-only Status with no Diagnostic-Code says nothing the bounce's words do not say better.
  const status = !b.diagnostic && /^\d\.0\.0$/.test(b.status) ? (codes[0] ?? '') : preferredStatus(b.status, codes);
  const replyCode = replyCodeIn(b.diagnostic, false);
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

/** A recipient named by a plain-text bounce: the codes and words of its own lines. */
export function fromText(recipient: string, text: string, context: string): ReportedRecipient {
  const replyCode = replyCodeIn(text, true);
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
export function fromSes(r: SesRecipient): ReportedRecipient {
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

/** A complaint (feedback report) about one recipient. */
export function complaint(c: { feedbackType: string; recipient: string }): ReportedRecipient {
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

import type { BounceReason, SmtpStage } from '../model.js';
import { DERIVED_DETAIL, HARD_REASONS, STATUS_REASONS, TEXT_RULES } from './bounce-rules.js';

/** What the bounce rules make of a failure. */
export interface BounceClass {
  reason: BounceReason;
  /** True only when the address itself is permanently bad: the bounce that suppresses. */
  hard: boolean;
  /**
   * The enhanced status code (RFC 3463): the one given, else one derived from the reason in the
   * X.0.9xx private range (`5.0.911` for an unknown user), so that every failure carries one.
   */
  status: string;
}

/** Longest text the phrases are matched against: a diagnostic is a few lines; a megabyte is an attack. */
const MAX_TEXT_CHARS = 4_000;

const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Classifies a failure from its SMTP reply code (or null), its enhanced status code (or null), the
 * reply or diagnostic text and, when known, the SMTP step refused. The text decides first, then the
 * status code, then the reply code. A temporary failure (4.x.x, 4xx) is never hard, whatever it says.
 */
export function classifyBounce(input: {
  code: number | null;
  dsn: string | null;
  text: string;
  stage?: SmtpStage;
  /** The step was seen in our own SMTP session, not read from a report's words. */
  seen?: boolean;
}): BounceClass {
  const text = input.text.slice(0, MAX_TEXT_CHARS).replace(/\s+/g, ' ');
  const status = STATUS.exec(input.dsn ?? '');
  const fromStatus = status ? STATUS_REASONS[`${status[2]}.${status[3]}`] : undefined;
  // A weak phrase ("Recipient address rejected: …") yields to a status code that names a reason.
  const rule = TEXT_RULES.find((r) => !(r.weak && fromStatus) && r.pattern.test(text));
  let reason: BounceReason = rule?.reason ?? fromStatus ?? 'other';
  // Nothing to go on at all (no phrase, no status, no reply code): "on hold", not an unknown phrase.
  const nothing = !rule && !fromStatus && input.code === null && !status;
  let detail = rule?.detail ?? (nothing ? '901' : DERIVED_DETAIL[reason]);
  const moved = byStage(reason, input.stage, status?.[2], rule?.authoritative === true);
  if (moved) [reason, detail] = moved;
  const klass = status?.[1] ?? (input.code !== null && input.code >= 400 && input.code < 500 ? '4' : '5');
  return {
    reason,
    hard: klass === '5' && (HARD_REASONS.has(reason) || disabledAtRcpt(reason, input.stage, input.seen === true)),
    status: status ? (input.dsn ?? '') : `${klass}.0.${detail}`,
  };
}

/**
 * A disabled mailbox is hard when the recipient's server refused that address at RCPT TO in our own
 * session: the address itself is what it refuses. Read from a later report (a relay's bounce), it stays
 * soft: providers re-enable accounts, a suppression would outlast that, and the reports' own words
 * rarely say which step refused it.
 */
function disabledAtRcpt(reason: BounceReason, stage: SmtpStage | undefined, seen: boolean): boolean {
  return reason === 'mailbox_disabled' && stage === 'rcpt' && seen;
}

/** What the refused step says that the words do not: [reason, detail] when it changes the verdict. */
function byStage(reason: BounceReason, stage: SmtpStage | undefined, subject: string | undefined, sure: boolean) {
  // Refused at the greeting: before any address was given, so it is about our server (an IP block).
  if (stage === 'connect' && (reason === 'other' || reason === 'policy' || HARD_REASONS.has(reason)))
    return ['blocked', DERIVED_DETAIL.blocked] as const;
  // Refused at MAIL FROM: the sender was refused ("no such domain" is our domain), never the recipient.
  if (stage === 'mail' && HARD_REASONS.has(reason)) return ['policy', '918'] as const;
  // "User unknown" suppresses an address, so it needs evidence: an address status code (5.1.x), a refusal
  // of RCPT TO itself, or a mailbox directory's own words. Said to DATA, after the recipient was accepted,
  // or with nothing to say which step, it is as often a content filter: a good address wrongly suppressed
  // is lost for good, while a real unknown user simply bounces again.
  if (reason === 'user_unknown' && subject !== '1' && stage !== 'rcpt' && !sure)
    return ['policy', DERIVED_DETAIL.policy] as const;
  return null;
}

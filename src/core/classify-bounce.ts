import type { BounceReason } from '../model.js';
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
 * Classifies a failure from its SMTP reply code (or null), its enhanced status code (or null) and the
 * reply or diagnostic text. The text decides first, then the status code, then the reply code. A
 * temporary failure (4.x.x, 4xx) is never hard, whatever it says.
 */
export function classifyBounce(input: { code: number | null; dsn: string | null; text: string }): BounceClass {
  const text = input.text.slice(0, MAX_TEXT_CHARS).replace(/\s+/g, ' ');
  const status = STATUS.exec(input.dsn ?? '');
  const rule = TEXT_RULES.find((r) => r.pattern.test(text));
  const fromStatus = status ? STATUS_REASONS[`${status[2]}.${status[3]}`] : undefined;
  const reason: BounceReason = rule?.reason ?? fromStatus ?? 'other';
  const klass = status?.[1] ?? (input.code !== null && input.code >= 400 && input.code < 500 ? '4' : '5');
  return {
    reason,
    hard: klass === '5' && HARD_REASONS.has(reason),
    status: status ? (input.dsn ?? '') : `${klass}.0.${rule?.detail ?? DERIVED_DETAIL[reason]}`,
  };
}

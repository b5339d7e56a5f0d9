import type { SmtpStage } from '../model.js';

// What a bounce's words say about the SMTP exchange that failed: status codes, reply codes, the step.

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

/** The SMTP step a bounce says the remote server refused, if it says. */
export function stageOf(text: string): SmtpStage | undefined {
  return STAGES.find(([, pattern]) => pattern.test(text))?.[0];
}

/** The reply code of a DSN diagnostic (any class), or of a bounce's own lines (a failure only), or ''. */
export function replyCodeIn(text: string, failuresOnly: boolean): string {
  return (failuresOnly ? FAILURE_REPLY_CODE : REPLY_CODE).exec(text)?.[1] ?? '';
}

/**
 * The Status field, unless it is a class-only `X.0.0` and the diagnostic carries a more precise code of
 * the same class; the diagnostic's code when there is no Status.
 */
export function preferredStatus(statusField: string, codesInText: string[]): string {
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
export function codesIn(text: string): string[] {
  return [...text.slice(0, 4_000).matchAll(ENHANCED_ALL)]
    .filter((m) => m[1] !== '2')
    .slice(0, 5)
    .map((m) => `${m[1]}.${m[2]}.${m[3]}`);
}

import type { SmtpReply, SmtpStage } from '../model.js';

/**
 * An attempt's outcome, before policy: `accepted` (2xx), `temporary` (4xx, dropped connection, DNS
 * trouble), `permanent` (5xx, null MX, non-existent domain) or `config_fault` (our side: relay
 * unreachable, bad relay credentials).
 */
export type AttemptOutcome =
  | { kind: 'accepted'; reply: SmtpReply }
  | { kind: 'temporary'; reply: SmtpReply }
  | { kind: 'permanent'; reply: SmtpReply }
  | { kind: 'config_fault'; reply: SmtpReply };

const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code in a reply text, if any. */
export function enhancedStatus(text: string): string | null {
  const m = ENHANCED.exec(text);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : null;
}

/** Classifies an SMTP reply code: 2xx accepted, 4xx temporary, 5xx permanent; `stage` is the step it answered. */
export function classifySmtpReply(code: number, text: string, host: string | null, stage?: SmtpStage): AttemptOutcome {
  const reply: SmtpReply = { code, text, dsn: enhancedStatus(text), host, ...(stage ? { stage } : {}) };
  if (code >= 200 && code < 300) return { kind: 'accepted', reply };
  if (code >= 400 && code < 500) return { kind: 'temporary', reply };
  return { kind: 'permanent', reply };
}

/** What the remote side (or the attempt to reach it) said. */
export interface SmtpReply {
  code: number | null;
  text: string;
  /** Enhanced status code (RFC 3463) such as 5.1.1, when the reply carried one or we derived it. */
  dsn: string | null;
  /** The host that answered: an MX host name, the relay, or `sandbox`. */
  host: string | null;
  ip?: string | null;
  captured?: boolean;
}

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

/** Classifies an SMTP reply code: 2xx accepted, 4xx temporary, 5xx permanent. */
export function classifySmtpReply(code: number, text: string, host: string | null): AttemptOutcome {
  const reply: SmtpReply = { code, text, dsn: enhancedStatus(text), host };
  if (code >= 200 && code < 300) return { kind: 'accepted', reply };
  if (code >= 400 && code < 500) return { kind: 'temporary', reply };
  return { kind: 'permanent', reply };
}

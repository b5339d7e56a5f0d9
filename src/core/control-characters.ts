// C0 (U+0000 to U+001F: NUL, CR and LF among them), DEL and C1 (U+0080 to U+009F): matching them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1F\x7F-\x9F]/;

/** Whether a one-line label (a key's name, a tag) holds a control character, which none may. */
export function hasControlCharacter(s: string): boolean {
  return CONTROL.test(s);
}

/**
 * Whether a text holds a NUL, which no text of ours may: PostgreSQL cannot store one (the write fails), and
 * a message may not carry one (RFC 5322).
 */
export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** The sentences of the two refusals, the same wherever they are given. */
export const CONTROL_CHARACTER_ERROR = 'must be one line without control characters';
export const NUL_ERROR = 'must not contain a NUL character (U+0000)';

import type { FieldError } from './errors.js';

// RFC 5322 §2.1.1: a line of a message holds at most 998 characters (78 where possible). Header
// values are folded at white space; a value too long to fold that way is sent as RFC 2047
// encoded-words, which fold anywhere. Encoded-words may stand only in unstructured text, though: in a
// header of message ids or URLs a receiver would read them literally, so those values are never
// encoded, and each of their words has to fit on a line of its own.

/** RFC 5322's limit on a line, without its CRLF. */
export const MAX_LINE_CHARS = 998;

/**
 * The longest word (a run without white space) of a header that is never encoded: with the fold's
 * white space before it and room to spare, it fits a line.
 */
export const MAX_UNENCODED_WORD_CHARS = 900;

/** Headers of message ids (RFC 5322 §3.6.4) and URLs or list ids (RFC 2369, 2919, 8058): folded, never encoded. */
const UNENCODED = /^(?:in-reply-to|references|message-id|content-id|list-[!-9;-~]+|otp-token)$/i;

/** Whether a header's value must go out as written (only folded at its white space), never as encoded-words. */
export function isUnencodedHeader(name: string): boolean {
  return UNENCODED.test(name);
}

/**
 * The custom headers that could not be sent within RFC 5322's line limit: those never encoded
 * (In-Reply-To, References, List-*) holding a word longer than MAX_UNENCODED_WORD_CHARS.
 */
export function unfoldableHeaders(headers: unknown): FieldError[] {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return [];
  const tooLong = new RegExp(`\\S{${MAX_UNENCODED_WORD_CHARS + 1}}`);
  return Object.entries(headers).flatMap(([name, value]) =>
    isUnencodedHeader(name) && typeof value === 'string' && tooLong.test(value)
      ? [
          {
            field: `headers.${name}`,
            error: `has a word longer than ${MAX_UNENCODED_WORD_CHARS} characters with no white space; ${name} is sent as written, folded only at white space, so each word must fit on a header line`,
          },
        ]
      : [],
  );
}

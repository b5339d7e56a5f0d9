import { encodeWord, foldLines } from 'nodemailer/lib/mime-funcs/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { isUnencodedHeader, MAX_LINE_CHARS } from '../core/header-lines.js';

/** Where nodemailer's composer folds header lines (RFC 5322's 78 less room for the CRLF). */
const FOLD_CHARS = 76;
/** The length of the encoded-words nodemailer writes for non-ASCII text, so that each fits a folded line. */
const ENCODED_WORD_CHARS = 52;

// nodemailer 10's public static MimeNode.encodeHeaderValue (what the composer does to each value before it
// folds it); @types/nodemailer does not list it yet.
const composerEncoding = MimeNode as unknown as { encodeHeaderValue(key: string, value: string): string };

/** Whether nodemailer's composer writes `name: value` on lines that fit RFC 5322 (none over 998, none blank). */
function composedFits(name: string, value: string): boolean {
  const lines = foldLines(`${name}: ${composerEncoding.encodeHeaderValue(name, value)}`, FOLD_CHARS).split('\r\n');
  return lines.every((line, i) => line.length <= MAX_LINE_CHARS && (i === 0 || /\S/.test(line)));
}

/**
 * A header value as handed to nodemailer's composer so that it goes out on lines that fit RFC 5322.
 * The composer folds at white space and encodes non-ASCII text as RFC 2047 encoded-words itself; what
 * it leaves too long is a word with no white space to fold at (a 998-character subject, a 2,000-character
 * token). Such a value is given to it already encoded, as nodemailer's own Q encoded-words, which it
 * folds between the words; mail readers decode them back to the same text. Headers of message ids and
 * URLs cannot be encoded (core/header-lines.ts): one that does not fit throws (acceptance refuses them).
 */
export function foldableHeaderValue(name: string, value: string): string {
  if (composedFits(name, value)) return value;
  if (isUnencodedHeader(name))
    throw new Error(`the ${name} header has a word too long for a line of ${MAX_LINE_CHARS} characters`);
  return encodeWord(value, 'Q', ENCODED_WORD_CHARS);
}

/** Every custom header of a message through foldableHeaderValue. */
export function foldableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, foldableHeaderValue(name, value)]));
}

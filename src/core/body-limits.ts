import type { FieldError } from './errors.js';

// What one email may cost to render. Each recipient gets a copy of its own, with a signed tracking URL
// for every link, so the bodies and their links are capped per email; the whole request is already
// capped at 40 MiB (attachments included) by the HTTP layer.

/** Each of html and text, in UTF-8 bytes (Gmail clips HTML past about 100 KB; this leaves ample room). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Links per email, html and text together: each is signed into each recipient's copy. */
export const MAX_LINKS = 1000;
/**
 * One recipient's copy as sent, once encoded (base64, quoted-printable), signed and tracked. Accepted
 * emails stay well under it (40 MiB request, typically under 45 MiB encoded); only text that
 * quoted-printable triples can pass it, and such a copy is not sent.
 */
export const MAX_COPY_BYTES = 50 * 1024 * 1024;

/**
 * Where a link may stand: an href attribute (of <a>, <area>, VML shapes, also inside Outlook's
 * conditional comments) in any letter case and spacing, and an http(s) URL in a text part. Counted
 * over the raw text, this is at least the number of links that tracking rewrites, whatever the settings.
 */
const HTML_LINK = /[\s"'/]href[\s]*=/gi;
const TEXT_LINK = /\bhttps?:\/\//gi;

const formatted = (n: number) => n.toLocaleString('en-US');

function count(s: string, pattern: RegExp): number {
  let n = 0;
  pattern.lastIndex = 0;
  while (pattern.exec(s) !== null) n++;
  return n;
}

/** A body's field error when it is larger than MAX_BODY_BYTES (413), or null. */
function oversized(field: 'html' | 'text', value: unknown): FieldError | null {
  if (typeof value !== 'string' || value.length <= MAX_BODY_BYTES / 3) return null;
  return Buffer.byteLength(value, 'utf8') > MAX_BODY_BYTES ? { field, error: 'is larger than 5 MiB' } : null;
}

/**
 * The limits on an email's bodies, over a raw send body (values of any type are skipped): `tooLarge`
 * lists bodies over MAX_BODY_BYTES (answered 413); `tooManyLinks` names the body whose links bring the
 * email over MAX_LINKS (answered 422).
 */
export function bodyLimits(body: Record<string, unknown>): { tooLarge: FieldError[]; tooManyLinks: FieldError[] } {
  const tooLarge = [oversized('html', body.html), oversized('text', body.text)].filter((e) => e !== null);
  if (tooLarge.length > 0) return { tooLarge, tooManyLinks: [] };
  const html = typeof body.html === 'string' ? count(body.html, HTML_LINK) : 0;
  const text = typeof body.text === 'string' ? count(body.text, TEXT_LINK) : 0;
  const limit = `an email may have at most ${formatted(MAX_LINKS)}, since each recipient's copy signs a tracking URL for each`;
  const tooManyLinks: FieldError[] = [];
  if (html > MAX_LINKS) tooManyLinks.push({ field: 'html', error: `has ${formatted(html)} links; ${limit}` });
  else if (html + text > MAX_LINKS)
    tooManyLinks.push({
      field: 'text',
      error: `has ${formatted(text)} links, which with the html's ${formatted(html)} make ${formatted(html + text)} links; ${limit}`,
    });
  return { tooLarge, tooManyLinks };
}

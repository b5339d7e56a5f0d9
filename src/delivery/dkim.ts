import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { domainToASCII } from 'node:url';

// A DKIM signer of our own (RFC 6376: relaxed/relaxed, rsa-sha256) on node:crypto. mailauth's public
// dkimSign takes only a PEM, which it parses for every message (a third of the delivery worker's CPU),
// and signs on the event loop; here the key is parsed once per domain and the RSA operation runs on
// libuv's thread pool. mailauth verifies what this signs in test/delivery/dkim.test.ts.

/** Header fields signed wherever they appear: the list mailauth signed before this signer replaced it, and one more. */
const SIGNED_FIELDS = new Set(
  (
    'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
    'Content-ID:Content-Description:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:Resent-Message-ID:' +
    'In-Reply-To:References:List-Id:List-Help:List-Unsubscribe:List-Subscribe:List-Post:List-Owner:List-Archive:' +
    // RFC 8058 §4: the one-click header must be signed along with List-Unsubscribe.
    'List-Unsubscribe-Post:BIMI-Selector'
  )
    .toLowerCase()
    .split(':'),
);

/** The longest line of the DKIM-Signature header, without its CRLF (RFC 5322's SHOULD). */
const LINE = 78;
/** The body is canonicalised and hashed this much at a time (about a millisecond), the event loop turning between. */
const SLICE_BYTES = 128 * 1024;
/** A line break that is a bare LF, not CRLF. */
const BARE_LF = /(?:^|[^\r])\n/;

/** A domain's signing key, parsed once. */
export interface DkimKey {
  domain: string;
  selector: string;
  pem: string;
  key: KeyObject;
}

/** Parses a domain's PEM private key for signing. */
export function dkimKey(domain: string, selector: string, pem: string): DkimKey {
  return { domain, selector, pem, key: createPrivateKey(pem) };
}

/** The DKIM-Signature header (relaxed/relaxed, rsa-sha256) for a message, ending in CRLF. */
export async function dkimSignature(message: Buffer, k: DkimKey): Promise<string> {
  const { head, bodyStart } = splitHead(message);
  // Every instance of a signed field, from the bottom up: a verifier takes instances of a name in h= from the bottom.
  const fields = headerFields(head)
    .filter((f) => SIGNED_FIELDS.has(fieldName(f).toLowerCase()))
    .reverse();
  const bodyHash = await relaxedBodyHash(message.subarray(bodyStart));
  const names = fields.map(fieldName);
  if (!names.some((name) => name.toLowerCase() === 'from')) throw new Error('DKIM signing failed: no From field');
  const tags = [
    'v=1;',
    'a=rsa-sha256;',
    'c=relaxed/relaxed;',
    `d=${domainToASCII(k.domain) || k.domain};`,
    ...names.map((name, i) => (i === 0 ? 'h=' : '') + name + (i === names.length - 1 ? ';' : ':')),
    'q=dns/txt;',
    `s=${k.selector};`,
    `t=${Math.floor(Date.now() / 1000)};`,
    `bh=${bodyHash};`,
  ];
  // Folded before signing: relaxed canonicalisation keeps a fold as a space, so the header signed over
  // must be the one sent, with an empty b=.
  const unsigned = fold(tags) + '\r\n b=';
  const signed = fields.map((f) => relaxedField(f) + '\r\n').join('') + relaxedField(unsigned);
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign('sha256', Buffer.from(signed, 'latin1'), k.key, (error, s) => (error ? reject(error) : resolve(s))),
  );
  return unsigned + foldBase64(signature.toString('base64'), ' b='.length) + '\r\n';
}

/** The fields of a header block (CRLF line breaks), each with its folds; lines that are no field are left out. */
function headerFields(head: string): string[] {
  const fields: string[] = [];
  for (const line of head.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length) fields[fields.length - 1] += '\r\n' + line;
    else fields.push(line);
  }
  return fields.filter((f) => f.includes(':'));
}

function fieldName(field: string): string {
  return field.slice(0, field.indexOf(':')).replace(/[ \t]+$/, '');
}

/** RFC 6376 §3.4.2: name in lower case, unfolded, runs of WSP as one SP, none around the colon or at the end. */
function relaxedField(field: string): string {
  const colon = field.indexOf(':');
  const value = field
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
  return (
    field
      .slice(0, colon)
      .replace(/[ \t]+$/, '')
      .toLowerCase() +
    ':' +
    value
  );
}

/**
 * The header block of a message (its fields with CRLF line breaks, as SMTP sends them; nodemailer's data
 * stream turns bare LFs into CRLF) and where the body starts: after the first empty line. latin1 maps
 * each byte to one character and back, so what is signed is the bytes that are sent.
 */
function splitHead(message: Buffer): { head: string; bodyStart: number } {
  if (message[0] === 0x0a) return { head: '', bodyStart: 1 };
  if (message[0] === 0x0d && message[1] === 0x0a) return { head: '', bodyStart: 2 };
  const crlf = message.indexOf('\n\r\n');
  const lf = message.subarray(0, crlf < 0 ? message.length : crlf).indexOf('\n\n');
  const at = lf >= 0 ? lf : crlf; // the LF ending the last field
  const headEnd = at < 0 ? message.length : at > 0 && message[at - 1] === 0x0d ? at - 1 : at;
  let head = message.subarray(0, headEnd).toString('latin1');
  if (BARE_LF.test(head)) head = head.replace(/\r?\n/g, '\r\n');
  return { head, bodyStart: at < 0 ? message.length : at + (lf >= 0 ? 2 : 3) };
}

/**
 * The base64 SHA-256 of a body in RFC 6376 §3.4.4's relaxed form (CRLF line breaks; runs of WSP as one
 * SP, none at a line's end, no empty lines at the end), read in slices that end at a line break, with a
 * turn of the event loop between them. Each rule is about one line, but for the last: the empty lines
 * (and spaces) a slice ends with are held back until a later slice shows that more of the body follows.
 */
async function relaxedBodyHash(body: Buffer): Promise<string> {
  const hash = createHash('sha256');
  let held = '';
  let hashed = false;
  for (let at = 0; at < body.length;) {
    const lf = body.indexOf(0x0a, Math.min(at + SLICE_BYTES, body.length) - 1);
    const end = lf < 0 ? body.length : lf + 1;
    if (at > 0) await nextTurn();
    let slice = body.subarray(at, end).toString('latin1');
    if (BARE_LF.test(slice)) slice = slice.replace(/\r?\n/g, '\r\n');
    // Replaces only what changes, so that a body with nothing to canonicalise (base64, most text) is not copied.
    slice = slice.replace(/[ \t][ \t]+|\t/g, ' ').replace(/ \r\n/g, '\r\n');
    const kept = withoutBlankEnd(slice);
    if (kept > 0) {
      hash.update(held + slice.slice(0, kept), 'latin1');
      held = slice.slice(kept);
      hashed = true;
    } else held += slice;
    at = end;
  }
  if (hashed) hash.update('\r\n', 'latin1');
  return hash.digest('base64');
}

/** Where canonical text ends once the spaces and empty lines at its end are taken off. */
function withoutBlankEnd(b: string): number {
  let end = b.length;
  for (;;) {
    if (b.charCodeAt(end - 1) === 0x20) end -= 1;
    else if (end >= 2 && b.charCodeAt(end - 2) === 0x0d && b.charCodeAt(end - 1) === 0x0a) end -= 2;
    else return end;
  }
}

/** `DKIM-Signature:` and the tags, a line broken before a tag (or an h= name) that would pass LINE. */
function fold(tags: string[]): string {
  let out = 'DKIM-Signature:';
  let length = out.length;
  for (const [i, tag] of tags.entries()) {
    // Folding white space may stand between tags and around h='s colons; a name continues the list without a space.
    const sep = tags[i - 1]?.endsWith(':') ? '' : ' ';
    if (length + sep.length + tag.length > LINE) {
      out += '\r\n ' + tag;
      length = 1 + tag.length;
    } else {
      out += sep + tag;
      length += sep.length + tag.length;
    }
  }
  return out;
}

/** A base64 value continuing a line `used` characters long, broken (folding white space is allowed in it) at LINE. */
function foldBase64(value: string, used: number): string {
  let out = value.slice(0, LINE - used);
  for (let at = LINE - used; at < value.length; at += LINE - 1) out += '\r\n ' + value.slice(at, at + LINE - 1);
  return out;
}

import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Mail from 'nodemailer/lib/mailer/index.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { dkimSignature, type DkimKey } from './dkim.js';
import { foldableHeaders, foldableHeaderValue } from './header-values.js';
import type { Address } from '../model.js';
import type { AttachmentRow, EmailRow } from '../store/schema.js';

function mailbox(a: Address): { name: string; address: string } {
  return { name: a.name ?? '', address: a.email };
}

/**
 * How much content nodemailer's encoders take at once: 16 KiB of base64 is a few microseconds of work,
 * of quoted-printable well under a millisecond (even text it triples), so a 24 MiB attachment or a
 * 5 MiB body is encoded over hundreds of turns of the event loop, not in one stop of the server.
 */
const PIECE_BYTES = 16 * 1024;

/** Content as a stream of PIECE_BYTES pieces with a turn of the event loop before each but the first. */
function inPieces(content: Buffer): Readable {
  return Readable.from(
    (async function* pieces() {
      for (let at = 0; at < content.length; at += PIECE_BYTES) {
        if (at > 0) await nextTurn();
        yield content.subarray(at, at + PIECE_BYTES);
      }
    })(),
  );
}

/**
 * A text body as the composer gets it: in pieces, with the transfer encoding nodemailer picks for the
 * whole string (7bit, quoted-printable or base64), which it cannot pick for a stream. The encoders'
 * output does not depend on where their input is split, so the message is the same bytes.
 */
function textPart(contentType: string, body: string | null): Mail.Attachment | undefined {
  if (body === null) return undefined;
  const encoding = new MimeNode(contentType).setContent(body).getTransferEncoding();
  return {
    content: inPieces(Buffer.from(body, 'utf8')),
    contentTransferEncoding: encoding as Mail.Attachment['contentTransferEncoding'],
  };
}

/** An attachment as the composer gets it: in pieces, base64-encoded, except message/* parts (sent as they are). */
function attachmentPart(a: AttachmentRow): Mail.Attachment {
  const content = Buffer.from(a.content);
  return /^message\//i.test(a.content_type)
    ? { filename: a.filename, content, contentType: a.content_type }
    : {
        filename: a.filename,
        content: inPieces(content),
        contentType: a.content_type,
        contentTransferEncoding: 'base64',
      };
}

/**
 * Renders an accepted email to the exact bytes that go on the wire: MIME (nodemailer's composer),
 * Message-ID on the sending domain, no Bcc header, every header on lines that fit RFC 5322, then a
 * relaxed/relaxed rsa-sha256 DKIM signature by the domain's key. Bodies and attachments are encoded
 * in pieces, and signed so, between turns of the event loop.
 */
export async function renderMime(
  email: EmailRow,
  attachments: AttachmentRow[],
  key: DkimKey,
  bodies: { html: string | null; text: string | null } = { html: email.html_body, text: email.text_body },
  headers: Record<string, string> = email.headers_json ?? {},
): Promise<Buffer> {
  const replyTo = email.reply_to_json;
  const composer = new MailComposer({
    from: { name: email.from_name ?? '', address: email.from_email },
    to: email.to_json.map(mailbox),
    cc: (email.cc_json ?? []).map(mailbox),
    replyTo: replyTo ? mailbox(replyTo) : undefined,
    subject: foldableHeaderValue('Subject', email.subject),
    text: textPart('text/plain; charset=utf-8', bodies.text),
    html: textPart('text/html; charset=utf-8', bodies.html),
    headers: foldableHeaders(headers),
    messageId: email.message_id,
    date: new Date(email.created_at),
    attachments: attachments.map(attachmentPart),
    // The composer would otherwise add X-Mailer-like noise; keep the message ours.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const message = await new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, out) => (error ? reject(error) : resolve(out)));
  });
  return Buffer.concat([Buffer.from(await dkimSignature(message, key)), message]);
}

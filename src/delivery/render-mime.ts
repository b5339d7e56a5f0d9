import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { dkimSignature, type DkimKey } from './dkim.js';
import { foldableHeaders, foldableHeaderValue } from './header-values.js';
import type { Address } from '../model.js';
import type { AttachmentRow, EmailRow } from '../store/schema.js';

function mailbox(a: Address): { name: string; address: string } {
  return { name: a.name ?? '', address: a.email };
}

/**
 * Renders an accepted email to the exact bytes that go on the wire: MIME (nodemailer's composer),
 * Message-ID on the sending domain, no Bcc header, every header on lines that fit RFC 5322, then a
 * relaxed/relaxed rsa-sha256 DKIM signature by the domain's key.
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
    text: bodies.text ?? undefined,
    html: bodies.html ?? undefined,
    headers: foldableHeaders(headers),
    messageId: email.message_id,
    date: new Date(email.created_at),
    attachments: attachments.map((a) => ({
      filename: a.filename,
      content: Buffer.from(a.content),
      contentType: a.content_type,
    })),
    // The composer would otherwise add X-Mailer-like noise; keep the message ours.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const message = await new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, out) => (error ? reject(error) : resolve(out)));
  });
  return Buffer.concat([Buffer.from(await dkimSignature(message, key)), message]);
}

import { field, parseHeaderBlock } from './header-block.js';

/** One per-recipient block of a delivery status notification (RFC 3464 section 2.3). */
export interface DsnBlock {
  finalRecipient: string;
  originalRecipient: string;
  /** failed, delayed, delivered, relayed or expanded (lower-case; '' when absent). */
  action: string;
  /** The Status field, e.g. `5.1.1` ('' when absent or not a status code). */
  status: string;
  /** The Diagnostic-Code text without its type (`smtp;`). */
  diagnostic: string;
  remoteMta: string;
}

/**
 * Reads the per-recipient blocks of a message/delivery-status part, in order, at most `max` of them
 * (a report listing more is cut there, not refused). The per-message block (Reporting-MTA…) is skipped.
 */
export function parseDeliveryStatus(text: string, max: number): DsnBlock[] {
  const blocks: DsnBlock[] = [];
  for (const chunk of text.split(/\r?\n[ \t]*\r?\n/)) {
    if (blocks.length >= max) break;
    const h = parseHeaderBlock(chunk);
    const finalRecipient = address(field(h, 'final-recipient') || field(h, 'original-recipient'));
    if (!finalRecipient) continue;
    blocks.push({
      finalRecipient,
      originalRecipient: address(field(h, 'original-recipient')),
      action: field(h, 'action').toLowerCase().split(/[\s(]/)[0] ?? '',
      status: /^[245]\.\d{1,3}\.\d{1,3}/.exec(field(h, 'status').trim())?.[0] ?? '',
      diagnostic: withoutType(field(h, 'diagnostic-code')),
      remoteMta: withoutType(field(h, 'remote-mta')),
    });
  }
  return blocks;
}

/** `rfc822; <a@b>` → `a@b`. */
function address(value: string): string {
  const m = /"[^"]{1,128}"@[^\s<>;:"(),]+|[^\s<>;:"(),]+@[^\s<>;:"(),]+/.exec(withoutType(value));
  return m ? m[0].replace(/\.$/, '') : '';
}

function withoutType(value: string): string {
  return value.replace(/^\s*[\w-]+\s*;\s*/, '').trim();
}

import type { DomainRow, EmailRow } from '../../store/schema.js';
import type { UnsubscribeTokens } from '../tokens.js';

/** The placeholders a body may carry, replaced per recipient whatever the settings; |*UNSUBSCRIBE*| is the domain's. */
const PLACEHOLDER = /%unsubscribe_url%|%tag_unsubscribe_url%|\|\*UNSUBSCRIBE\*\|/g;

/** What unsubscribing one email gets. */
export interface UnsubscribePlan {
  /** List-Unsubscribe(-Post) on each copy: the send body's choice, else the domain's; or a placeholder is used. */
  headers: boolean;
  /** A body carries a placeholder to replace. */
  placeholders: boolean;
  /** Base of the unsubscribe URLs: the tracking links' (the domain's tracking host, or TAIFA_PUBLIC_URL). */
  base: string;
  /** Where the mailto address goes: the domain's return-path host, whose MX is the inbound listener. */
  mailHost: string;
}

function hasPlaceholder(body: string | null): boolean {
  return body !== null && new RegExp(PLACEHOLDER.source).test(body);
}

/** Resolves an email's unsubscribe links against its domain; `base` is its tracking plan's. */
export function unsubscribePlan(email: EmailRow, domain: DomainRow, base: string): UnsubscribePlan {
  const placeholders = hasPlaceholder(email.html_body) || hasPlaceholder(email.text_body);
  const setting = email.unsubscribe === null ? domain.unsubscribe_links === 1 : email.unsubscribe === 1;
  // An email that brings its own List-Unsubscribe keeps it: the sender chose where unsubscribes go.
  const own = Object.keys(email.headers_json ?? {}).some((name) => name.toLowerCase() === 'list-unsubscribe');
  return { headers: (setting || placeholders) && !own, placeholders, base, mailHost: domain.return_path_host };
}

/** Whether each recipient's copy differs because of its unsubscribe links. */
export function unsubscribesPerRecipient(plan: UnsubscribePlan): boolean {
  return plan.headers || plan.placeholders;
}

/**
 * One recipient's copy with its unsubscribe links: the placeholders of `bodies` replaced (escaped for
 * attributes in HTML) and, when on, the List-Unsubscribe headers (RFC 2369, one-click per RFC 8058)
 * added to the email's own headers.
 */
export function unsubscribeCopy(
  email: EmailRow,
  plan: UnsubscribePlan,
  tokens: UnsubscribeTokens,
  recipientId: string,
  bodies: { html: string | null; text: string | null },
): { bodies: { html: string | null; text: string | null }; headers: Record<string, string> } {
  const url = (tagOnly: boolean) => `${plan.base}/v1/unsubscribe/${tokens.sign({ recipientId, tagOnly })}`;
  const own = email.headers_json ?? {};
  if (!plan.headers && !plan.placeholders) return { bodies, headers: own };
  const fill = (body: string | null, escape: boolean) =>
    body === null
      ? null
      : body.replace(PLACEHOLDER, (p) => {
          const u = url(p === '%tag_unsubscribe_url%');
          return escape ? u.replace(/&/g, '&amp;').replace(/"/g, '&quot;') : u;
        });
  const filled = plan.placeholders ? { html: fill(bodies.html, true), text: fill(bodies.text, false) } : bodies;
  if (!plan.headers) return { bodies: filled, headers: own };
  const token = tokens.sign({ recipientId, tagOnly: false });
  // (The email has no List-Unsubscribe of its own here; a List-Unsubscribe-Post of its own would be a second one.)
  const headers = Object.fromEntries(Object.entries(own).filter(([name]) => !/^list-unsubscribe(-post)?$/i.test(name)));
  headers['List-Unsubscribe'] =
    `<${plan.base}/v1/unsubscribe/${token}>, <mailto:unsubscribe+${token}@${plan.mailHost}>`;
  headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  return { bodies: filled, headers };
}

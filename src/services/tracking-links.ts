import { errors } from '../core/errors.js';
import type { Store } from '../store/database.js';
import { getDomainById } from '../store/domains-repo.js';
import { getEmail, listRecipients } from '../store/emails-repo.js';
import type { RecipientStatus } from '../model.js';
import {
  isTracked,
  recipientTracking,
  trackedTemplate,
  trackingPlan,
  type RecipientTracking,
} from '../tracking/links/tracked-bodies.js';
import type { TrackingTokens } from '../tracking/tokens.js';

/** One recipient's open pixel and tracked links. */
export interface RecipientLinks extends RecipientTracking {
  recipient: string;
}

/** Recipients no copy is made for: refused at acceptance (a suppressed address), or cancelled before sending. */
const NO_COPY: readonly RecipientStatus[] = ['rejected', 'cancelled'];

/**
 * The tracking URLs of each recipient's copy of one of an account's emails (404 for any other), made by
 * the code the worker renders copies with (delivery/message-cache.ts): the email's tracking plan over its
 * domain's current settings, the bodies rewritten once, each recipient's URLs signed into the placeholders.
 */
export async function trackingLinks(
  deps: { store: Store; tokens: TrackingTokens; publicUrl: string },
  accountId: string,
  id: string,
): Promise<RecipientLinks[]> {
  const email = await getEmail(deps.store.db, accountId, id);
  if (!email) throw errors.notFound('Email');
  const [recipients, domain] = await Promise.all([
    listRecipients(deps.store.db, email.id),
    email.domain_id ? getDomainById(deps.store.db, email.domain_id) : undefined,
  ]);
  // Without its domain the email cannot be rendered, so no copy has any tracking.
  const plan = domain ? trackingPlan(email, domain, deps.publicUrl) : null;
  const template = plan && isTracked(plan, email) ? await trackedTemplate(email, plan) : null;
  return recipients
    .filter((r) => !NO_COPY.includes(r.status))
    .map((r) => ({
      recipient: r.address,
      ...(plan ? recipientTracking(email, plan, template, deps.tokens, r.id) : { pixelUrl: null, links: [] }),
    }));
}

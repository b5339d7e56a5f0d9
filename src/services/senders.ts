import { errors } from '../core/errors.js';
import { isEmailAddress, isWellFormed } from '../core/send-validation.js';
import { newId } from '../ids.js';
import type { Store } from '../store/database.js';
import { findDomainByName } from '../store/domains-repo.js';
import type { SenderRow } from '../store/schema.js';
import { deleteSender, findSender, insertSender, listSenders } from '../store/senders-repo.js';

/** Registers a sender address on one of the account's verified domains; 409 if already registered. */
export async function registerSender(
  store: Store,
  accountId: string,
  input: { email: string; name?: string | null },
): Promise<SenderRow> {
  const email = input.email.trim().toLowerCase();
  if (!isEmailAddress(email))
    throw errors.validation([{ field: 'email', error: `"${input.email.slice(0, 100)}" is not a valid email address` }]);
  if (input.name && !isWellFormed(input.name))
    throw errors.validation([
      { field: 'name', error: 'must not contain a lone UTF-16 surrogate (half of a character)' },
    ]);
  const domainName = email.slice(email.lastIndexOf('@') + 1);
  const domain = await findDomainByName(store.db, accountId, domainName);
  if (!domain)
    throw errors.domainNotVerified(
      `The domain ${domainName} is not added to this account; add it with POST /v1/domains.`,
    );
  if (domain.status !== 'verified')
    throw errors.domainNotVerified(
      `The domain ${domainName} is not verified yet; publish its records and run POST /v1/domains/${domain.id}/verify.`,
    );
  if (await findSender(store.db, accountId, email))
    throw errors.conflict(`The sender ${email} is already registered.`, 'sender_exists');
  const row: SenderRow = {
    id: newId(),
    account_id: accountId,
    domain_id: domain.id,
    email,
    name: input.name?.trim() || null,
    created_at: Date.now(),
  };
  await insertSender(store.db, row);
  return row;
}

/** An account's senders. */
export async function senders(store: Store, accountId: string): Promise<SenderRow[]> {
  return listSenders(store.db, accountId);
}

/** Deletes one of an account's senders; 404 otherwise. */
export async function removeSender(store: Store, accountId: string, id: string): Promise<void> {
  if (!(await deleteSender(store.db, accountId, id))) throw errors.notFound('Sender');
}

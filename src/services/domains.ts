import { generateKeyPair } from 'node:crypto';
import type { promises as dns } from 'node:dns';
import { promisify } from 'node:util';
import {
  canonicalDomainName,
  domainStatusOf,
  expectedRecords,
  isDomainName,
  recordsForMtaHost,
} from '../core/domain-records.js';
import { errors } from '../core/errors.js';
import { checkRecords, sandboxRecords } from '../dns/verify-domain.js';
import { newId, randomToken } from '../ids.js';
import type { SecretBox } from '../secret-box.js';
import * as repo from '../store/domains-repo.js';
import type { Store } from '../store/database.js';
import type { DomainRow } from '../store/schema.js';

const generateRsa = promisify(generateKeyPair);

/** What the domain services need. */
export interface DomainDeps {
  store: Store;
  resolver: dns.Resolver;
  /** The host name our MTA greets with: SPF authorises it, the return path's MX points at it. */
  mtaHost: string;
  /** Sandbox mode: domains verify without DNS. */
  sandbox: boolean;
  /** Called after a change that decides who may send (verification, deletion). */
  onSendersChanged: () => void;
  /** Seals the DKIM private key for storage. */
  secrets: SecretBox;
}

/** The tracking and unsubscribe settings of a domain that PATCH may change. */
export interface DomainSettings {
  open_tracking?: boolean;
  click_tracking?: boolean;
  pixel_position?: 'top' | 'bottom';
  tracking_host?: string | null;
  unsubscribe_links?: boolean;
}

/** A stored domain with the records to publish for our MTA's current name (see `recordsForMtaHost`). */
function current(deps: DomainDeps, domain: DomainRow): DomainRow {
  return { ...domain, records: recordsForMtaHost(domain.records, deps.mtaHost) };
}

async function found(deps: DomainDeps, accountId: string, id: string): Promise<DomainRow> {
  const domain = await repo.getDomain(deps.store.db, accountId, id);
  if (!domain) throw errors.notFound('Domain');
  return current(deps, domain);
}

/**
 * Adds a sending domain with a fresh 2048-bit DKIM key (stored sealed, as the row returned has it) and the
 * records to publish; 409 if already added.
 */
export async function addDomain(deps: DomainDeps, accountId: string, rawName: string): Promise<DomainRow> {
  const name = canonicalDomainName(rawName);
  if (!isDomainName(name))
    throw errors.validation([{ field: 'name', error: `"${rawName.slice(0, 100)}" is not a domain name` }]);
  const exists = () => errors.conflict(`The domain ${name} is already added.`, 'domain_exists');
  if (await repo.findDomainByName(deps.store.db, accountId, name)) throw exists();

  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const selector = `tfm${randomToken(6).toLowerCase()}`;
  const returnPathHost = `tfm-bounces.${name}`;
  const records = expectedRecords({
    name,
    selector,
    publicKeyBase64: publicKey.toString('base64'),
    returnPathHost,
    mtaHost: deps.mtaHost,
  });
  const now = Date.now();
  const row: DomainRow = {
    id: newId(),
    account_id: accountId,
    name,
    status: 'pending',
    dkim_selector: selector,
    dkim_private_key: deps.secrets.seal(privateKey, 'dkim-private-key'),
    dkim_public_key: publicKey.toString('base64'),
    return_path_host: returnPathHost,
    records,
    open_tracking: 1,
    click_tracking: 1,
    tracking_host: null,
    pixel_position: 'bottom',
    unsubscribe_links: 0,
    created_at: now,
    updated_at: now,
    verified_at: null,
    last_checked_at: null,
  };
  try {
    await repo.insertDomain(deps.store.db, { ...row, records: JSON.stringify(records) });
  } catch (error) {
    // Two concurrent requests for the same name: the unique constraint decides.
    if (await repo.findDomainByName(deps.store.db, accountId, name)) throw exists();
    throw error;
  }
  return row;
}

/** An account's domains, oldest first. */
export async function listDomains(deps: DomainDeps, accountId: string): Promise<DomainRow[]> {
  return (await repo.listDomains(deps.store.db, accountId)).map((d) => current(deps, d));
}

/** One of an account's domains; 404 otherwise. */
export async function getDomain(deps: DomainDeps, accountId: string, id: string): Promise<DomainRow> {
  return found(deps, accountId, id);
}

/** One of an account's domains by its name (`example.com`) or its id, as the operator types it; 404 otherwise. */
export async function findDomain(deps: DomainDeps, accountId: string, nameOrId: string): Promise<DomainRow> {
  const byName = await repo.findDomainByName(deps.store.db, accountId, canonicalDomainName(nameOrId));
  return byName ?? found(deps, accountId, nameOrId);
}

/** Deletes a domain and its senders; 404 if it is not the account's. */
export async function deleteDomain(deps: DomainDeps, accountId: string, id: string): Promise<void> {
  if (!(await repo.deleteDomain(deps.store.db, accountId, id))) throw errors.notFound('Domain');
  deps.onSendersChanged();
}

/** Changes a domain's tracking settings (the defaults of emails sent from it). */
export async function updateDomainSettings(
  deps: DomainDeps,
  accountId: string,
  id: string,
  s: DomainSettings,
): Promise<DomainRow> {
  const domain = await found(deps, accountId, id);
  const host = s.tracking_host?.toLowerCase();
  if (host !== undefined && !isDomainName(host))
    throw errors.validation([{ field: 'tracking_host', error: 'must be a host name such as track.example.com' }]);
  const changes = {
    ...(s.open_tracking !== undefined ? { open_tracking: s.open_tracking ? 1 : 0 } : {}),
    ...(s.click_tracking !== undefined ? { click_tracking: s.click_tracking ? 1 : 0 } : {}),
    ...(s.pixel_position !== undefined ? { pixel_position: s.pixel_position } : {}),
    ...(s.tracking_host !== undefined ? { tracking_host: host ?? null } : {}),
    ...(s.unsubscribe_links !== undefined ? { unsubscribe_links: s.unsubscribe_links ? 1 : 0 } : {}),
  };
  await repo.updateDomainSettings(deps.store.db, domain.id, { ...changes, updated_at: Date.now() });
  return { ...domain, ...changes };
}

/** Looks the domain's records up in DNS (or, in sandbox mode, passes them) and saves the outcome. */
export async function verifyDomain(deps: DomainDeps, accountId: string, id: string): Promise<DomainRow> {
  const domain = await found(deps, accountId, id);
  const checked = deps.sandbox
    ? sandboxRecords(domain.records)
    : await checkRecords(deps.resolver, domain.records, deps.mtaHost);
  const status = domainStatusOf(checked, domain.status);
  const now = Date.now();
  const verifiedAt = status === 'verified' ? (domain.verified_at ?? now) : null;
  await repo.saveVerification(deps.store.db, domain.id, { status, records: checked, now, verifiedAt });
  deps.onSendersChanged();
  return { ...domain, status, records: checked, last_checked_at: now, verified_at: verifiedAt, updated_at: now };
}

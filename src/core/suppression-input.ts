import { SUPPRESSION_TYPES, type SuppressionType } from '../model.js';
import { CONTROL_CHARACTER_ERROR, hasControlCharacter, hasNul, NUL_ERROR } from './control-characters.js';
import type { FieldError } from './errors.js';
import { MAX_TAG_LENGTH } from './send-body-schema.js';
import { suppressionKey } from './suppression-address.js';

/** A suppression as a client gives it (JSON item or CSV row); every field may be missing or wrong. */
export interface SuppressionInput {
  address?: unknown;
  type?: unknown;
  domain?: unknown;
  tag?: unknown;
  reason?: unknown;
}

/** A checked suppression, ready to store. */
export interface CheckedSuppression {
  type: SuppressionType;
  address: string;
  key: string;
  domain: string;
  tag: string;
  reason: string | null;
}

export const MAX_REASON_LENGTH = 500;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const KNOWN: ReadonlySet<string> = new Set(SUPPRESSION_TYPES);

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

function isType(s: string): s is SuppressionType {
  return KNOWN.has(s);
}

/**
 * Checks one suppression: a mailbox address, a known list, a sending domain for an unsubscribe (and
 * only for one, as a tag: bounces and complaints stop mail from every domain). Errors name the fields
 * relative to the item (`address`, `domain`…); the caller prefixes its path.
 */
export function checkSuppression(
  input: SuppressionInput,
): { ok: true; value: CheckedSuppression } | { ok: false; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const address = text(input.address);
  const key = suppressionKey(address);
  if (!address) errs.push({ field: 'address', error: 'is required' });
  else if (!key || address.length > 254) errs.push({ field: 'address', error: 'is not a valid email address' });
  const type = text(input.type).toLowerCase();
  if (!type) errs.push({ field: 'type', error: 'is required' });
  else if (!isType(type)) errs.push({ field: 'type', error: `must be one of ${SUPPRESSION_TYPES.join(', ')}` });
  const domain = text(input.domain).toLowerCase().replace(/\.$/, '');
  const tag = text(input.tag);
  const reason = text(input.reason);
  if (type === 'unsubscribe') {
    if (!domain)
      errs.push({ field: 'domain', error: 'is required for an unsubscribe (the sending domain it applies to)' });
    else if (!HOST_NAME.test(domain)) errs.push({ field: 'domain', error: 'is not a valid domain name' });
    if (tag.length > MAX_TAG_LENGTH) errs.push({ field: 'tag', error: `must be at most ${MAX_TAG_LENGTH} characters` });
    else if (hasControlCharacter(tag)) errs.push({ field: 'tag', error: CONTROL_CHARACTER_ERROR });
  } else if (isType(type)) {
    const every = `applies to unsubscribes only: a ${type} stops mail from every domain`;
    if (domain) errs.push({ field: 'domain', error: every });
    if (tag) errs.push({ field: 'tag', error: every });
  }
  if (reason.length > MAX_REASON_LENGTH)
    errs.push({ field: 'reason', error: `must be at most ${MAX_REASON_LENGTH} characters` });
  else if (hasNul(reason)) errs.push({ field: 'reason', error: NUL_ERROR });
  if (errs.length > 0 || !key || !isType(type)) return { ok: false, errors: errs };
  return { ok: true, value: { type, address, key, domain, tag, reason: reason || null } };
}

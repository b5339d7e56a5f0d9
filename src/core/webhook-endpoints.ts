/** The rules of webhook endpoints: what a URL, an event list and the filters may be; secrets and their rotation. */
import { CONTROL_CHARACTER_ERROR, hasControlCharacter } from './control-characters.js';
import { isDomainName } from './domain-records.js';
import type { FieldError } from './errors.js';
import type { WebhookEventName } from '../model.js';
import { ALL_WEBHOOK_EVENTS, isWebhookEventName } from './webhook-events.js';

/** Endpoints per account: enough for every environment and consumer, few enough that each event fans out cheaply. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** How long the secret before a rotation keeps signing, beside the new one. */
export const SECRET_GRACE_MS = 24 * 3_600_000;
/** An endpoint whose every attempt has failed for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 3 * 86_400_000;
/** `events` in the API for "every event", including those added later; stored as null. */
export const ALL_EVENTS = '*';

/** A webhook's fields as a request gives them (its route's schema has checked types and lengths). */
export interface WebhookInput {
  url?: string;
  /** Event names, or `["*"]`, or null, for every event. */
  events?: readonly string[] | null;
  domain?: string | null;
  tag?: string | null;
  enabled?: boolean;
  human_only?: boolean;
}

/** Checked fields, as stored (those not given are left out): `event_types` null for every event. */
export interface WebhookChanges {
  url?: string;
  event_types?: WebhookEventName[] | null;
  domain?: string | null;
  tag?: string | null;
  enabled?: boolean;
  human_only?: boolean;
}

/** A URL we may post to, in its normalised form, or why not: absolute http(s), no credentials, ≤ 2,048 chars. */
export function checkWebhookUrl(raw: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, error: 'must be an absolute http or https URL, such as https://example.com/webhooks' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, error: `must use https (or http), not ${url.protocol.slice(0, -1)}` };
  if (url.username || url.password)
    return { ok: false, error: 'must not carry credentials (user:password@); check the signature instead' };
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH)
    return { ok: false, error: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  return { ok: true, url: url.href };
}

/** The event names to store (in the order of ALL_WEBHOOK_EVENTS, once each), null for all, or the unknown ones. */
function eventTypes(events: readonly string[] | null): { ok: true; value: WebhookEventName[] | null } | FieldError[] {
  if (events === null || events.includes(ALL_EVENTS)) return { ok: true, value: null };
  if (events.length === 0) return [{ field: 'events', error: `must name at least one event, or "${ALL_EVENTS}"` }];
  const unknown = [...new Set(events.filter((e) => !isWebhookEventName(e)))];
  if (unknown.length)
    return unknown.map((e) => ({
      field: 'events',
      error: `has an unknown event ${JSON.stringify(e)}; known: ${ALL_WEBHOOK_EVENTS.join(', ')}, or "${ALL_EVENTS}"`,
    }));
  return { ok: true, value: ALL_WEBHOOK_EVENTS.filter((e) => events.includes(e)) };
}

/** A filter's value: null when not given or blank. */
function filter(v: string | null | undefined): string | null | undefined {
  return v === undefined ? undefined : v?.trim() || null;
}

/**
 * Checks a webhook's fields for create or update: the URL's form (its target is the guard's business),
 * known event names, a domain name as filter, a tag of one line. Errors name the body's fields.
 */
export function checkWebhookInput(
  input: WebhookInput,
): { ok: true; value: WebhookChanges } | { ok: false; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const value: WebhookChanges = {};
  if (input.url !== undefined) {
    const url = checkWebhookUrl(input.url);
    if (url.ok) value.url = url.url;
    else errs.push({ field: 'url', error: url.error });
  }
  if (input.events !== undefined) {
    const events = eventTypes(input.events);
    if (Array.isArray(events)) errs.push(...events);
    else value.event_types = events.value;
  }
  const domain = filter(input.domain);
  if (domain) {
    value.domain = domain.toLowerCase().replace(/\.$/, '');
    if (!isDomainName(value.domain)) errs.push({ field: 'domain', error: 'is not a domain name' });
  } else if (domain === null) value.domain = null;
  const tag = filter(input.tag);
  if (tag !== undefined) value.tag = tag;
  if (tag && hasControlCharacter(tag)) errs.push({ field: 'tag', error: CONTROL_CHARACTER_ERROR });
  if (input.enabled !== undefined) value.enabled = input.enabled;
  if (input.human_only !== undefined) value.human_only = input.human_only;
  return errs.length ? { ok: false, errors: errs } : { ok: true, value };
}

/** What reads show of a secret: its prefix and first characters (`whsec_AbCd…`). */
export function secretHint(secret: string): string {
  return `${secret.slice(0, 'whsec_'.length + 4)}…`;
}

/** A webhook's secrets as far as signing goes. */
export interface WebhookSecrets {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
}

/** Whether the secret before the last rotation still signs at `now`. */
export function previousSecretActive(w: WebhookSecrets, now: number): boolean {
  return w.previous_secret !== null && w.previous_secret_expires_at !== null && w.previous_secret_expires_at > now;
}

/**
 * The secrets a delivery is signed with at `now`: the current one, and during the 24 hours after a
 * rotation the previous one too (Standard Webhooks: one `v1,…` signature per secret, space-separated).
 */
export function signingSecrets(w: WebhookSecrets, now: number): string[] {
  return previousSecretActive(w, now) && w.previous_secret ? [w.secret, w.previous_secret] : [w.secret];
}

/** A span of time in words: "3 days", "5 hours", "90 seconds". */
function span(ms: number): string {
  const [n, unit] =
    ms % 86_400_000 === 0
      ? [ms / 86_400_000, 'day']
      : ms % 3_600_000 === 0
        ? [ms / 3_600_000, 'hour']
        : [ms / 1000, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * Why an endpoint is disabled after an attempt failed at `now`, when every attempt since `failingSince`
 * has failed for `afterMs` (three days); null while it has not. `last` says what the last attempt got.
 */
export function failingDisabledReason(
  failingSince: number,
  now: number,
  afterMs = DISABLE_AFTER_FAILING_MS,
  last?: string,
): string | null {
  if (now - failingSince < afterMs) return null;
  const since = new Date(failingSince).toISOString();
  return (
    `Every delivery attempt since ${since} failed (${span(afterMs)}${last ? `; the last: ${last}` : ''}):` +
    ' fix the endpoint, then set enabled to true.'
  );
}

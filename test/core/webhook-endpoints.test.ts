import { describe, expect, it } from 'vitest';
import {
  checkWebhookInput,
  checkWebhookUrl,
  failingDisabledReason,
  secretHint,
  signingSecrets,
} from '../../src/core/webhook-endpoints.js';

const HOUR = 3_600_000;

describe('webhook endpoint rules', () => {
  it('takes absolute http(s) URLs without credentials, normalised', () => {
    expect(checkWebhookUrl(' HTTPS://Hooks.Example.COM/in?x=1 ')).toEqual({
      ok: true,
      url: 'https://hooks.example.com/in?x=1',
    });
    expect(checkWebhookUrl('http://example.com:8080')).toEqual({ ok: true, url: 'http://example.com:8080/' });
    const refused: Array<[raw: string, error: string]> = [
      ['/relative/path', 'must be an absolute http or https URL, such as https://example.com/webhooks'],
      ['example.com/hook', 'must be an absolute http or https URL, such as https://example.com/webhooks'],
      ['ftp://example.com/', 'must use https (or http), not ftp'],
      ['javascript:alert(1)', 'must use https (or http), not javascript'],
      ['https://user:pw@example.com/', 'must not carry credentials (user:password@); check the signature instead'],
      ['https://token@example.com/', 'must not carry credentials (user:password@); check the signature instead'],
      [`https://example.com/${'a'.repeat(2030)}`, 'must be at most 2048 characters'],
    ];
    for (const [raw, error] of refused)
      expect([raw.slice(0, 30), checkWebhookUrl(raw)]).toEqual([raw.slice(0, 30), { ok: false, error }]);
  });

  it('stores every event as null, names in their canonical order once, and names the unknown ones', () => {
    expect(checkWebhookInput({ events: ['*'] })).toEqual({ ok: true, value: { event_types: null } });
    expect(checkWebhookInput({ events: null })).toEqual({ ok: true, value: { event_types: null } });
    expect(checkWebhookInput({ events: ['email.clicked', 'email.delivered', 'email.clicked'] })).toEqual({
      ok: true,
      value: { event_types: ['email.delivered', 'email.clicked'] },
    });
    const bad = checkWebhookInput({ events: ['email.delivered', 'email.opend', 'delivered'] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.map((e) => e.field)).toEqual(['events', 'events']);
      expect(bad.errors[0]?.error).toMatch(/^has an unknown event "email\.opend"; known: email\.queued, /);
      expect(bad.errors[1]?.error).toMatch(/^has an unknown event "delivered"/);
    }
    expect(checkWebhookInput({ events: [] })).toEqual({
      ok: false,
      errors: [{ field: 'events', error: 'must name at least one event, or "*"' }],
    });
  });

  it('lower-cases the domain filter, clears blank filters, refuses a domain that is not one', () => {
    expect(checkWebhookInput({ domain: ' Mail.Example.COM. ', tag: ' news ' })).toEqual({
      ok: true,
      value: { domain: 'mail.example.com', tag: 'news' },
    });
    expect(checkWebhookInput({ domain: '', tag: null })).toEqual({ ok: true, value: { domain: null, tag: null } });
    expect(checkWebhookInput({ domain: 'not a domain' })).toEqual({
      ok: false,
      errors: [{ field: 'domain', error: 'is not a domain name' }],
    });
  });

  it('shows a secret by its start, and signs with the previous one until it expires', () => {
    expect(secretHint('whsec_AbCdEfGh')).toBe('whsec_AbCd…');
    const w = { secret: 'whsec_new', previous_secret: 'whsec_old', previous_secret_expires_at: 24 * HOUR };
    expect(signingSecrets(w, 24 * HOUR - 1)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(w, 24 * HOUR)).toEqual(['whsec_new']);
    expect(signingSecrets({ secret: 'whsec_a', previous_secret: null, previous_secret_expires_at: null }, 0)).toEqual([
      'whsec_a',
    ]);
  });

  it('disables an endpoint once every attempt has failed for three days', () => {
    const since = Date.UTC(2026, 0, 1);
    expect(failingDisabledReason(since, since + 72 * HOUR - 1)).toBeNull();
    expect(failingDisabledReason(since, since + 72 * HOUR)).toBe(
      'Every delivery attempt since 2026-01-01T00:00:00.000Z failed (3 days): fix the endpoint, then set enabled to true.',
    );
  });
});

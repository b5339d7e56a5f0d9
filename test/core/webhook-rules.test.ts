import { describe, expect, it } from 'vitest';
import { ALL_WEBHOOK_EVENTS, isWebhookEventName } from '../../src/core/webhook-events.js';
import { DEFAULT_WEBHOOK_RETRY_SECONDS, decideWebhookAttempt } from '../../src/core/webhook-retry.js';

// When a webhook attempt is done, retried or given up: as a table.
describe('a webhook attempt', () => {
  const now = 1_000_000;
  const schedule = DEFAULT_WEBHOOK_RETRY_SECONDS;
  it.each<[string, number | null, number, string, number | null, boolean]>([
    ['200 on the first attempt', 200, 1, 'succeeded', null, true],
    ['204 on a retry', 204, 3, 'succeeded', null, true],
    ['406 is refused, not retried', 406, 1, 'failed', null, true],
    ['500 first: retried in 5 min', 500, 1, 'pending', now + 300_000, false],
    ['no answer second: retried 10 min later', null, 2, 'pending', now + 600_000, false],
    ['410 third: 15 min', 410, 3, 'pending', now + 900_000, false],
    ['302 (redirects are not followed) fourth: 1 h', 302, 4, 'pending', now + 3_600_000, false],
    ['500 sixth: 4 h', 500, 6, 'pending', now + 14_400_000, false],
    ['500 seventh: the schedule is used up', 500, 7, 'failed', null, false],
  ])('%s', (_, code, attempt, status, next, healthy) => {
    const d = decideWebhookAttempt({ statusCode: code }, attempt, now, schedule);
    expect(d).toMatchObject({ status, nextAttemptAt: next, endpointHealthy: healthy });
  });

  it('defaults to 5, 10 and 15 min, then 1, 2 and 4 h', () => {
    expect(schedule).toEqual([300, 600, 900, 3600, 7200, 14400]);
  });
});

describe('webhook event names', () => {
  it('are email. and the past tense of each event type', () => {
    expect(ALL_WEBHOOK_EVENTS).toEqual([
      'email.queued',
      'email.scheduled',
      'email.sent',
      'email.delivered',
      'email.deferred',
      'email.bounced',
      'email.rejected',
      'email.failed',
      'email.cancelled',
      'email.opened',
      'email.clicked',
      'email.unsubscribed',
      'email.complained',
    ]);
    expect(isWebhookEventName('email.opened')).toBe(true);
    expect(isWebhookEventName('email.open')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { decideAttempt } from '../../src/core/delivery-decision.js';
import { emailStatusOf } from '../../src/core/email-status.js';
import type { RecipientStatus } from '../../src/model.js';
import { nextRetryAt, retryDelayMs, type RetryPolicy } from '../../src/core/retry-policy.js';
import { classifySmtpReply, enhancedStatus } from '../../src/core/smtp-outcome.js';

describe('an email status follows its recipients', () => {
  it.each<[RecipientStatus[], string]>([
    [['queued'], 'queued'],
    [['delivered', 'queued'], 'queued'],
    [['delivered', 'deferred'], 'deferred'],
    [['bounced', 'deferred'], 'deferred'],
    [['sent', 'deferred', 'queued'], 'queued'],
    [['delivered', 'delivered'], 'delivered'],
    [['delivered', 'bounced', 'failed'], 'bounced'],
    [['failed', 'bounced'], 'failed'],
    [['sent', 'sent'], 'sent'],
    [['delivered', 'rejected'], 'rejected'],
  ])('%j → %s', (recipients, status) => {
    expect(emailStatusOf(recipients)).toBe(status);
  });
});

describe('SMTP replies and the retry policy', () => {
  const policy: RetryPolicy = {
    scheduleSeconds: [45, 300, 900],
    maxDeferMs: 72 * 3_600_000,
    configFaultMaxAttempts: 3,
  };
  const base = { firstAttemptAt: 0, now: 1000, policy, confirmsDelivery: true };

  it('reads enhanced status codes', () => {
    expect(enhancedStatus('550 5.1.1 <a@b>: Recipient address rejected')).toBe('5.1.1');
    expect(enhancedStatus('250 Ok')).toBeNull();
  });

  it('classifies 2xx, 4xx and 5xx', () => {
    expect(classifySmtpReply(250, '250 2.0.0 Ok', 'mx').kind).toBe('accepted');
    expect(classifySmtpReply(451, '451 4.7.1 Greylisted', 'mx').kind).toBe('temporary');
    expect(classifySmtpReply(554, '554 5.7.1 Blocked', 'mx').kind).toBe('permanent');
  });

  it('retries within a minute first, then backs off, repeating the last step', () => {
    expect(retryDelayMs(policy, 1)).toBe(45_000);
    expect(retryDelayMs(policy, 2)).toBe(300_000);
    expect(retryDelayMs(policy, 9)).toBe(900_000);
  });

  it('turns a direct 250 into sent + delivered, a relay 250 into sent', () => {
    const accepted = classifySmtpReply(250, '250 ok', 'mx');
    expect(decideAttempt(accepted, { ...base, attempt: 1 }).events.map((e) => e.type)).toEqual(['sent', 'delivered']);
    expect(decideAttempt(accepted, { ...base, attempt: 1, confirmsDelivery: false })).toMatchObject({
      status: 'sent',
      nextAttemptAt: null,
    });
  });

  it('defers a 4xx until the give-up age, then bounces it soft', () => {
    const temp = classifySmtpReply(451, '451 4.7.1 later', 'mx');
    expect(decideAttempt(temp, { ...base, attempt: 1 })).toMatchObject({ status: 'deferred', nextAttemptAt: 46_000 });
    const late = decideAttempt(temp, { ...base, attempt: 20, now: 72 * 3_600_000 });
    expect(late.status).toBe('bounced');
    expect(late.events[0]!.metadata).toMatchObject({
      bounce_type: 'soft',
      reason: 'expired',
      hard: false,
      dsn: '4.7.1',
      smtp_code: 451,
    });
  });

  it('makes the last attempt at the give-up deadline instead of giving up early', () => {
    const temp = classifySmtpReply(451, '451 4.7.1 later', 'mx');
    const deadline = 72 * 3_600_000;
    // 15 minutes before the deadline the next step (15 min… or 4 h in the default schedule) would land past it: it is
    // clamped to the deadline.
    const nearly = decideAttempt(temp, { ...base, attempt: 20, now: deadline - 60_000 });
    expect(nearly).toMatchObject({ status: 'deferred', nextAttemptAt: deadline });
    expect(nearly.events[0]!.metadata.next_attempt_at).toBe(new Date(deadline).toISOString());
    // The attempt at the deadline still failing temporarily is the last one.
    expect(decideAttempt(temp, { ...base, attempt: 21, now: deadline }).status).toBe('bounced');
    // The clock starts at the first attempt, not at acceptance.
    expect(decideAttempt(temp, { ...base, attempt: 2, firstAttemptAt: 10 * 3_600_000, now: deadline })).toMatchObject({
      status: 'deferred',
    });
    // The first attempt itself starts the clock.
    expect(decideAttempt(temp, { ...base, attempt: 1, firstAttemptAt: null, now: 5000 })).toMatchObject({
      status: 'deferred',
      nextAttemptAt: 50_000,
    });
    expect(nextRetryAt({ ...policy, maxDeferMs: 0 }, { attempts: 1, firstAttemptAt: 5000, now: 5000 })).toBeNull();
  });

  it('bounces a 5xx at once, hard only when the address is bad, and fails a configuration fault after its attempts', () => {
    expect(
      decideAttempt(classifySmtpReply(550, '550 5.1.1 unknown', 'mx'), { ...base, attempt: 1 }).events[0]!.metadata,
    ).toMatchObject({ bounce_type: 'hard', hard: true, reason: 'user_unknown', dsn: '5.1.1' });
    // A full mailbox is final for this email but not the address's fault: soft, and not retried.
    const full = decideAttempt(classifySmtpReply(552, '552 5.2.2 Mailbox full', 'mx'), { ...base, attempt: 1 });
    expect(full).toMatchObject({ status: 'bounced', nextAttemptAt: null });
    expect(full.events[0]!.metadata).toMatchObject({ bounce_type: 'soft', hard: false, reason: 'mailbox_full' });
    const fault = {
      kind: 'config_fault' as const,
      reply: { code: 535, text: '535 5.7.8 bad credentials', dsn: '5.7.8', host: 'relay' },
    };
    expect(decideAttempt(fault, { ...base, attempt: 2 }).status).toBe('deferred');
    expect(decideAttempt(fault, { ...base, attempt: 3 }).status).toBe('failed');
  });
});

describe('the recipients an email is delivered to', () => {
  it('keeps to, cc, bcc order and delivers an address given twice once (case-insensitively)', async () => {
    const { distinctRecipients } = await import('../../src/core/recipients.js');
    const r = distinctRecipients(
      [
        { email: 'a@x.test', name: null },
        { email: 'B@x.test', name: 'B' },
      ],
      [
        { email: 'b@X.test', name: null },
        { email: 'c@x.test', name: null },
      ],
      [
        { email: 'A@x.test', name: null },
        { email: 'd@x.test', name: null },
      ],
    );
    expect(r.map((x) => [x.kind, x.address.email])).toEqual([
      ['to', 'a@x.test'],
      ['to', 'B@x.test'],
      ['cc', 'c@x.test'],
      ['bcc', 'd@x.test'],
    ]);
  });
});

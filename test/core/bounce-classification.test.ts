import { describe, expect, it } from 'vitest';
import { classifyBounce } from '../../src/core/classify-bounce.js';
import { decideAttempt } from '../../src/core/delivery-decision.js';
import { classifySmtpReply } from '../../src/core/smtp-outcome.js';
import type { BounceReason, SmtpStage } from '../../src/model.js';

// The bounce rules (src/core/bounce-rules.ts) as a table: a reply or diagnostic, and what it means.

describe('a failure gets a reason, and only the address’s own failures are hard', () => {
  it.each<[number | null, string | null, string, BounceReason, boolean, SmtpStage?]>([
    // The status code decides when the words say nothing more.
    [550, '5.1.1', '550 5.1.1 <a@b.test>: Recipient address rejected', 'user_unknown', true],
    [
      550,
      '5.1.10',
      '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
      'user_unknown',
      true,
    ],
    [550, '5.1.2', '550 5.1.2 bad destination system', 'host_unknown', true],
    [552, '5.2.2', '552 5.2.2 Mailbox full', 'mailbox_full', false],
    // Disabled accounts come back (providers suspend and re-enable them): soft, no suppression.
    [550, '5.2.1', '550 5.2.1 The email account that you tried to reach is disabled.', 'mailbox_disabled', false],
    [550, '5.1.6', '550 5.1.6 Recipient has moved', 'has_moved', true],
    [554, '5.3.4', '554 5.3.4 Message too big for system', 'message_too_big', false],
    [null, '5.1.10', 'example.test does not accept mail (null MX, RFC 7505)', 'not_accepting_mail', true],
    [null, '5.1.2', 'the domain nowhere.test does not exist', 'host_unknown', true],
    [550, '5.7.1', '550 5.7.1 Delivery not authorized, message refused', 'policy', false],
    // Misleading codes: the words win.
    [550, '5.7.1', '550 5.7.1 <a@b.test>: user unknown', 'user_unknown', true, 'rcpt'],
    [550, '5.0.0', '550 5.0.0 No such user here', 'user_unknown', true],
    [550, null, '550 Requested action not taken: mailbox unavailable', 'user_unknown', true, 'rcpt'],
    // "User unknown" suppresses, so it needs evidence: a 5.1.x code, the RCPT step, or a directory's words.
    [550, '5.7.1', '550 5.7.1 <a@b.test>: user unknown', 'policy', false],
    [550, null, '550 unknown user', 'policy', false, 'data'],
    [550, '5.1.1', '550 5.1.1 unknown user', 'user_unknown', true, 'data'],
    [550, null, '550 <a@b.test>... No such user', 'user_unknown', true],
    // The step says whose fault it is: MAIL FROM is our sender, the greeting is our server.
    [550, '5.1.7', '550 5.1.7 No such domain sender.test', 'policy', false, 'mail'],
    [554, null, '554 go away', 'blocked', false, 'connect'],
    [550, '5.1.1', '550 5.1.1 The email account that you tried to reach is over quota', 'mailbox_full', false],
    // Refusals that are about us or the message, never the address: soft, no suppression.
    [
      554,
      '5.7.1',
      '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
      'blocked',
      false,
    ],
    [
      550,
      '5.7.1',
      '550 5.7.1 Our system has detected that this message is likely unsolicited mail',
      'spam_detected',
      false,
    ],
    [550, '5.7.26', '550 5.7.26 This message does not pass DMARC authentication checks', 'auth_failure', false],
    [550, '5.7.23', '550 5.7.23 SPF validation failed', 'auth_failure', false],
    [550, '5.7.1', '550 5.7.1 Message rejected because of poor reputation of the sending IP', 'blocked', false],
    [554, '5.7.1', '554 5.7.1 Relay access denied', 'policy', false],
    [550, '5.7.1', '550 5.7.1 Client host rejected: cannot find your reverse hostname', 'blocked', false],
    [554, '5.6.0', '554 5.6.0 Message contains a virus', 'content_rejected', false],
    [421, '4.7.0', '421 4.7.0 Try again later, closing connection. (rate limited)', 'rate_limited', false],
    [451, '4.4.1', '451 4.4.1 No answer from host', 'network', false],
    // Temporary is never hard, whatever it says.
    [
      450,
      '4.1.1',
      '450 4.1.1 <a@b.test>: Recipient address rejected: User unknown in local recipient table',
      'user_unknown',
      false,
    ],
    [554, null, '554 Transaction failed', 'other', false],
  ])('%s %s %s → %s, hard %s (%s)', (code, dsn, text, reason, hard, stage) => {
    expect(classifyBounce({ code, dsn, text, stage })).toMatchObject({ reason, hard });
  });

  it('makes a disabled mailbox hard only when our own session saw the recipient refused at RCPT TO', () => {
    const reply = { code: 550, dsn: '5.2.1', text: '550 5.2.1 The email account that you tried to reach is disabled.' };
    expect(classifyBounce({ ...reply, stage: 'rcpt', seen: true })).toMatchObject({
      reason: 'mailbox_disabled',
      hard: true,
    });
    expect(classifyBounce({ ...reply, stage: 'data', seen: true }).hard).toBe(false);
    // Read from a relay's report: soft, whatever step its words name.
    expect(classifyBounce({ ...reply, stage: 'rcpt' }).hard).toBe(false);
  });

  it('derives a status code from the reason when the reply carries none', () => {
    expect(classifyBounce({ code: 550, dsn: null, text: '550 No such user' }).status).toBe('5.0.911');
    // Nothing at all to go on: "on hold" (901), not "words we do not know" (900).
    expect(classifyBounce({ code: null, dsn: null, text: '' }).status).toBe('5.0.901');
    expect(classifyBounce({ code: 550, dsn: null, text: '550 computer says no' }).status).toBe('5.0.900');
    expect(classifyBounce({ code: 452, dsn: null, text: '452 mailbox full' }).status).toBe('4.0.922');
    expect(classifyBounce({ code: 550, dsn: '5.1.1', text: '550 5.1.1 unknown' }).status).toBe('5.1.1');
  });

  it('does not scan unbounded text', () => {
    const text = `550 ${'x'.repeat(1_000_000)} user unknown`;
    expect(classifyBounce({ code: 550, dsn: null, text }).reason).toBe('other');
  });
});

describe('a 5xx bounces at once; whether it is hard is the rules’ call', () => {
  const policy = { scheduleSeconds: [45], maxDeferMs: 72 * 3_600_000, configFaultMaxAttempts: 3 };
  const base = { attempt: 1, firstAttemptAt: 0, now: 1000, policy, confirmsDelivery: true };

  it.each<[number, string, string, BounceReason, boolean]>([
    [550, '550 5.1.1 <a@b.test>: Recipient address rejected: User unknown', '5.1.1', 'user_unknown', true],
    [552, '552 5.2.2 Mailbox full', '5.2.2', 'mailbox_full', false],
    [554, '554 5.7.1 Service unavailable; blocked using zen.spamhaus.org', '5.7.1', 'blocked', false],
    [550, '550 No such user', '5.0.911', 'user_unknown', true],
  ])('%s %s', (code, text, dsn, reason, hard) => {
    const d = decideAttempt(classifySmtpReply(code, text, 'mx'), base);
    expect(d).toMatchObject({ status: 'bounced', nextAttemptAt: null });
    expect(d.events[0]!.metadata).toMatchObject({
      dsn,
      reason,
      hard,
      bounce_type: hard ? 'hard' : 'soft',
      smtp_code: code,
      smtp_response: text,
    });
  });
});

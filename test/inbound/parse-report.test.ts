import { describe, expect, it } from 'vitest';
import { MAX_RECIPIENTS, parseReport } from '../../src/inbound/parse-report.js';

// Reports built here, one shape each: a DSN with failed, delayed and delivered recipients, a feedback
// report, a plain-text bounce; then hostile input, which must come back empty or bounded, never throw.

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));

function dsn(blocks: string[], extra: string[] = []): Buffer {
  return crlf([
    'From: MAILER-DAEMON@mx.example.net',
    'To: bounce+AbCdEfGhIjKlMnOpQrSt@bounces.example.com',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'This is the mail system at host mx.example.net.',
    '',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    ...blocks,
    '--b1',
    'Content-Type: text/rfc822-headers',
    '',
    'Return-Path: <bounce+AbCdEfGhIjKlMnOpQrSt@bounces.example.com>',
    'Message-ID: <original-1@example.com>',
    'To: a@example.org',
    ...extra,
    '',
    '--b1--',
    '',
  ]);
}

const block = (rcpt: string, action: string, status: string, diag: string) =>
  [
    `Final-Recipient: rfc822; ${rcpt}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diag}`,
    '',
  ].join('\r\n');

describe('delivery status notifications', () => {
  it('reads every recipient block in order, with what identifies our email', () => {
    const r = parseReport(
      dsn([
        block(
          'a@example.org',
          'failed',
          '5.1.1',
          '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown',
        ),
        block('b@example.org', 'failed', '5.2.2', '552 5.2.2 Mailbox full'),
        block('c@example.org', 'delayed', '4.4.1', 'connection timed out'),
        block('d@example.org', 'relayed', '2.0.0', '250 ok'),
        block('e@example.org', 'failed', '5.7.1', '550 5.7.1 Service unavailable; client host blocked using Spamhaus'),
      ]),
    );
    expect(r.verpToken).toBe('AbCdEfGhIjKlMnOpQrSt');
    expect(r.messageId).toBe('<original-1@example.com>');
    expect(r.recipients.map((x) => [x.recipient, x.action, x.status, x.replyCode, x.reason, x.hard])).toEqual([
      ['a@example.org', 'failed', '5.1.1', '550', 'user_unknown', true],
      ['b@example.org', 'failed', '5.2.2', '552', 'mailbox_full', false],
      ['c@example.org', 'delayed', '4.4.1', '', 'network', false],
      ['d@example.org', 'delivered', '2.0.0', '250', 'delivered', false],
      ['e@example.org', 'failed', '5.7.1', '550', 'blocked', false],
    ]);
  });

  it(`reads at most ${MAX_RECIPIENTS} recipients of a report listing 10,000, quickly`, () => {
    const blocks = Array.from({ length: 10_000 }, (_, i) =>
      block(`u${i}@example.org`, 'failed', '5.1.1', '550 5.1.1 unknown'),
    );
    const started = performance.now();
    const r = parseReport(dsn(blocks));
    expect(r.recipients).toHaveLength(MAX_RECIPIENTS);
    expect(r.recipients[0]!.recipient).toBe('u0@example.org');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('feedback reports and plain-text bounces', () => {
  it('reads a complaint: feedback type, recipient and the original Message-ID', () => {
    const r = parseReport(
      crlf([
        'From: fbl@isp.example',
        'Content-Type: multipart/report; report-type=feedback-report; boundary="f"',
        '',
        '--f',
        'Content-Type: text/plain',
        '',
        'This is an email abuse report.',
        '--f',
        'Content-Type: message/feedback-report',
        '',
        'Feedback-Type: abuse',
        'Version: 1',
        'Original-Rcpt-To: <user@isp.example>',
        '',
        '--f',
        'Content-Type: message/rfc822',
        '',
        'Return-Path: <bounce+TokenTokenToken1234@bounces.example.com>',
        'Message-ID: <m-42@example.com>',
        'To: user@isp.example',
        '',
        'Hello',
        '--f--',
      ]),
    );
    expect(r).toMatchObject({ verpToken: 'TokenTokenToken1234', messageId: '<m-42@example.com>' });
    expect(r.recipients).toEqual([
      expect.objectContaining({
        recipient: 'user@isp.example',
        action: 'complaint',
        feedbackType: 'abuse',
        status: '',
      }),
    ]);
  });

  it('reads a qmail bounce, one recipient per paragraph', () => {
    const r = parseReport(
      crlf([
        'From: MAILER-DAEMON@mx.example.net',
        'To: bounce+AbCdEfGhIjKlMnOpQrSt@bounces.example.com',
        'Subject: failure notice',
        '',
        'Hi. This is the qmail-send program at mx.example.net.',
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        '',
        '<a@example.org>:',
        'Remote host said: 550 5.1.1 <a@example.org>... User Unknown',
        '',
        '<b@example.org>:',
        'Remote host said: 552 sorry, mailbox full',
        '',
        '--- Below this line is a copy of the message.',
        '',
        'Return-Path: <bounce+AbCdEfGhIjKlMnOpQrSt@bounces.example.com>',
        'To: c@example.org',
      ]),
    );
    expect(r.recipients.map((x) => [x.recipient, x.status, x.replyCode, x.reason, x.hard])).toEqual([
      ['a@example.org', '5.1.1', '550', 'user_unknown', true],
      ['b@example.org', '5.0.922', '552', 'mailbox_full', false],
    ]);
  });
});

describe('what is not a report', () => {
  it('reads nothing from a person writing to the bounce address, however many addresses they name', () => {
    const r = parseReport(
      crlf([
        'From: Ann <ann@example.org>',
        'To: bounce+AbCdEfGhIjKlMnOpQrSt@bounces.example.com',
        'Subject: Re: your newsletter',
        '',
        'Please write to bob@example.org instead; carol@example.org left the company.',
      ]),
    );
    expect(r).toMatchObject({ recipients: [], verpToken: 'AbCdEfGhIjKlMnOpQrSt' });
  });

  it('reports an out-of-office reply as an auto-reply from its sender, never as a failure', () => {
    const r = parseReport(
      crlf([
        'From: Ann <ann@example.org>',
        'Auto-Submitted: auto-replied',
        'Subject: Out of office',
        '',
        'Back Monday.',
      ]),
    );
    expect(r.recipients).toEqual([
      expect.objectContaining({ recipient: 'ann@example.org', action: 'auto_replied', hard: false, status: '' }),
    ]);
  });
});

describe('hostile and broken input', () => {
  const cases: Array<[string, Buffer]> = [
    ['an empty file', Buffer.alloc(0)],
    ['binary garbage', Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 256))],
    [
      '1 MB of header',
      Buffer.from(`Subject: x\r\n${'X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(30_000)}\r\nbody`),
    ],
    ['one 1 MB header line', Buffer.from(`Subject: ${'a'.repeat(1_000_000)}\r\n\r\nbody`)],
    [
      'broken boundaries',
      Buffer.from(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--y\r\n--x',
      ),
    ],
    [
      'nested empty multiparts',
      Buffer.from(
        `Content-Type: multipart/mixed; boundary="n"\r\n\r\n${'--n\r\nContent-Type: multipart/mixed; boundary="n"\r\n\r\n'.repeat(5_000)}`,
      ),
    ],
    [
      'a wrong charset',
      Buffer.concat([
        Buffer.from('Content-Type: text/plain; charset="x-no-such-charset"\r\nSubject: =?bogus?B?!!!?=\r\n\r\n'),
        Buffer.from([0xff, 0xfe, 0x80, 0x81]),
        Buffer.from('\r\n<a@example.org>: 550 5.1.1 user unknown\r\n'),
      ]),
    ],
    ['unclosed tags', Buffer.from(`Content-Type: text/html\r\n\r\n${'<a '.repeat(300_000)}`)],
    ['addresses without end', Buffer.from(`Subject: x\r\n\r\n${'a@'.repeat(300_000)}`)],
  ];

  it.each(cases)('%s: returns within bounded time and never throws', (_what, raw) => {
    const started = performance.now();
    const r = parseReport(raw);
    expect(Array.isArray(r.recipients)).toBe(true);
    expect(r.recipients.length).toBeLessThanOrEqual(MAX_RECIPIENTS);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('still reads a DSN whose closing boundary is missing', () => {
    const r = parseReport(cases[4]![1]);
    expect(r.recipients.map((x) => [x.recipient, x.status, x.hard])).toEqual([['a@example.org', '5.1.1', true]]);
  });
});

import { describe, expect, it } from 'vitest';
import { isLoopbackHost, relayTarget } from '../../src/delivery/relay-transport.js';
import { SmtpPool } from '../../src/delivery/smtp-pool.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

describe('relay credentials never travel in clear text', () => {
  it('requires STARTTLS for credentials over smtp:// to a relay on the network', () => {
    expect(relayTarget('smtp://user:pass@smtp.provider.example:587')).toMatchObject({
      host: 'smtp.provider.example',
      port: 587,
      secure: false,
      requireTls: true,
      auth: { user: 'user', pass: 'pass' },
    });
    expect(relayTarget('smtp://user:pass@10.0.0.5:25').requireTls).toBe(true);
    expect(relayTarget('smtp://user:pass@[2001:db8::1]:587').requireTls).toBe(true);
  });

  it('needs no STARTTLS over smtps:// (TLS from the start), without credentials, or on loopback', () => {
    expect(relayTarget('smtps://user:pass@smtp.provider.example')).toMatchObject({
      port: 465,
      secure: true,
      requireTls: false,
    });
    expect(relayTarget('smtp://smtp.provider.example:25').requireTls).toBe(false);
    for (const host of ['127.0.0.1', '127.0.0.53', 'localhost', '[::1]'])
      expect(relayTarget(`smtp://user:pass@${host}:25`).requireTls).toBe(false);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST.', 'mx.localhost'].every(isLoopbackHost)).toBe(
      true,
    );
    expect(
      ['10.0.0.1', '128.0.0.1', '::2', 'example.com', 'localhost.example.com', '2001:db8::1'].some(isLoopbackHost),
    ).toBe(false);
  });

  it('a relay that does not offer STARTTLS gets no credentials and no mail when TLS is required', async () => {
    const sink = await startSmtpSink({ starttls: false, auth: { user: 'relayuser', pass: 's3cret' } });
    const pool = new SmtpPool(
      {
        host: '127.0.0.1',
        port: sink.port,
        label: 'relay',
        secure: false,
        auth: { user: 'relayuser', pass: 's3cret' },
        requireTls: true,
      },
      { maxConnections: 1, heloName: 'mta.taifa.test', timeoutMs: 5000 },
    );
    try {
      const result = await pool.send(
        'bounce@example.com',
        'jane@recipient.test',
        Buffer.from('Subject: x\r\n\r\nhello\r\n'),
      );
      expect(result).toMatchObject({ failure: 'connect' });
      expect(sink.messages).toHaveLength(0);
    } finally {
      pool.close();
      await sink.close();
    }
  });

  it('on loopback the same relay is used without TLS (nothing crosses a network)', async () => {
    const sink = await startSmtpSink({ starttls: false, auth: { user: 'relayuser', pass: 's3cret' } });
    const pool = new SmtpPool(relayTarget(`smtp://relayuser:s3cret@127.0.0.1:${sink.port}`), {
      maxConnections: 1,
      heloName: 'mta.taifa.test',
      timeoutMs: 5000,
    });
    try {
      const result = await pool.send(
        'bounce@example.com',
        'jane@recipient.test',
        Buffer.from('Subject: x\r\n\r\nhello\r\n'),
      );
      expect(result).toMatchObject({ outcome: { kind: 'accepted' } });
      expect(sink.messages[0]).toMatchObject({ authUser: 'relayuser', secure: false });
    } finally {
      pool.close();
      await sink.close();
    }
  });
});

import type { TestServer } from './server.js';

/** In sandbox mode: adds and verifies `domain`, registers `hello@domain`; returns the domain id. */
export async function sandboxSender(t: TestServer, domain = 'example.com', local = 'hello'): Promise<string> {
  const d = await t.call('POST', '/v1/domains', { name: domain });
  if (d.status !== 201) throw new Error(`domain: ${d.status} ${JSON.stringify(d.body)}`);
  const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
  if (v.body.status !== 'verified') throw new Error(`verify: ${JSON.stringify(v.body)}`);
  const s = await t.call('POST', '/v1/senders', { email: `${local}@${domain}`, name: 'Example' });
  if (s.status !== 201) throw new Error(`sender: ${s.status} ${JSON.stringify(s.body)}`);
  return d.body.id as string;
}

/** A minimal valid send body from `hello@example.com`. */
export function sendBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    from_: { email: 'hello@example.com', name: 'Example' },
    to: [{ email: 'jane@recipient.test', name: 'Jane Doe' }],
    subject: 'Hello',
    html: '<p>Hello</p>',
    text: 'Hello',
    ...overrides,
  };
}

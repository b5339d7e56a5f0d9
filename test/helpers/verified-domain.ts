import type { DnsServer } from './dns-server.js';
import type { TestServer } from './server.js';

/**
 * Adds `domain`, publishes the records it asks for in the loopback DNS server, verifies it, and
 * registers `hello@domain`. Returns the domain as the API answered after verification.
 */
export async function verifiedDomain(t: TestServer, dns: DnsServer, domain = 'example.com'): Promise<any> {
  const d = await t.call('POST', '/v1/domains', { name: domain });
  if (d.status !== 201) throw new Error(`domain: ${d.status} ${JSON.stringify(d.body)}`);
  publishRecords(dns, d.body.records);
  const v = await t.call('POST', `/v1/domains/${d.body.id}/verify`);
  if (v.body.status !== 'verified') throw new Error(`verify: ${JSON.stringify(v.body)}`);
  const s = await t.call('POST', '/v1/senders', { email: `hello@${domain}`, name: 'Example' });
  if (s.status !== 201) throw new Error(`sender: ${s.status} ${JSON.stringify(s.body)}`);
  return v.body;
}

/** Puts a domain's records (as the API lists them) into the DNS server's zone. */
export function publishRecords(
  dns: DnsServer,
  records: Array<{ type: string; name: string; value: string; priority?: number }>,
): void {
  const zone = dns.zone;
  for (const r of records) {
    if (r.type === 'TXT') (zone.txt ??= {})[r.name] = [...((zone.txt ?? {})[r.name] ?? []), r.value];
    if (r.type === 'MX') (zone.mx ??= {})[r.name] = [{ exchange: r.value, priority: r.priority ?? 10 }];
  }
  dns.set(zone);
}

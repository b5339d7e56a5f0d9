import type { promises as dns } from 'node:dns';
import { recordIsOfKind, recordMatches } from '../core/domain-records.js';
import type { DomainRecord } from '../model.js';
import { NOT_FOUND_CODES, dnsErrorCode } from './resolver.js';

async function lookup(resolver: dns.Resolver, r: DomainRecord): Promise<string[]> {
  switch (r.type) {
    case 'TXT':
      return (await resolver.resolveTxt(r.name)).map((chunks) => chunks.join(''));
    case 'MX':
      return (await resolver.resolveMx(r.name)).map((mx) => mx.exchange);
    case 'CNAME':
      return resolver.resolveCname(r.name);
  }
}

/** Looks every record up in DNS and reports, per record, whether it was found and whether it matches. */
export async function checkRecords(
  resolver: dns.Resolver,
  records: readonly DomainRecord[],
  mtaHost: string,
): Promise<DomainRecord[]> {
  return Promise.all(
    records.map(async (r): Promise<DomainRecord> => {
      let values: string[];
      try {
        values = await lookup(resolver, r);
      } catch (error) {
        if (NOT_FOUND_CODES.has(dnsErrorCode(error)))
          return { ...r, status: 'missing', found: false, matches: false, current_values: [] };
        return { ...r, status: 'temporary_failure', found: false, matches: false, current_values: [] };
      }
      const ofKind = values.filter((v) => recordIsOfKind(r, v));
      const matches = values.some((v) => recordMatches(r, v, mtaHost));
      const status = matches ? 'verified' : ofKind.length ? 'mismatch' : 'missing';
      return { ...r, status, found: ofKind.length > 0, matches, current_values: ofKind };
    }),
  );
}

/** The sandbox's verification: every record counts as published and matching. */
export function sandboxRecords(records: readonly DomainRecord[]): DomainRecord[] {
  return records.map((r) => ({ ...r, status: 'verified', found: true, matches: true, current_values: [r.value] }));
}

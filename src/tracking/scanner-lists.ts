import fs from 'node:fs';
import ipaddr from 'ipaddr.js';
import { isbot } from 'isbot';
import type { BotKind, ScannerLists } from '../core/bot-classification.js';

const DATA = new URL('./data/', import.meta.url);
const KINDS = new Set<BotKind>(['apple', 'gmail', 'microsoft', 'proofpoint', 'mimecast', 'generic']);

function rows(file: string): string[][] {
  return fs.readFileSync(new URL(file, DATA), 'utf8').split('\n')
    .map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean)
    .map((l) => l.split(/\s{2,}|\t+/));
}

/** Loads the scanner user agents and address ranges from tracking/data (and the `isbot` list). */
export function loadScannerLists(): ScannerLists {
  const agents = rows('scanner-agents.txt').map(([needle, kind]) => {
    if (!needle || !KINDS.has(kind as BotKind)) throw new Error(`scanner-agents.txt: bad line "${needle} ${kind}"`);
    return { needle: needle.toLowerCase(), kind: kind as BotKind };
  });
  const ranges = rows('scanner-ranges.txt').map(([cidr, kind]) => {
    if (!cidr || !KINDS.has(kind as BotKind)) throw new Error(`scanner-ranges.txt: bad line "${cidr} ${kind}"`);
    return { range: ipaddr.parseCIDR(cidr), kind: kind as BotKind };
  });
  return {
    agent(ua: string): BotKind | null {
      if (!ua) return 'generic'; // browsers and mail clients always send one
      const lower = ua.toLowerCase();
      for (const a of agents) if (lower.includes(a.needle)) return a.kind;
      return isbot(ua) ? 'generic' : null;
    },
    address(ip: string): BotKind | null {
      let addr: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        addr = ipaddr.process(ip);
      } catch {
        return null;
      }
      for (const r of ranges) if (addr.kind() === r.range[0].kind() && addr.match(r.range)) return r.kind;
      return null;
    },
  };
}

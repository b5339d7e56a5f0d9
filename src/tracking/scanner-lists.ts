import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { isbot } from 'isbot';
import type { ScannerLists } from '../core/bot-classification.js';
import type { BotKind } from '../model.js';

/** The lists shipped with Taifa Mail (the defaults of TAIFA_SCANNER_AGENTS_FILE and TAIFA_SCANNER_RANGES_FILE). */
export const SHIPPED_SCANNER_AGENTS = fileURLToPath(new URL('./data/scanner-agents.txt', import.meta.url));
export const SHIPPED_SCANNER_RANGES = fileURLToPath(new URL('./data/scanner-ranges.txt', import.meta.url));
const KINDS = new Set<BotKind>(['apple', 'gmail', 'microsoft', 'proofpoint', 'mimecast', 'generic']);

/** The lines of list files, in order, with comments and blank lines dropped, split into columns. */
function rows(files: readonly string[]): Array<{ file: string; cols: string[] }> {
  return files.flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean)
      .map((l) => ({ file, cols: l.split(/\s{2,}|\t+/) })),
  );
}

/** Where the lists come from: each a list of files, read in order (configuration; the shipped files by default). */
export interface ScannerListFiles {
  agents: readonly string[];
  ranges: readonly string[];
}

/** Loads the scanner user agents and address ranges from their files (and the `isbot` list). */
export function loadScannerLists(
  files: ScannerListFiles = { agents: [SHIPPED_SCANNER_AGENTS], ranges: [SHIPPED_SCANNER_RANGES] },
): ScannerLists {
  const agents = rows(files.agents).map(({ file, cols: [needle, kind] }) => {
    if (!needle || !KINDS.has(kind as BotKind)) throw new Error(`${file}: bad line "${needle} ${kind}"`);
    return { needle: needle.toLowerCase(), kind: kind as BotKind };
  });
  const ranges = rows(files.ranges).map(({ file, cols: [cidr, kind] }) => {
    if (!cidr || !KINDS.has(kind as BotKind)) throw new Error(`${file}: bad line "${cidr} ${kind}"`);
    try {
      return { range: ipaddr.parseCIDR(cidr), kind: kind as BotKind };
    } catch {
      throw new Error(`${file}: bad address range "${cidr}"`);
    }
  });
  const agent = (ua: string): BotKind | null => {
    if (!ua) return 'generic'; // browsers and mail clients always send one
    const lower = ua.toLowerCase();
    for (const a of agents) if (lower.includes(a.needle)) return a.kind;
    return isbot(ua) ? 'generic' : null;
  };
  const address = (ip: string): BotKind | null => {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.process(ip);
    } catch {
      return null;
    }
    for (const r of ranges) if (addr.kind() === r.range[0].kind() && addr.match(r.range)) return r.kind;
    return null;
  };
  return { agent: remembered(agent), address: remembered(address) };
}

/** Answers remembered per key: the same few browsers and addresses come back hit after hit. */
const REMEMBERED_KEYS = 10_000;
const REMEMBERED_KEY_CHARS = 512;

function remembered(f: (key: string) => BotKind | null): (key: string) => BotKind | null {
  const known = new Map<string, BotKind | null>();
  return (key) => {
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const kind = f(key);
    if (key.length <= REMEMBERED_KEY_CHARS) {
      if (known.size >= REMEMBERED_KEYS) known.clear();
      known.set(key, kind);
    }
    return kind;
  };
}

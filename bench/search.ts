// bench/search: seeds N emails for one account (realistic recipients, subjects, tags, statuses) and
// prints p50/p95 of ten representative searches and of GET /v1/emails/{id}, over HTTP against a
// server in a child process. Usage: npx tsx bench/search.ts [--pg] [--n 1000000]
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createAccount } from '../src/services/accounts.js';
import { newId } from '../src/ids.js';
import { searchTokens } from '../src/core/search-query.js';
import { migrateToLatest, openStore } from '../src/store/database.js';
import { indexEmails } from '../src/store/search-repo.js';
import type { NewEmail } from '../src/store/schema.js';
import type { EmailStatus } from '../src/model.js';
import { machine, newBenchKey, runMain, startTaifa, tempDir, tempPostgres } from './lib.js';

const { values } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    n: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '50' },
  },
});
const N = Number(values.n);
const BENCH_KEY = newBenchKey();

// A small deterministic PRNG so that runs are comparable.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const weighted = <T>(xs: ReadonlyArray<[T, number]>) => {
  let r = rand() * xs.reduce((s, [, w]) => s + w, 0);
  for (const [x, w] of xs) if ((r -= w) <= 0) return x;
  return xs[0]![0];
};

const bigDomains: Array<[string, number]> = [
  ['gmail.com', 35],
  ['yahoo.com', 10],
  ['outlook.com', 10],
  ['hotmail.com', 5],
  ['icloud.com', 5],
];
const smallDomains = Array.from({ length: 195 }, (_, i) => `domain${i}.example`);
const recipients = Array.from(
  { length: 50_000 },
  (_, i) => `user${i}@${rand() < 0.65 ? weighted(bigDomains) : pick(smallDomains)}`,
);
const senders = [
  ['receipts@shop.example.com', 'Shop'],
  ['hello@shop.example.com', 'Shop'],
  ['billing@pay.example.net', 'Pay'],
  ['alerts@ops.example.io', 'Ops'],
] as const;
const templates: Array<[string, string]> = [
  ['Your receipt #{n}', 'receipt'],
  ['Password reset requested', 'password-reset'],
  ['Welcome to Acme, {name}!', 'welcome'],
  ['Invoice {n} is due', 'invoice'],
  ['Alert: CPU above 90% on web-{n}', 'alert'],
  ['Your order {n} has shipped', 'shipping'],
  ['Weekly digest for {name}', 'newsletter'],
  ['Confirm your email address', 'welcome'],
  ['Security alert: new sign-in', 'security'],
];
const statuses: Array<[string, number]> = [
  ['delivered', 85],
  ['sent', 5],
  ['bounced', 4],
  ['deferred', 2],
  ['queued', 2],
  ['failed', 1],
  ['rejected', 1],
];
const names = ['Jane', 'Bob', 'Amina', 'Wanjiru', 'Otieno', 'Carol', 'Dave', 'Fatuma'];

async function seedData(databaseUrl: string): Promise<{ sampleId: string; rareRecipient: string }> {
  const store = openStore(databaseUrl);
  await migrateToLatest(store);
  const { accountId } = await createAccount(store, { name: 'Bench', plan: 'business', key: BENCH_KEY });
  const start = Date.now() - N * 1000;
  let sampleId = '';
  const rareRecipient = recipients[12_345]!;
  const BATCH = 500;
  const t0 = Date.now();
  for (let i = 0; i < N; i += BATCH) {
    const emails: NewEmail[] = [];
    const index: Parameters<typeof indexEmails>[1] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const [from, fromName] = pick(senders);
      const [tpl, tag] = pick(templates);
      const subject = tpl.replace('{n}', String(10_000 + Math.floor(rand() * 90_000))).replace('{name}', pick(names));
      const to = j === N - 777 ? rareRecipient : pick(recipients);
      const tags = rand() < 0.3 ? [tag, 'transactional'] : [tag];
      const status = weighted(statuses);
      const id = newId();
      if (j === Math.floor(N / 2)) sampleId = id;
      const created = start + j * 1000;
      emails.push({
        id,
        account_id: accountId,
        domain_id: null,
        user_id: null,
        from_email: from,
        from_name: fromName,
        to_json: JSON.stringify([{ email: to, name: null }]),
        cc_json: null,
        bcc_json: null,
        reply_to_json: null,
        subject,
        html_body: `<p>${subject}</p>`,
        text_body: subject,
        headers_json: null,
        tags_json: JSON.stringify(tags),
        status: status as EmailStatus,
        source: 'api',
        message_id: `<${id}@${from.split('@')[1]}>`,
        rejection_reason: null,
        scheduled_at: null,
        created_at: created,
        updated_at: created,
        sent_at: created + 1000,
        delivered_at: status === 'delivered' ? created + 2000 : null,
        retry_of_id: null,
      });
      index.push({
        id,
        accountId,
        createdAt: created,
        tokens: searchTokens({ fromEmail: from, fromName, subject, recipients: [to], tags }),
      });
    }
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('emails').values(emails).execute();
      await indexEmails(trx, index);
    });
    if ((i / BATCH) % 200 === 0)
      process.stdout.write(`\rseeded ${i + BATCH} / ${N} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stdout.write(`\rseeded ${N} emails in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would soon do after a bulk load: give the planner
  // statistics.
  await sql`ANALYZE`.execute(store.db);
  await store.close();
  return { sampleId, rareRecipient };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const dir = tempDir('taifa-bench-search-');
  const databaseUrl = values.pg ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
  const { sampleId, rareRecipient } = await seedData(databaseUrl);
  const server = await startTaifa('taifa', {
    TAIFA_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    TAIFA_SANDBOX: 'true',
    TAIFA_ROLES: 'api',
  });
  const cases: Array<[string, string]> = [
    ['free text: receipt', '/v1/emails/search?q=receipt'],
    ['two words: password reset', '/v1/emails/search?q=password+reset'],
    ['phrase: "security alert"', `/v1/emails/search?q=${encodeURIComponent('"security alert"')}`],
    ['to:gmail.com', '/v1/emails/search?q=to:gmail.com'],
    ['from:billing@pay.example.net', '/v1/emails/search?q=from:billing@pay.example.net'],
    ['status:bounced', '/v1/emails/search?q=status:bounced'],
    ['tag:welcome', '/v1/emails/search?q=tag:welcome'],
    [
      'receipt to:gmail.com status:delivered',
      `/v1/emails/search?q=${encodeURIComponent('receipt to:gmail.com status:delivered')}`,
    ],
    [`rare recipient to:${rareRecipient}`, `/v1/emails/search?q=to:${encodeURIComponent(rareRecipient)}`],
    ['to:yahoo.com page=5', '/v1/emails/search?q=to:yahoo.com&page=5'],
    ['GET /v1/emails/{id}', `/v1/emails/${sampleId}`],
  ];
  const rows: string[] = [];
  for (const [name, path] of cases) {
    const times: number[] = [];
    let results = 0;
    for (let i = 0; i < Number(values.runs) + 3; i++) {
      const t = performance.now();
      const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
      if (i >= 3) times.push(performance.now() - t); // three warm-up runs
      results = Array.isArray(body) ? body.length : 1;
    }
    rows.push(
      `${name.padEnd(52)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 95).toFixed(1).padStart(8)} ${String(results).padStart(8)}`,
    );
  }
  process.stdout.write(
    [
      '',
      `${N} emails, ${values.pg ? 'PostgreSQL' : 'SQLite'}, ${values.runs} runs each over HTTP (one at a time, after 3 warm-up runs)`,
      `${'query'.padEnd(52)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'results'.padStart(8)}`,
      ...rows,
      `machine: ${machine()}`,
      '',
    ].join('\n'),
  );
}

runMain(main);

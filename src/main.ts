import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig, maskedConfig, type Config } from './config.js';
import { isPlan } from './core/plans.js';
import { parseReport } from './inbound/parse-report.js';
import { PLANS, type LimitOverrides } from './model.js';
import { accountLimits, changeAccountLimits, createAccount } from './services/accounts.js';
import { ensureSecret } from './secret.js';
import { SecretBox, SecretKeyError } from './secret-box.js';
import { rotateStoredSecrets } from './services/secrets-at-rest.js';
import { startServer } from './server.js';
import { migrateToLatest, openStore } from './store/database.js';

const USAGE = `Usage: taifa <command>

  start                                   run the server (API, worker) — the default
  migrate                                 apply database migrations and exit
  accounts create --name NAME [--plan P]  create an account and print its first API key (plans: ${PLANS.join(', ')})
  accounts list                           list accounts with their plans and limit overrides
  accounts set-limits ID [--plan P] [--daily N] [--monthly N] [--batch N] [--rps N] [--clear]
                                          change an account's plan or override its plan's limits
  config                                  print the effective configuration, secrets masked
  secrets rotate                          encrypt every stored secret (DKIM keys, webhook secrets) under TAIFA_SECRET,
                                          decrypting those under TAIFA_SECRET_PREVIOUS (see docs/secrets.md)
  bounces parse FILE…                     read bounce, delay and complaint messages (raw email files) and print,
                                          as one JSON object keyed by path, the recipients each reports with
                                          their status, reply code, action, reason, hard and feedback type
`;

function out(text: string): void {
  process.stdout.write(text + '\n');
}

async function start(config: Readonly<Config>): Promise<void> {
  const log = pino({ level: config.logLevel });
  const server = await startServer(config, log);
  if (config.sandbox) {
    log.warn(
      'SANDBOX MODE: domains verify without DNS and no email leaves this machine; messages are kept in the capture store (GET /v1/emails/{id}/raw).',
    );
  }
  if (server.bootstrapKey) {
    out(
      [
        '',
        'Created the first account. Its API key is shown only this once:',
        '',
        `    ${server.bootstrapKey}`,
        '',
        'Try it:',
        `    curl -s ${server.url}/v1/domains -H "Authorization: Bearer ${server.bootstrapKey}"`,
        '',
      ].join('\n'),
    );
  }
  log.info(
    { url: server.url, roles: [...config.roles], delivery: config.sandbox ? 'sandbox' : config.delivery },
    'Taifa Mail is ready',
  );
  const shutdown = (signal: string) => {
    log.info({ signal }, 'draining: no new work; finishing in-flight deliveries');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'error while draining');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** `accounts list` and `accounts set-limits`: the operator's overrides of plan limits. */
async function accountsAdmin(config: Readonly<Config>, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      plan: { type: 'string' },
      daily: { type: 'string' },
      monthly: { type: 'string' },
      batch: { type: 'string' },
      rps: { type: 'string' },
      clear: { type: 'boolean', default: false },
    },
  });
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store);
    if (positionals[0] === 'list') {
      for (const a of await accountLimits(store)) {
        const e = a.effective;
        out(
          `${a.id}  ${a.name}  plan=${a.plan}  daily=${e.dailyLimit}  monthly=${e.monthlyLimit}  batch=${e.batchMax ?? '-'}  rps=${e.requestsPerSecond}${a.overrides ? `  overrides=${JSON.stringify(a.overrides)}` : ''}`,
        );
      }
      return 0;
    }
    const id = positionals[1];
    if (!id) {
      process.stderr.write(USAGE);
      return 2;
    }
    if (values.plan && !isPlan(values.plan)) {
      process.stderr.write(`Unknown plan "${values.plan}"; one of ${PLANS.join(', ')}.\n`);
      return 2;
    }
    const overrides: LimitOverrides = {};
    for (const [flag, key] of [
      ['daily', 'daily_limit'],
      ['monthly', 'monthly_limit'],
      ['batch', 'batch_max'],
      ['rps', 'requests_per_second'],
    ] as const) {
      const raw = values[flag];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) {
        process.stderr.write(`--${flag} must be a whole number ≥ 0\n`);
        return 2;
      }
      overrides[key] = n;
    }
    const changed = await changeAccountLimits(store, id, {
      plan: values.plan !== undefined && isPlan(values.plan) ? values.plan : undefined,
      overrides,
      clear: values.clear ?? false,
    });
    if (!changed) {
      process.stderr.write(`No account ${id}.\n`);
      return 1;
    }
    const e = changed.effective;
    out(
      `Account ${id}: plan=${changed.plan} daily=${e.dailyLimit} monthly=${e.monthlyLimit} batch=${e.batchMax ?? '-'} rps=${e.requestsPerSecond}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `secrets rotate`: every stored secret encrypted under TAIFA_SECRET, from TAIFA_SECRET_PREVIOUS (or plain).
 * Nothing is written unless every one can be decrypted; running it again does nothing more.
 */
async function secrets(config: Readonly<Config>, args: string[]): Promise<number> {
  if (args.length !== 1 || args[0] !== 'rotate') {
    process.stderr.write(USAGE);
    return 2;
  }
  const box = SecretBox.fromSecrets(ensureSecret(config.secret, config.dataDir), config.previousSecret);
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store);
    const r = await rotateStoredSecrets(store, box);
    const to = `TAIFA_SECRET (key id ${box.keyId})`;
    out(
      box.previousKeyId
        ? `Stored secrets: ${r.resealed} re-encrypted from TAIFA_SECRET_PREVIOUS (key id ${box.previousKeyId}) to ` +
            `${to}, ${r.sealed} stored plain encrypted. Every stored secret is now under TAIFA_SECRET: ` +
            'TAIFA_SECRET_PREVIOUS can be unset (restart the servers without it).'
        : `Stored secrets: ${r.sealed} stored plain encrypted under ${to}; every stored secret is under it ` +
            '(to change TAIFA_SECRET, give the old one as TAIFA_SECRET_PREVIOUS).',
    );
    return 0;
  } catch (error) {
    if (!(error instanceof SecretKeyError)) throw error;
    process.stderr.write(`taifa secrets rotate: ${error.message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/** `bounces parse FILE…`: what the report parser makes of saved messages; needs no configuration. */
async function bounces(args: string[]): Promise<number> {
  const [sub, ...files] = args;
  if (sub !== 'parse' || files.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const result: Record<string, unknown[]> = {};
  let unreadable = 0;
  for (const file of files) {
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (error) {
      process.stderr.write(`${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      unreadable++;
      result[file] = [];
      continue;
    }
    result[file] = parseReport(raw).recipients.map((r) => ({
      recipient: r.recipient,
      status: r.status,
      reply_code: r.replyCode,
      action: r.action,
      reason: r.reason,
      hard: r.hard,
      feedback_type: r.feedbackType,
    }));
  }
  out(JSON.stringify(result, null, 2));
  return unreadable > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'bounces') return bounces(rest);
  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  switch (command) {
    case 'start':
      await start(config);
      return -1; // keep running
    case 'migrate': {
      const store = openStore(config.databaseUrl);
      const applied = await migrateToLatest(store);
      await store.close();
      out(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
      return 0;
    }
    case 'accounts': {
      if (rest[0] === 'list' || rest[0] === 'set-limits') return accountsAdmin(config, rest);
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { name: { type: 'string' }, plan: { type: 'string', default: 'free' } },
      });
      if (positionals[0] !== 'create' || !values.name) {
        process.stderr.write(USAGE);
        return 2;
      }
      const plan = values.plan ?? 'free';
      if (!isPlan(plan)) {
        process.stderr.write(`Unknown plan "${plan}"; one of ${PLANS.join(', ')}.\n`);
        return 2;
      }
      const store = openStore(config.databaseUrl);
      await migrateToLatest(store);
      const { accountId, key } = await createAccount(store, { name: values.name, plan });
      await store.close();
      out(`Account ${accountId} (${values.name}, ${values.plan}). API key, shown only this once:\n\n    ${key}\n`);
      return 0;
    }
    case 'config':
      out(JSON.stringify(maskedConfig(config), null, 2));
      return 0;
    case 'secrets':
      return secrets(config, rest);
    default:
      process.stderr.write(USAGE);
      return command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    // A wrong TAIFA_SECRET is the operator's to fix: the message says how, a stack trace would only hide it.
    const text =
      error instanceof SecretKeyError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`taifa: ${text}\n`);
    process.exit(1);
  },
);

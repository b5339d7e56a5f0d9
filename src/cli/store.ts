import fs from 'node:fs';
import path from 'node:path';
import { maskedConfig, type Config } from '../config.js';
import { ensureSecret } from '../secret.js';
import { SecretBox } from '../secret-box.js';
import { accountActor, accountLimits, type AccountActor } from '../services/accounts.js';
import type { Store } from '../store/database.js';
import type { Cli } from './context.js';
import { CommandError, UsageError } from './errors.js';

/**
 * The database as the operator knows it: `sqlite:` and a path relative to the working folder when it lies
 * under it (`sqlite:data/sandbox/taifa.db`), a PostgreSQL URL with its password masked.
 */
export function describeDatabase(config: Readonly<Config>): string {
  const url = String(maskedConfig(config).databaseUrl);
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return url;
  const file = url.slice('sqlite:'.length);
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? `sqlite:${relative}` : url;
}

/** The SQLite file of a database URL, or null for another kind. */
function sqliteFile(url: string): string | null {
  return url.startsWith('sqlite:') && url !== 'sqlite::memory:' ? path.resolve(url.slice('sqlite:'.length)) : null;
}

/**
 * A note when the sandbox's database exists beside the one this command uses: a key made here would not
 * work against a server started with `npm run sandbox`.
 */
function sandboxNote(cli: Cli, config: Readonly<Config>): void {
  if (config.sandbox) return;
  const sandbox = cli.sandboxConfig();
  const file = sqliteFile(sandbox.databaseUrl);
  if (sandbox.databaseUrl === config.databaseUrl || file === null || !fs.existsSync(file)) return;
  cli.err(
    `Note: the sandbox's database (${describeDatabase(sandbox)}) is not the one used here; ` +
      'for the server of `npm run sandbox`, add --sandbox.',
  );
}

/**
 * The store's module, loaded when a command first needs it: with both database drivers and the migrations it
 * is most of a command's start-up, which a mistyped command line or `taifa help` need not wait for.
 */
export async function loadStore() {
  return import('../store/database.js');
}

/**
 * Runs `work` on the database of the configured server, migrated to the latest schema, and closes it; first
 * says which database that is (`Database: …`), so that a key made for the wrong server is not a mystery.
 */
export async function withStore<T>(cli: Cli, work: (store: Store) => Promise<T>): Promise<T> {
  const config = cli.config();
  cli.out(`Database: ${describeDatabase(config)}`);
  sandboxNote(cli, config);
  const { migrateToLatest, openStore } = await loadStore();
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The secrets' key of the configured server (TAIFA_SECRET, or the one generated into its data folder). */
export function secretBox(config: Readonly<Config>): SecretBox {
  return SecretBox.fromSecrets(ensureSecret(config.secret, config.dataDir), config.previousSecret);
}

/**
 * The account a command acts for: `--account ID`, or the only account there is. Says which on stdout.
 * Without --account and with several accounts, a UsageError naming --account.
 */
export async function actingAccount(cli: Cli, store: Store, id: string | undefined): Promise<AccountActor> {
  const accounts = await accountLimits(store);
  const chosen = id ?? (accounts.length === 1 ? accounts[0]?.id : undefined);
  if (accounts.length === 0)
    throw new CommandError(
      'There is no account yet: create one with `taifa accounts create --name NAME` (or start the server once).',
    );
  if (chosen === undefined)
    throw new UsageError(
      `there are ${accounts.length} accounts: say which with --account ID (\`taifa accounts list\` lists them)`,
    );
  const actor = await accountActor(store, chosen);
  cli.out(`Account: ${chosen} (${accounts.find((a) => a.id === chosen)?.name ?? ''})`);
  return actor;
}

import { apiKeys, createApiKey, removeApiKey } from '../services/api-keys.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { table, when } from './output.js';
import { actingAccount, withStore } from './store.js';

const account = { account: { type: 'string' } } as const;

async function create(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, { ...account, name: { type: 'string' } });
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const { row, key } = await createApiKey(store, actor, values.name);
    cli.out(`API key ${row.id} (${row.name}), shown only this once:\n\n    ${key}\n`);
  });
  return 0;
}

async function list(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, account);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const keys = await apiKeys(store, actor.accountId);
    cli.out(
      table(
        ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED'],
        keys.map((k) => [k.id, k.name, k.prefix, when(k.created_at), when(k.last_used_at)]),
      ),
    );
  });
  return 0;
}

async function revoke(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, account, ['ID']);
  const id = positionals[0]!;
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    await removeApiKey(store, actor.accountId, id);
  });
  cli.out(`Revoked API key ${id}: it no longer authenticates (a running server stops taking it within a second).`);
  return 0;
}

/** `taifa keys create|list|revoke`: an account's API keys, through the same services as /v1/api-keys. */
export const keysCommands: CommandGroup = {
  name: 'keys',
  usage: [
    ['keys create [--name NAME]', 'create an API key and print it (shown only this once)'],
    ['keys list', 'list API keys: id, name, prefix, created, last used'],
    ['keys revoke ID', 'delete an API key: requests with it are refused (401) from then on'],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    switch (name) {
      case 'create':
        return create(cli, rest);
      case 'list':
        return list(cli, rest);
      case 'revoke':
        return revoke(cli, rest);
      default:
        throw new UsageError(name ? `unknown command "keys ${name}"` : 'keys needs a command: create, list or revoke');
    }
  },
};

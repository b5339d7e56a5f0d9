import { registerSender, senders } from '../services/senders.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { table, when } from './output.js';
import { actingAccount, withStore } from './store.js';

const account = { account: { type: 'string' } } as const;

async function add(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...account, name: { type: 'string' } }, ['EMAIL']);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const s = await registerSender(store, actor.accountId, { email: positionals[0]!, name: values.name });
    cli.out(`Sender ${s.email}${s.name ? ` (${s.name})` : ''} registered: ${s.id}`);
  });
  return 0;
}

async function list(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, account);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const rows = await senders(store, actor.accountId);
    cli.out(
      table(
        ['ID', 'EMAIL', 'NAME', 'CREATED'],
        rows.map((s) => [s.id, s.email, s.name ?? '', when(s.created_at)]),
      ),
    );
  });
  return 0;
}

/** `taifa senders add|list`: the addresses an account sends from, as /v1/senders. */
export const sendersCommands: CommandGroup = {
  name: 'senders',
  usage: [
    ['senders add EMAIL [--name NAME]', 'register a sender address on a verified domain (needed to send from it)'],
    ['senders list', 'list sender addresses'],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    switch (name) {
      case 'add':
        return add(cli, rest);
      case 'list':
        return list(cli, rest);
      default:
        throw new UsageError(name ? `unknown command "senders ${name}"` : 'senders needs a command: add or list');
    }
  },
};

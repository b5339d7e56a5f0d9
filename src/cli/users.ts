import { createUser } from '../services/users.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { actingAccount, withStore } from './store.js';

/** The password piped in, without its final line break. */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function create(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, {
    account: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  });
  if (!values.email) throw new UsageError('--email is required');
  const email = values.email;
  const given = values['password-stdin'] ? await passwordFromStdin() : null;
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const { user, password } = await createUser(store, {
      accountId: actor.accountId,
      email,
      name: values.name ?? null,
      password: given,
    });
    cli.out(`Dashboard user ${user.id} (${user.email ?? email}) on account ${actor.accountId}.`);
    if (password !== null) cli.out(`Its password, shown only this once:\n\n    ${password}\n`);
    cli.out(`Log in at ${cli.config().publicUrl}/login`);
  });
  return 0;
}

/** `taifa users create`: people who log in to the dashboard, through the same service as the first start's. */
export const usersCommands: CommandGroup = {
  name: 'users',
  usage: [
    [
      'users create --email EMAIL [--name NAME] [--password-stdin]',
      'create a dashboard user on the account; prints a generated password once, or takes one on stdin',
    ],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    if (name === 'create') return create(cli, rest);
    throw new UsageError(name ? `unknown command "users ${name}"` : 'users needs a command: create');
  },
};

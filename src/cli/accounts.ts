import { isPlan } from '../core/plans.js';
import { PLANS, type LimitOverrides, type Plan } from '../model.js';
import { accountLimits, changeAccountLimits, createAccount } from '../services/accounts.js';
import { parse, required, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { CommandError, UsageError } from './errors.js';
import { withStore } from './store.js';

function plan(value: string | undefined, fallback?: Plan): Plan | undefined {
  if (value === undefined) return fallback;
  if (!isPlan(value)) throw new UsageError(`unknown plan "${value}"; one of ${PLANS.join(', ')}`);
  return value;
}

async function create(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, { name: { type: 'string' }, plan: { type: 'string' } });
  const name = required(values, 'name');
  const p = plan(values.plan, 'free')!;
  const { accountId, key } = await withStore(cli, (store) => createAccount(store, { name, plan: p }));
  cli.out(`Account ${accountId} (${name}, ${p}). API key, shown only this once:\n\n    ${key}\n`);
  return 0;
}

async function list(cli: Cli, args: string[]): Promise<number> {
  parse(args, {});
  await withStore(cli, async (store) => {
    for (const a of await accountLimits(store)) {
      const e = a.effective;
      cli.out(
        `${a.id}  ${a.name}  plan=${a.plan}  daily=${e.dailyLimit}  monthly=${e.monthlyLimit}  batch=${e.batchMax ?? '-'}  rps=${e.requestsPerSecond}${a.overrides ? `  overrides=${JSON.stringify(a.overrides)}` : ''}`,
      );
    }
  });
  return 0;
}

const LIMIT_FLAGS = [
  ['daily', 'daily_limit'],
  ['monthly', 'monthly_limit'],
  ['batch', 'batch_max'],
  ['rps', 'requests_per_second'],
] as const;

async function setLimits(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      plan: { type: 'string' },
      daily: { type: 'string' },
      monthly: { type: 'string' },
      batch: { type: 'string' },
      rps: { type: 'string' },
      clear: { type: 'boolean' },
    },
    ['ID'],
  );
  const newPlan = plan(values.plan);
  const overrides: LimitOverrides = {};
  for (const [flag, key] of LIMIT_FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new UsageError(`--${flag} must be a whole number ≥ 0`);
    overrides[key] = n;
  }
  const id = positionals[0]!;
  const changed = await withStore(cli, (store) =>
    changeAccountLimits(store, id, { plan: newPlan, overrides, clear: values.clear ?? false }),
  );
  if (!changed) throw new CommandError(`No account ${id}.`);
  const e = changed.effective;
  cli.out(
    `Account ${id}: plan=${changed.plan} daily=${e.dailyLimit} monthly=${e.monthlyLimit} batch=${e.batchMax ?? '-'} rps=${e.requestsPerSecond}`,
  );
  return 0;
}

/** `taifa accounts create|list|set-limits`: tenants, their plans and the operator's overrides of plan limits. */
export const accountsCommands: CommandGroup = {
  name: 'accounts',
  usage: [
    [
      'accounts create --name NAME [--plan P]',
      `create an account and print its first API key (plans: ${PLANS.join(', ')}; free by default)`,
    ],
    ['accounts list', 'list accounts with their plans, effective limits and limit overrides'],
    [
      'accounts set-limits ID [--plan P] [--daily N] [--monthly N] [--batch N] [--rps N] [--clear]',
      "change an account's plan or override its plan's limits (--clear drops the overrides not given)",
    ],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    switch (name) {
      case 'create':
        return create(cli, rest);
      case 'list':
        return list(cli, rest);
      case 'set-limits':
        return setLimits(cli, rest);
      default:
        throw new UsageError(
          name ? `unknown command "accounts ${name}"` : 'accounts needs a command: create, list or set-limits',
        );
    }
  },
};

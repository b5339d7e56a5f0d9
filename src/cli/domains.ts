import type { Config } from '../config.js';
import { createResolver } from '../dns/resolver.js';
import type { DomainRecord } from '../model.js';
import { addDomain, findDomain, listDomains, verifyDomain, type DomainDeps } from '../services/domains.js';
import type { Store } from '../store/database.js';
import type { DomainRow } from '../store/schema.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { table, when } from './output.js';
import { actingAccount, secretBox, withStore } from './store.js';

const account = { account: { type: 'string' } } as const;

function deps(config: Readonly<Config>, store: Store): DomainDeps {
  return {
    store,
    resolver: createResolver(config.dnsServers),
    mtaHost: config.heloName,
    sandbox: config.sandbox,
    // A running server's sender cache forgets within a second; this process keeps none.
    onSendersChanged: () => undefined,
    secrets: secretBox(config),
  };
}

/** A record's value as a DNS panel takes it: an MX with its priority first, as zone files and providers show it. */
function value(r: DomainRecord): string {
  return r.priority === undefined ? r.value : `${r.priority} ${r.value}`;
}

/** The records to publish, one row each, and what was found where a look-up found something else. */
function records(cli: Cli, d: DomainRow): void {
  cli.out(
    table(
      ['TYPE', 'HOST', 'STATUS', 'VALUE'],
      d.records.map((r) => [r.type, r.name, r.required ? r.status : `${r.status} (optional)`, value(r)]),
    ),
  );
  for (const r of d.records)
    if (r.status === 'mismatch' && r.current_values?.length)
      cli.out(`${r.type} ${r.name} has now: ${r.current_values.map((v) => JSON.stringify(v)).join(', ')}`);
}

function summary(cli: Cli, d: DomainRow): void {
  cli.out(`Domain ${d.name} (${d.id}): ${d.status}${d.verified_at ? `, verified ${when(d.verified_at)}` : ''}`);
}

async function add(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, account, ['NAME']);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const d = await addDomain(deps(cli.config(), store), actor.accountId, positionals[0]!);
    summary(cli, d);
    cli.out('Publish these records at your DNS provider, then run `taifa domains verify ' + d.name + '`:\n');
    records(cli, d);
  });
  return 0;
}

async function verify(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, account, ['NAME']);
  let verified = false;
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const ds = deps(cli.config(), store);
    const found = await findDomain(ds, actor.accountId, positionals[0]!);
    const d = await verifyDomain(ds, actor.accountId, found.id);
    summary(cli, d);
    records(cli, d);
    verified = d.status === 'verified';
  });
  // Not verified yet is an answer, not a failure of the command: a script can still tell by the code.
  return verified ? 0 : 1;
}

async function show(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, account, ['NAME']);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const d = await findDomain(deps(cli.config(), store), actor.accountId, positionals[0]!);
    summary(cli, d);
    records(cli, d);
  });
  return 0;
}

async function list(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, account);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const domains = await listDomains(deps(cli.config(), store), actor.accountId);
    cli.out(
      table(
        ['ID', 'NAME', 'STATUS', 'VERIFIED', 'LAST CHECKED'],
        domains.map((d) => [d.id, d.name, d.status, when(d.verified_at), when(d.last_checked_at)]),
      ),
    );
  });
  return 0;
}

/** `taifa domains add|verify|show|list`: sending domains and their DNS records, as /v1/domains. */
export const domainsCommands: CommandGroup = {
  name: 'domains',
  usage: [
    ['domains add NAME', 'add a sending domain (fresh DKIM key) and print the DNS records to publish'],
    [
      'domains verify NAME|ID',
      'look its records up in DNS (sandbox mode: pass them) and print each one with its status; exit 1 until verified',
    ],
    ['domains show NAME|ID', 'print its DNS records and their status as last checked'],
    ['domains list', 'list domains with their status'],
  ],
  help:
    'The records table has the columns a DNS panel asks for: TYPE, HOST (the name), STATUS and VALUE (for an MX,\n' +
    'its priority first). DKIM and SPF must be published to send; the return-path MX (bounces) and DMARC are optional.',
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    switch (name) {
      case 'add':
        return add(cli, rest);
      case 'verify':
        return verify(cli, rest);
      case 'show':
        return show(cli, rest);
      case 'list':
        return list(cli, rest);
      default:
        throw new UsageError(
          name ? `unknown command "domains ${name}"` : 'domains needs a command: add, verify, show or list',
        );
    }
  },
};

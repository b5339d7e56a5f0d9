import type { SmtpReply } from '../model.js';
import { emailDetail } from '../services/emails.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { UsageError } from './errors.js';
import { table, when } from './output.js';
import { actingAccount, withStore } from './store.js';

/** `250 2.0.0 Ok: queued (mx.example.org)`: the reply as the server said it, and who said it. */
function reply(r: SmtpReply | null): string {
  if (!r) return '-';
  const text = r.text.replace(/\s+/g, ' ').trim();
  const said =
    r.code !== null && !text.startsWith(String(r.code))
      ? [r.code, r.dsn, text].filter((p) => p !== null && p !== '').join(' ')
      : text;
  return r.host ? `${said} (${r.host})` : said;
}

async function show(cli: Cli, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { account: { type: 'string' } }, ['ID']);
  await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const { email: e, recipients, attachments, events } = await emailDetail(store, actor.accountId, positionals[0]!);
    cli.out('');
    cli.out(`Email ${e.id}: ${e.status}`);
    const fields: Array<[string, string | null]> = [
      ['From', e.from_name ? `${e.from_name} <${e.from_email}>` : e.from_email],
      ['Subject', e.subject],
      ['Tags', e.tags_json?.length ? e.tags_json.join(', ') : null],
      ['Message-ID', e.message_id],
      ['Created', when(e.created_at)],
      ['Scheduled', e.scheduled_at === null ? null : when(e.scheduled_at)],
      ['Rejected', e.rejection_reason],
      ['Attachments', attachments.length ? attachments.map((a) => `${a.filename} (${a.size} bytes)`).join(', ') : null],
    ];
    for (const [label, value] of fields) if (value !== null) cli.out(`  ${`${label}:`.padEnd(13)}${value}`);
    cli.out('\nRecipients');
    cli.out(
      table(
        ['TYPE', 'EMAIL', 'STATUS', 'ATTEMPTS', 'LAST REPLY'],
        recipients.map((r) => [r.kind, r.address, r.status, String(r.attempts), reply(r.last_reply)]),
      ),
    );
    cli.out('\nEvents');
    cli.out(
      table(
        ['TIME', 'TYPE', 'RECIPIENT', 'DETAILS'],
        events.map((ev) => [
          when(ev.created_at),
          ev.event_type,
          ev.recipient ?? '-',
          ev.metadata && Object.keys(ev.metadata).length ? JSON.stringify(ev.metadata) : '',
        ]),
      ),
    );
  });
  return 0;
}

/** `taifa emails show`: an email as GET /v1/emails/{id} has it. */
export const emailsCommands: CommandGroup = {
  name: 'emails',
  usage: [['emails show ID', 'an email: its status, recipients (each with its status and last reply) and events']],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    if (name === 'show') return show(cli, rest);
    throw new UsageError(name ? `unknown command "emails ${name}"` : 'emails needs a command: show');
  },
};

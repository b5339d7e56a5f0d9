import { readFile } from 'node:fs/promises';
import { AppError, type FieldError } from '../core/errors.js';
import type { Accepted } from '../services/accept-email.js';
import { parse } from './args.js';
import type { CommandGroup } from './command.js';
import type { Cli } from './context.js';
import { CommandError, UsageError } from './errors.js';
import { actingAccount, withStore } from './store.js';

const OPTIONS = {
  account: { type: 'string' },
  file: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  subject: { type: 'string' },
  text: { type: 'string' },
  html: { type: 'string' },
  tag: { type: 'string', multiple: true },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/** `Jane Doe <jane@example.org>`, `"Doe, Jane" <jane@example.org>` or `jane@example.org`, as the API's address. */
function mailbox(raw: string): { email: string; name?: string } {
  const m = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(raw);
  if (!m) return { email: raw.trim() };
  const name = (m[1] ?? '').replace(/^"(.*)"$/, '$1');
  return name ? { email: m[2] ?? '', name } : { email: m[2] ?? '' };
}

/** The send body the flags describe: the same JSON a client would POST to /v1/emails/. */
function bodyOfFlags(v: Values): Record<string, unknown> {
  const missing = (['from', 'to', 'subject'] as const).find((k) => v[k] === undefined);
  if (missing) throw new UsageError(`--${missing} is required (or give the whole body with --file)`);
  return {
    from_: mailbox(v.from!),
    to: v.to!.map(mailbox),
    subject: v.subject,
    ...(v.text !== undefined ? { text: v.text } : {}),
    ...(v.html !== undefined ? { html: v.html } : {}),
    ...(v.tag !== undefined ? { tags: v.tag } : {}),
  };
}

async function bodyOfFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CommandError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CommandError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A field of the body in the words of the flags that made it (`to[1].email` → `--to "bad@"`). */
function flagOf(field: string, v: Values): string {
  const to = /^to\[(\d+)\]/.exec(field);
  if (to) return `--to ${JSON.stringify(v.to?.[Number(to[1])] ?? '')}`;
  const tag = /^tags\[(\d+)\]/.exec(field);
  if (tag) return `--tag ${JSON.stringify(v.tag?.[Number(tag[1])] ?? '')}`;
  if (field.startsWith('from_')) return '--from';
  if (field === 'tags') return '--tag';
  return ['subject', 'text', 'html'].includes(field) ? `--${field}` : field;
}

/** A refusal of a body made from flags, naming the flags rather than the body's fields. */
function inFlagWords(error: AppError, v: Values): AppError {
  if (!error.errors?.length || !['validation_error', 'payload_too_large'].includes(error.code)) return error;
  const errs: FieldError[] = error.errors.map((e) => ({ field: flagOf(e.field, v), error: e.error }));
  const sentence = `Cannot send: ${errs.map((e) => `${e.field} ${e.error}`).join('; ')}.`;
  return new AppError(error.code, error.status, sentence, errs);
}

/** `taifa send`: one email through the same checks and writes as POST /v1/emails/; a running server delivers it. */
async function send(cli: Cli, args: string[]): Promise<number> {
  const { values } = parse(args, OPTIONS);
  const bodyFlags = (['from', 'to', 'subject', 'text', 'html', 'tag'] as const).filter((k) => values[k] !== undefined);
  if (values.file !== undefined && bodyFlags.length)
    throw new UsageError(`--file holds the whole body: give --${bodyFlags[0]} in the file instead`);
  const body = values.file !== undefined ? await bodyOfFile(values.file) : bodyOfFlags(values);
  // The send path (its checks, the rendering rules it validates against) is loaded only to send.
  const [{ checkSendBody }, { sendOne }, { GroupCommitter }] = await Promise.all([
    import('../core/send-body-check.js'),
    import('../services/send-emails.js'),
    import('../store/group-commit.js'),
  ]);
  const accepted = await withStore(cli, async (store) => {
    const actor = await actingAccount(cli, store, values.account);
    const deps = { store, committer: new GroupCommitter(store.db) };
    try {
      return (await sendOne(deps, actor, checkSendBody(body), null)).body as Accepted;
    } catch (error) {
      throw error instanceof AppError && values.file === undefined ? inFlagWords(error, values) : error;
    }
  });
  cli.out(`Email ${accepted.id} ${accepted.status} (Message-ID ${accepted.message_id}).`);
  if (accepted.rejection_reason) cli.out(accepted.rejection_reason);
  if (accepted.status !== 'rejected')
    cli.out(`A running server's worker delivers it; follow it with \`taifa emails show ${accepted.id}\`.`);
  return 0;
}

/** `taifa send`. */
export const sendCommand: CommandGroup = {
  name: 'send',
  usage: [
    [
      'send --from ADDRESS --to ADDRESS… --subject S [--text T] [--html H] [--tag T…]',
      'send an email (--to and --tag may be repeated; an address may be "Name <email>")',
    ],
    ['send --file BODY.json', 'send the JSON body of POST /v1/emails/ from a file (- reads it from stdin)'],
  ],
  help:
    'The email goes through the same checks as POST /v1/emails/ (a registered sender on a verified domain, the\n' +
    "plan's quota, the suppression lists) and is written to the queue; a running server with the worker role sends it.",
  run: send,
};

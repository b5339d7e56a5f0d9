import { accountsCommands } from './accounts.js';
import { bouncesCommands } from './bounces.js';
import type { CommandGroup } from './command.js';
import { configCommand } from './config.js';
import { domainsCommands } from './domains.js';
import { emailsCommands } from './emails.js';
import { keysCommands } from './keys.js';
import { migrateCommand } from './migrate.js';
import { secretsCommands } from './secrets.js';
import { sendCommand } from './send.js';
import { sendersCommands } from './senders.js';
import { startCommand } from './start.js';
import { usersCommands } from './users.js';

/** Every command, in the order of the usage, by section. A new group is one file here and one line below. */
export const SECTIONS: ReadonlyArray<readonly [title: string, groups: readonly CommandGroup[]]> = [
  ['Server', [startCommand, migrateCommand, configCommand]],
  ['Accounts, users and API keys', [accountsCommands, usersCommands, keysCommands]],
  ['Domains and senders', [domainsCommands, sendersCommands]],
  ['Email', [sendCommand, emailsCommands]],
  ['Maintenance', [secretsCommands, bouncesCommands]],
];

const GROUPS = new Map(SECTIONS.flatMap(([, groups]) => groups.map((g) => [g.name, g] as const)));

/** The command group named `name`, if there is one. */
export function commandGroup(name: string): CommandGroup | undefined {
  return GROUPS.get(name);
}

/** The names of every group (for "did you mean"). */
export function commandNames(): string[] {
  return [...GROUPS.keys(), 'help'];
}

const COLUMN = 42;
const WIDTH = 112;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...out, line];
}

/** A group's lines: the synopsis, and its description beside it (or below it when the synopsis is long). */
function lines(entries: CommandGroup['usage']): string[] {
  const indent = ' '.repeat(COLUMN);
  return entries.flatMap(([synopsis, description]) => {
    const text = wrap(description, WIDTH - COLUMN);
    const first = `  ${synopsis}`;
    if (first.length <= COLUMN - 2) return [first.padEnd(COLUMN) + text[0], ...text.slice(1).map((t) => indent + t)];
    return [first, ...text.map((t) => indent + t)];
  });
}

const OPTIONS: CommandGroup['usage'] = [
  [
    '--account ID',
    'the account a command acts for (keys, domains, senders, send, emails); it may be left out when there is only one',
  ],
  ['--sandbox', "act on the sandbox's server and data: as TAIFA_SANDBOX=true (npm run sandbox)"],
  ['--help, -h', 'print the usage (of one command: taifa help COMMAND)'],
  ['--version', 'print the version'],
];

const ENVIRONMENT = wrap(
  "Every command reads the same environment as the server (DATABASE_URL, TAIFA_DATA_DIR, TAIFA_SANDBOX, TAIFA_SECRET…): run it with the server's, from the same folder. Those that use the database say which one first.",
  WIDTH,
);

/** The whole usage: every command, by section, and the options. */
export function usage(): string {
  const sections = SECTIONS.map(([title, groups]) => [title, ...groups.flatMap((g) => lines(g.usage)), '']);
  return [
    'Usage: taifa <command> [options]',
    '',
    ...sections.flat(),
    'Options',
    ...lines(OPTIONS),
    '',
    ...ENVIRONMENT,
  ].join('\n');
}

/** One group's usage, for `taifa help NAME` and its own mistakes. */
export function groupUsage(group: CommandGroup): string {
  return [
    'Usage:',
    ...lines(group.usage),
    ...(group.help ? ['', group.help] : []),
    '',
    'Options of every command: --sandbox, --account ID (where it acts for an account); `taifa help` lists all commands.',
    '',
  ].join('\n');
}

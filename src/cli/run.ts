import { readFileSync } from 'node:fs';
import { hasFlag, splitCommand, suggestion } from './args.js';
import type { CommandGroup } from './command.js';
import { commandGroup, commandNames, groupUsage, usage } from './commands.js';
import { createCli, type Env } from './context.js';
import { describeFailure, UsageError } from './errors.js';
import type { Output } from './output.js';

/** The version of this package, from its package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Prints a usage error in one line, then the usage; exit code 2. */
function refuse(output: Output, message: string, group?: CommandGroup): number {
  output.err(`taifa: ${message}`);
  output.err(group ? groupUsage(group) : usage());
  return 2;
}

/** `help`, `help COMMAND`. */
function help(output: Output, args: string[]): number {
  const { name, option } = splitCommand(args);
  if (option && option !== '--help') return refuse(output, `unknown option ${option}`);
  if (name === undefined) {
    output.out(usage());
    return 0;
  }
  const group = commandGroup(name);
  if (!group) return refuse(output, `unknown command "${name}"${suggestion(name, commandNames())}`);
  output.out(groupUsage(group));
  return 0;
}

/**
 * Runs the command line `argv` (without node and the script) against `env`: resolves with the exit code, or -1
 * while the command keeps running (start). Mistakes in the command line are one line and the usage (exit 2);
 * a failure is one line (exit 1); only a fault of ours prints a stack.
 */
export async function runCli(argv: string[], env: Env, output: Output): Promise<number> {
  const { name, option, rest } = splitCommand(argv);
  if (option === '--version' && argv.length === 1) {
    output.out(version());
    return 0;
  }
  if (option !== undefined) return refuse(output, `unknown option ${option} (options go after the command)`);
  if (name === 'help') return help(output, rest);
  if (name === undefined && hasFlag(argv, '--help', '-h')) return help(output, []);
  // No command runs the server, as `npm start` does.
  const command = name ?? 'start';
  const group = commandGroup(command);
  if (!group) return refuse(output, `unknown command "${command}"${suggestion(command, commandNames())}`);
  if (hasFlag(argv, '--help', '-h')) {
    output.out(groupUsage(group));
    return 0;
  }
  const cli = createCli(env, output, hasFlag(argv, '--sandbox'));
  try {
    return await group.run(cli, rest);
  } catch (error) {
    if (error instanceof UsageError) return refuse(output, error.message, group);
    const failure = describeFailure(error);
    output.err(`taifa: ${failure.text}`);
    return failure.code;
  }
}

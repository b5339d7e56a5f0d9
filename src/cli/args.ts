import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** The options of one command, as node:util parseArgs takes them. */
type OptionSpecs = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Options every command takes; run.ts acts on them before a command runs. */
const GLOBAL = {
  sandbox: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags that may come before the command itself (`taifa --sandbox accounts list`). */
const LEADING_FLAGS = new Set(['--sandbox', '--help', '-h']);

/** The arguments before `--` (after it, everything is a positional). */
function optionPart(args: readonly string[]): readonly string[] {
  const end = args.indexOf('--');
  return end < 0 ? args : args.slice(0, end);
}

/** Whether a flag is given (before any `--`). */
export function hasFlag(args: readonly string[], ...flags: string[]): boolean {
  return optionPart(args).some((a) => flags.includes(a));
}

/**
 * The command word of `args` (`create` of `create --name X`), past any leading global flags, and the
 * arguments without it; `name` is undefined when there is none, `option` the option found in its place.
 */
export function splitCommand(args: readonly string[]): { name?: string; option?: string; rest: string[] } {
  const i = args.findIndex((a) => !LEADING_FLAGS.has(a));
  const word = args[i];
  if (word === undefined) return { rest: [...args] };
  if (word.startsWith('-')) return { option: word, rest: [...args] };
  return { name: word, rest: [...args.slice(0, i), ...args.slice(i + 1)] };
}

/** Edit distance, for "did you mean": small words only. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** ` (did you mean X?)` for the closest of `known` when it is close enough, else nothing. */
export function suggestion(typed: string, known: readonly string[]): string {
  const best = known
    .map((k) => ({ k, d: distance(typed, k) }))
    .sort((x, y) => x.d - y.d)
    .find((x) => x.d <= Math.max(1, Math.floor(x.k.length / 3)));
  return best ? ` (did you mean ${best.k}?)` : '';
}

/** parseArgs' errors (long sentences about `--`) as one short line naming the option. */
function usageErrorOf(error: unknown, options: OptionSpecs): UsageError {
  const e = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '';
  const option = quoted.split(/[\s=]/)[0] ?? quoted;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys({ ...options, ...GLOBAL }).map((k) => `--${k}`);
      return new UsageError(`unknown option ${option}${suggestion(option, known)}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(
        /does not take an argument/.test(e.message ?? '') ? `${option} takes no value` : `${option} needs a value`,
      );
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument "${quoted}"`);
    default:
      return new UsageError(e.message ?? String(error));
  }
}

/**
 * Parses a command's arguments: its own options and the global ones, and exactly the positionals named
 * (`['ID']`; a last name ending in `…` takes one or more). Anything else is a UsageError in one line.
 */
export function parse<O extends OptionSpecs>(args: readonly string[], options: O, positionals: readonly string[] = []) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...options, ...GLOBAL }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageErrorOf(error, options);
  }
  const many = positionals.at(-1)?.endsWith('…') ?? false;
  const given = parsed.positionals;
  const missing = positionals[given.length];
  if (missing !== undefined && !(many && given.length >= positionals.length))
    throw new UsageError(`${missing.replace(/…$/, '')} is required`);
  const extra = given[positionals.length];
  if (extra !== undefined && !many) throw new UsageError(`unexpected argument "${extra}"`);
  return { values: parsed.values, positionals: given };
}

/** An option's value that must be given and not be empty ("--name is required"). */
export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  if (value.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return value;
}

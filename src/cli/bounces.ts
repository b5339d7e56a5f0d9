import { readFile } from 'node:fs/promises';
import { parseReport } from '../inbound/parse-report.js';
import { parse, splitCommand } from './args.js';
import type { CommandGroup } from './command.js';
import { UsageError } from './errors.js';

/** `bounces parse FILE…`: what the report parser makes of saved messages; needs no configuration. */
export const bouncesCommands: CommandGroup = {
  name: 'bounces',
  usage: [
    [
      'bounces parse FILE…',
      'read bounce, delay and complaint messages (raw email files) and print, as one JSON object keyed by ' +
        'path, the recipients each reports with their status, reply code, action, reason, hard and feedback type',
    ],
  ],
  async run(cli, args) {
    const { name, rest } = splitCommand(args);
    if (name !== 'parse')
      throw new UsageError(name ? `unknown command "bounces ${name}"` : 'bounces needs a command: parse');
    const files = parse(rest, {}, ['FILE…']).positionals;
    const result: Record<string, unknown[]> = {};
    let unreadable = 0;
    for (const file of files) {
      let raw: Buffer;
      try {
        raw = await readFile(file);
      } catch (error) {
        cli.err(`${file}: ${error instanceof Error ? error.message : String(error)}`);
        unreadable++;
        result[file] = [];
        continue;
      }
      result[file] = parseReport(raw).recipients.map((r) => ({
        recipient: r.recipient,
        status: r.status,
        reply_code: r.replyCode,
        action: r.action,
        reason: r.reason,
        hard: r.hard,
        feedback_type: r.feedbackType,
      }));
    }
    cli.out(JSON.stringify(result, null, 2));
    return unreadable > 0 ? 1 : 0;
  },
};

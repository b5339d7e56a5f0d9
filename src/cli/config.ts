import { maskedConfig } from '../config.js';
import { parse } from './args.js';
import type { CommandGroup } from './command.js';

/** `taifa config`: the effective configuration as JSON, secrets masked. */
export const configCommand: CommandGroup = {
  name: 'config',
  usage: [['config', 'print the effective configuration as JSON, secrets masked']],
  async run(cli, args) {
    parse(args, {});
    cli.out(JSON.stringify(maskedConfig(cli.config()), null, 2));
    return 0;
  },
};

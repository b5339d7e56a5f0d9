import type { Cli } from './context.js';

/** A group of commands under one word (`keys create`, `keys list`…): its lines of the usage and how it runs. */
export interface CommandGroup {
  name: string;
  /** Its lines of the usage: what to type, and what it does. */
  usage: ReadonlyArray<readonly [synopsis: string, description: string]>;
  /** More for `taifa help NAME`, below its lines. */
  help?: string;
  /** Runs `args` (what follows the group's word); resolves with the exit code, or -1 to keep the process running. */
  run(cli: Cli, args: string[]): Promise<number>;
}

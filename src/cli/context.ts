import { loadConfig, type Config } from '../config.js';
import type { Output } from './output.js';

/** The environment, as the server reads it. */
export type Env = Record<string, string | undefined>;

/** What every command has: where to write, and the configuration of the server it administers. */
export interface Cli extends Output {
  /**
   * The configuration read from the same environment as the server's (DATABASE_URL, TAIFA_DATA_DIR,
   * TAIFA_SANDBOX, TAIFA_SECRET…), `--sandbox` standing for TAIFA_SANDBOX=true; loaded on first use, so
   * that commands that need none (bounces parse, help) run whatever the environment holds.
   */
  config(): Readonly<Config>;
  /** The environment with TAIFA_SANDBOX=true (to tell the operator about the sandbox's data). */
  sandboxConfig(): Readonly<Config>;
}

/** The command line's context over `env`, with `sandbox` when `--sandbox` was given. */
export function createCli(env: Env, output: Output, sandbox: boolean): Cli {
  let config: Readonly<Config> | null = null;
  const sandboxEnv = { ...env, TAIFA_SANDBOX: 'true' };
  return {
    ...output,
    config: () => (config ??= loadConfig(sandbox ? sandboxEnv : env)),
    sandboxConfig: () => loadConfig(sandboxEnv),
  };
}

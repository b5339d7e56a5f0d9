import { AppError } from '../core/errors.js';
import { ConfigError } from '../config.js';
import { SecretKeyError } from '../secret-box.js';

/** A command line that cannot run as typed: said in one line, followed by the usage; exit code 2. */
export class UsageError extends Error {}

/** Something the operator asked that cannot be done (no such key, a domain added twice…); exit code 1. */
export class CommandError extends Error {}

/**
 * What to print for a failure, and the exit code: the sentence alone for what the operator can fix (a refused
 * request, a wrong TAIFA_SECRET, a database that cannot be reached), the stack too for a fault of ours.
 */
export function describeFailure(error: unknown): { text: string; code: number } {
  if (error instanceof ConfigError) return { text: `Configuration error: ${error.message}`, code: 2 };
  if (error instanceof AppError) {
    // The fields the sentence leaves out (sender and domain refusals carry their own sentence once).
    const fields = (error.errors ?? []).filter((e) => !error.message.includes(e.error));
    return { text: [error.message, ...fields.map((e) => `  ${e.field}: ${e.error}`)].join('\n'), code: 1 };
  }
  if (error instanceof CommandError || error instanceof SecretKeyError) return { text: error.message, code: 1 };
  // A system or database error (ECONNREFUSED, PostgreSQL's 3D000 "database does not exist"…) is the setup's.
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string')
    return { text: error.message, code: 1 };
  return { text: error instanceof Error ? (error.stack ?? error.message) : String(error), code: 1 };
}

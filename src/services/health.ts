import { errors } from '../core/errors.js';
import type { Store } from '../store/database.js';
import { databaseAnswers } from '../store/health-repo.js';

/** Resolves when this process can serve: its database answers (503 otherwise). */
export async function checkReady(store: Store): Promise<void> {
  if (!(await databaseAnswers(store.db))) throw errors.unavailable('The database does not answer.');
}

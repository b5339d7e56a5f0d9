import { parseCsv } from '../core/csv.js';
import { errors } from '../core/errors.js';
import { checkSuppression, type CheckedSuppression } from '../core/suppression-input.js';
import { storeSuppressions, type SuppressionDeps } from './suppressions.js';

/** The columns of an import file, in the order its header row may give them (any order works). */
export const IMPORT_COLUMNS = ['address', 'type', 'domain', 'tag', 'reason'] as const;
/** The most data rows one file may hold. */
export const MAX_IMPORT_ROWS = 100_000;

/** What an import did. */
export interface ImportSummary {
  added: number;
  already_suppressed: number;
  invalid: Array<{ line: number; error: string }>;
}

/** The header row's columns by name; 422 when it is missing one that is required or names an unknown one. */
function columnsOf(header: readonly string[]): Map<string, number> {
  const names = header.map((h) => h.trim().toLowerCase());
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n));
  const missing = ['address', 'type'].filter((n) => !names.includes(n));
  if (unknown.length || missing.length)
    throw errors.validation([
      {
        field: 'body',
        error: `must start with a header row naming its columns, from ${IMPORT_COLUMNS.join(',')} (address and type required)${
          missing.length ? `; missing ${missing.join(', ')}` : ''
        }${unknown.length ? `; unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')}` : ''}`,
      },
    ]);
  return new Map(names.map((n, i) => [n, i]));
}

/**
 * POST /v1/suppressions/import: a CSV file with a header row, one suppression per row. Rows that are
 * not valid are reported by line and skipped; the others are stored together.
 */
export async function importSuppressions(
  deps: SuppressionDeps,
  accountId: string,
  csv: string,
): Promise<ImportSummary> {
  const { records, errors: unreadable } = parseCsv(csv);
  const [header, ...rows] = records;
  if (!header || (unreadable[0] && unreadable[0].line < header.line))
    throw errors.validation([{ field: 'body', error: 'must start with a header row: address,type,domain,tag,reason' }]);
  if (rows.length > MAX_IMPORT_ROWS)
    throw errors.validation([
      { field: 'body', error: `has ${rows.length} rows; one file may hold at most ${MAX_IMPORT_ROWS}` },
    ]);
  const columns = columnsOf(header.fields);
  const invalid: ImportSummary['invalid'] = [...unreadable];
  const valid: CheckedSuppression[] = [];
  for (const r of rows) {
    if (r.fields.length !== header.fields.length) {
      invalid.push({
        line: r.line,
        error: `has ${r.fields.length} fields; the header row has ${header.fields.length}`,
      });
      continue;
    }
    const field = (name: string) => {
      const i = columns.get(name);
      return i === undefined ? undefined : r.fields[i];
    };
    const checked = checkSuppression({
      address: field('address'),
      type: field('type'),
      domain: field('domain'),
      tag: field('tag'),
      reason: field('reason'),
    });
    if (checked.ok) valid.push(checked.value);
    else invalid.push({ line: r.line, error: checked.errors.map((e) => `${e.field} ${e.error}`).join('; ') });
  }
  invalid.sort((a, b) => a.line - b.line);
  const added = valid.length ? await storeSuppressions(deps, accountId, valid) : [];
  const n = added.filter(Boolean).length;
  return { added: n, already_suppressed: added.length - n, invalid };
}

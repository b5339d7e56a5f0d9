import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * The JSON columns of schema.ts, by name (each name is a JSON column in whichever table has it). They
 * are text in both databases; their rows are decoded here, once, for every query that reads them,
 * including the written-out statements of the hot paths.
 */
const JSON_COLUMNS: ReadonlySet<string> = new Set([
  'limits',
  'settings',
  'records',
  'to_json',
  'cc_json',
  'bcc_json',
  'reply_to_json',
  'headers_json',
  'tags_json',
  'tracking_json',
  'last_reply',
  'metadata',
  'response',
  'searches',
  'event_types',
]);

/** Decodes the JSON columns of every row a query returns (see JSON_COLUMNS). */
export class JsonColumnsPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of args.result.rows) {
      for (const column in row) {
        const value = row[column];
        if (typeof value === 'string' && JSON_COLUMNS.has(column)) row[column] = JSON.parse(value);
      }
    }
    return args.result;
  }
}

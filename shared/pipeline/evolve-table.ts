// The schema side of a commit: each change-set's schema (plus the engine's columns) evolves the table's,
// in the commit's own transaction; text columns it brings keep their source types (json, numeric, …) in
// the pg-types property for the readers after this commit.

import type { ChangeSetInfo } from '../changes/change-set.js';
import { EVENT_UUID_COLUMN, ORDER_COLUMNS } from '../cow/order-columns.js';
import { checkPrimaryKey, evolveSchema } from '../cow/evolve-schema.js';
import { renderValue } from '../datastream/errors.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import { SchemaEvolutionError } from '../iceberg/spec/schema.js';
import type { NestedField, Schema } from '../iceberg/spec/types.js';
import type { Logger } from '../log.js';
import type { ChangesetRecord } from '../ports/state-store.js';
import { PG_TYPES_PROPERTY } from '../iceberg/table-properties.js';
import type { TableTransaction } from '../table/transaction.js';
import type { LoadedChangeset } from './changeset-batch.js';
import { primaryKeysOf } from './load-or-create-table.js';
import { textColumnTypes } from './table-request.js';

/**
 * A change-set whose types were learnt from its own file (inferred from JSON values, or its Avro schema)
 * and that the table cannot take: the guess of one process that had not seen the table (another created
 * it meanwhile from a file with other types). The file is at fault, not the table: the commit rejects this
 * change-set, fails its file with the reason, and goes on with the others.
 */
export class LearntChangesetConflictError extends SchemaEvolutionError {
  constructor(
    message: string,
    readonly changeset: ChangesetRecord,
  ) {
    super(message);
    this.name = 'LearntChangesetConflictError';
  }
}

/** Evolve `tx`'s schema by every change-set of the batch; a change that cannot be applied throws. */
export function evolveTable(
  tx: TableTransaction,
  batch: readonly LoadedChangeset[],
  table: string,
  log: Logger,
): void {
  let metadata = tx.metadata;
  const addedTypes: Record<string, string> = {};
  for (const cs of batch) {
    const evolved = evolveWithSource(metadata, cs, table);
    if (evolved.updates.length > 0) {
      log.notice('schema evolved', { added: evolved.added, widened: evolved.widened });
      metadata = evolved.metadata;
      Object.assign(addedTypes, addedTextColumnTypes(cs.decoded.info, evolved.added));
    }
  }
  if (metadata === tx.metadata) return;
  tx.setCurrentSchema(metadata);
  if (Object.keys(addedTypes).length > 0) {
    const known = tx.base.properties?.[PG_TYPES_PROPERTY];
    const types = { ...(known ? (JSON.parse(known) as Record<string, string>) : {}), ...addedTypes };
    tx.setProperties({ [PG_TYPES_PROPERTY]: JSON.stringify(types) });
  }
}

const ORDER_FIELDS: NestedField[] = ORDER_COLUMNS.map((name, i) => ({
  id: 1_000_000 + i,
  name,
  required: false,
  type: 'long',
}));

const EVENT_UUID_FIELD: NestedField = {
  id: 1_000_002,
  name: EVENT_UUID_COLUMN,
  required: false,
  type: 'string',
};

/** The engine's columns, which evolution adds to a table that lacks them (one created before they were). */
function withEngineColumns(schema: Schema, primaryKeys: readonly string[]): Schema {
  const engine = primaryKeys.length > 0 ? ORDER_FIELDS : [...ORDER_FIELDS, EVENT_UUID_FIELD];
  return {
    ...schema,
    fields: [...schema.fields, ...engine.filter((f) => !schema.fields.some((g) => g.name === f.name))],
  };
}

/**
 * Evolve the schema by one change-set; a change that cannot be applied names, besides the column and
 * both types, the file the change-set came from and the first line and value of that column in it.
 */
function evolveWithSource(metadata: TableMetadata, cs: LoadedChangeset, table: string) {
  try {
    const primaryKeys = primaryKeysOf(metadata, cs.decoded.info.primaryKeys);
    checkPrimaryKey(primaryKeys, cs.decoded.info.primaryKeys, table);
    return evolveSchema(metadata, withEngineColumns(cs.decoded.info.schema, primaryKeys), table, {
      learnt: cs.decoded.info.learntFrom !== undefined,
    });
  } catch (error) {
    if (!(error instanceof SchemaEvolutionError)) throw error;
    const { source } = cs.decoded.info;
    let where = `${source.bucket}/${source.name}#${source.generation}`;
    const column = /column "([^"]+)"/.exec(error.message)?.[1];
    const event = column === undefined ? undefined : cs.decoded.events.find((e) => e.row[column] != null);
    if (event && column !== undefined) {
      where = `${event.source.object}:${event.source.line}: column "${column}", value ${renderValue(event.row[column])}`;
    }
    if (cs.decoded.info.learntFrom !== undefined) {
      throw new LearntChangesetConflictError(
        `${where}: the types learnt from the file do not fit the table: ${error.message}`,
        cs.record,
      );
    }
    throw new SchemaEvolutionError(`${error.message} (change-set ${cs.record.id} from ${where})`);
  }
}

/** Source types of the text columns a change-set brought into the table. */
function addedTextColumnTypes(info: ChangeSetInfo, added: readonly string[]): Record<string, string> {
  if (!info.sourceTypes || added.length === 0) return {};
  const names = new Set(added);
  const columns = Object.entries(info.sourceTypes)
    .filter(([name]) => names.has(name))
    .map(([name, pgType]) => ({ name, pgType }));
  return textColumnTypes(info.schema, columns);
}

// Stage hand-made change-sets the way ingest does (object + pending record), for tests that need exact
// control over the events of each change-set.

import { encodeChangeSet, readChangeSetInfo } from '../../../../shared/changes/change-set.js';
import { tableKey, type ChangeEvent, type TableRef } from '../../../../shared/changes/change-event.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';
import { changesetLocation } from '../../../../shared/pipeline/ingest-file.js';
import type { ObjectStore } from '../../../../shared/ports/object-store.js';
import type { StateStore } from '../../../../shared/ports/state-store.js';

let uuidSeq = 0;
let objectSeq = 0;

export function change(
  table: TableRef,
  primaryKeys: string[],
  op: ChangeEvent['op'],
  row: Row,
  sourceTsMs: number,
  lsn = BigInt(sourceTsMs),
): ChangeEvent {
  return {
    table,
    op,
    key: primaryKeys.map((k) => row[k] ?? null),
    order: { sourceTsMs, lsn },
    uuid: `u-${uuidSeq++}`,
    row,
    changeType: op === 'delete' ? 'DELETE' : 'UPDATE',
    backfill: false,
    source: { object: 'test', line: 1 },
  };
}

export async function stageChangeset(
  deps: { objects: ObjectStore; state: StateStore; workRoot: string },
  table: TableRef,
  schema: Schema,
  primaryKeys: string[],
  events: ChangeEvent[],
  createdAtMs = Date.now(),
  learntFrom?: 'avro-schema' | 'json-values',
): Promise<string> {
  const name = `test/${objectSeq++}.jsonl`;
  const bytes = encodeChangeSet(
    {
      table,
      source: { bucket: 'landing', name, generation: '1' },
      schema,
      primaryKeys,
      ...(learntFrom ? { learntFrom } : {}),
    },
    events.map((e) => ({ ...e, source: { object: name, line: 1 } })),
  );
  const info = readChangeSetInfo(bytes);
  const key = tableKey(table);
  const location = changesetLocation(deps.workRoot, table, info.id);
  await deps.objects.put(location, bytes);
  await deps.state.putChangeset({
    id: info.id,
    table: key,
    fileId: name,
    location,
    eventCount: info.eventCount,
    minOrder: '',
    maxOrder: '',
    status: 'pending',
    createdAtMs,
  });
  return info.id;
}

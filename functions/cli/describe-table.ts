// How `tables describe` prints a table's description (shared/pipeline/table-info.ts) as text.

import { EVENT_UUID_COLUMN, type TableDescription } from '../../shared/pipeline/table-info.js';

export function formatDescription(d: TableDescription): string {
  const lines = [
    `table ${d.table} (Iceberg v${d.formatVersion}, uuid ${d.tableUuid})`,
    `location ${d.location}`,
    '',
    'columns:',
    ...d.columns.map(
      (c) =>
        `  ${String(c.id).padStart(7)}  ${c.name}  ${c.iceberg}${c.required ? ' not null' : ''}` +
        (c.engine
          ? c.name === EVENT_UUID_COLUMN
            ? '  (event uuid)'
            : '  (order column)'
          : c.postgres
            ? `  ← postgres ${c.postgres}`
            : ''),
    ),
    `primary key: ${d.primaryKey.length > 0 ? d.primaryKey.join(', ') : 'none (insert-only)'}`,
    `partition spec: ${
      d.partitionSpec.length > 0
        ? d.partitionSpec.map((p) => `${p.name} = ${p.transform}(${p.source})`).join(', ')
        : 'unpartitioned'
    }`,
    'properties:',
    ...Object.entries(d.properties)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `  ${k} = ${v}`),
    d.currentSnapshot
      ? `current snapshot: ${d.currentSnapshot.id} at ${d.currentSnapshot.at} (${d.currentSnapshot.operation})`
      : 'current snapshot: none',
    `write mode: ${d.writeMode}`,
    `data files: ${d.dataFiles}, rows: ${d.rows}` +
      (d.deleteFiles > 0 || d.deletedRows > 0
        ? `; position delete files: ${d.deleteFiles}, deleted rows: ${d.deletedRows} (${d.rows - d.deletedRows} live)`
        : ''),
  ];
  return `${lines.join('\n')}\n`;
}

// Datastream JSONL text for hand-made events: `count` inserts into schema.table with ids from `first`,
// each carrying `payload`. For tests about what the source names hold, not about value types.

export function insertLines(
  schema: string,
  table: string,
  payload: Record<string, unknown>,
  first = 1,
  count = 2,
): string {
  const lines: string[] = [];
  for (let id = first; id < first + count; id++) {
    const ms = 1795510800000 + id;
    const lsn = `16/${id.toString(16).toUpperCase()}`;
    lines.push(
      JSON.stringify({
        uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
        read_timestamp: new Date(ms + 1000).toISOString(),
        source_timestamp: new Date(ms).toISOString(),
        object: 'x',
        read_method: 'postgresql-cdc',
        stream_name: 'projects/p/locations/l/streams/s',
        schema_key: 'k',
        sort_keys: [ms, lsn],
        source_metadata: {
          schema,
          table,
          is_deleted: false,
          change_type: 'INSERT',
          tx_id: id,
          lsn,
          primary_keys: ['id'],
        },
        payload: { id, ...payload },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

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

/**
 * One Datastream JSONL line (no newline): an insert into public.items of `payload` (its `id` names the
 * event), at source time `ms` (default: a fixed instant plus the id); `primaryKeys` as the file states
 * them, absent unless given.
 */
export function itemLine(
  payload: { id: number } & Record<string, unknown>,
  options: { ms?: number; primaryKeys?: string[] } = {},
): string {
  const { id } = payload;
  const ms = options.ms ?? 1_795_510_801_000 + id;
  return JSON.stringify({
    uuid: `u${id}`,
    read_timestamp: '2026-11-24T09:00:16.767000Z',
    source_timestamp: new Date(ms).toISOString(),
    object: 'public_items',
    read_method: 'postgresql-cdc',
    sort_keys: [ms, `1/${id}`],
    source_metadata: {
      schema: 'public',
      table: 'items',
      is_deleted: false,
      change_type: 'INSERT',
      lsn: `1/${id}`,
      ...(options.primaryKeys ? { primary_keys: options.primaryKeys } : {}),
    },
    payload,
  });
}

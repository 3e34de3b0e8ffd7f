// The baseline of the copy-on-write benchmark: PyIceberg applies the same changes to its own copy of the
// table with `upsert` (updates and inserts) then `delete`, uniform keys then hot keys, then the per-event
// method (one delete + append transaction per event). Run by test/bench/cow.ts through runPython.

import type { ChangeEvent } from '../../shared/changes/change-event.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from '../../shared/cow/order-columns.js';

export interface PyIcebergFigures {
  upsert_seconds: number;
  delete_seconds: number;
  hot_upsert_seconds: number;
  hot_delete_seconds: number;
  per_event_seconds: number;
  per_event_events: number;
}

/** The changes as PyIceberg's input JSON (ids, decimals and timestamps as strings, exact). */
export function pyIcebergInput(events: readonly ChangeEvent[]): string {
  return JSON.stringify({
    upserts: events
      .filter((e) => e.op === 'upsert')
      .map((e) => ({
        id: String(e.row.id),
        name: e.row.name,
        price: String(e.row.price),
        qty: e.row.qty,
        updated_at: String(e.row.updated_at),
        ts: e.order.sourceTsMs,
        lsn: String(e.order.lsn),
      })),
    deletes: events.filter((e) => e.op === 'delete').map((e) => String(e.key[0])),
  });
}

/**
 * Arguments: the SQLite catalog file, the warehouse folder, the table (namespace.name) and a JSON file
 * {"uniform": input, "hot": input, "perEvent": n, "perEventSeconds": s}.
 */
export const PYICEBERG_CHANGES = `
import json, sys, time, decimal
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import In, EqualTo
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = c.load_table(sys.argv[3])
data = json.load(open(sys.argv[4]))
schema = t.schema().as_arrow()
def table_of(rows):
    return pa.Table.from_pylist([{
        "id": int(r["id"]), "name": r["name"], "price": decimal.Decimal(r["price"]).scaleb(-2),
        "qty": r["qty"], "updated_at": int(r["updated_at"]),
        "${SOURCE_TS_COLUMN}": r["ts"], "${LSN_COLUMN}": int(r["lsn"]),
    } for r in rows], schema=schema)
def apply(changes):
    up = table_of(changes["upserts"])
    start = time.perf_counter()
    t.upsert(up, join_cols=["id"])
    upsert_s = time.perf_counter() - start
    start = time.perf_counter()
    t.delete(In("id", [int(x) for x in changes["deletes"]]))
    return upsert_s, time.perf_counter() - start
upsert_s, delete_s = apply(data["uniform"])
hot_upsert_s, hot_delete_s = apply(data["hot"])
# the per-event method: one delete + append commit per event, up to perEvent events or perEventSeconds
events = data["uniform"]["upserts"][: data["perEvent"]]
start = time.perf_counter()
done = 0
for r in events:
    tx = t.transaction()
    tx.delete(EqualTo("id", int(r["id"])))
    tx.append(table_of([r]))
    tx.commit_transaction()
    done += 1
    if time.perf_counter() - start > data["perEventSeconds"]:
        break
per_event = (time.perf_counter() - start) / max(1, done)
print(json.dumps({"upsert_seconds": round(upsert_s, 3), "delete_seconds": round(delete_s, 3), "hot_upsert_seconds": round(hot_upsert_s, 3), "hot_delete_seconds": round(hot_delete_s, 3), "per_event_seconds": round(per_event, 4), "per_event_events": done}))
`;

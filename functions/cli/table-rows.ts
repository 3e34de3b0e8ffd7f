// A table's current rows in the canonical row form, sorted by primary key (a table without one by the
// row text), with the engine's order columns left out: what `show` prints and tests compare.

import { compareKey } from '../../shared/cow/keys.js';
import { ORDER_COLUMNS } from '../../shared/cow/table-properties.js';
import { canonicalRowText } from '../../shared/datastream/canonical-form.js';
import { readTableRows } from '../../shared/iceberg/table-writer.js';
import { ConfiguredTableDirectory } from '../../shared/pipeline/table-directory.js';
import type { Catalog } from '../../shared/ports/catalog.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';

const ENGINE_COLUMNS = new Set<string>(ORDER_COLUMNS);

export async function canonicalTableRows(
  catalog: Catalog,
  objects: ObjectStore,
  table: { namespace: string; name: string },
): Promise<string[]> {
  const ref = { schema: table.namespace, name: table.name };
  const id = { namespace: [table.namespace], name: table.name };
  // the directory compiles the table from its catalog schema and properties (key, source types)
  const compiled = await new ConfiguredTableDirectory({}, catalog).resolve(ref);
  if (!compiled) throw new NoSuchTableError(id);
  const { metadata } = await catalog.loadTable(id);
  const columns = compiled.columns.filter((c) => !ENGINE_COLUMNS.has(c.name));
  const rows = await readTableRows(
    metadata,
    objects,
    columns.map((c) => c.field),
  );
  const keyed = rows.map((row) => ({
    key: compiled.keyColumns.map((c) => row[c.name] ?? null),
    text: canonicalRowText(columns, row),
  }));
  keyed.sort((a, b) => compareKey(a.key, b.key) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map((r) => r.text);
}

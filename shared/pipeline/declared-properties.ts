// The table properties a table is created with beyond the engine's own (table-request.ts): its
// declaration's `properties` and `write_mode`, else the runtime's default write mode (`--write-mode`,
// DSI_WRITE_MODE). Checked as a commit reads them, so a wrong value fails when the tables are read,
// naming the table, the property and the value, not at the table's first merge.

import { ConfigError } from '../config.js';
import { writeModeChoice } from '../cow/write-mode-choice.js';
import type { TableDefinition } from '../datastream/table.js';
import { WRITE_MODES, writeModeProperties, type WriteMode } from '../iceberg/table-properties.js';

/** A write mode given as text (`where` names its origin in the error). */
export function parseWriteMode(value: string, where: string): WriteMode {
  if (!(WRITE_MODES as readonly string[]).includes(value))
    throw new ConfigError(
      `${where}: write mode ${JSON.stringify(value)} is not one of ${WRITE_MODES.join(', ')}`,
    );
  return value as WriteMode;
}

/**
 * The properties of a table created now: the default mode's, then the declaration's (its write mode
 * last). `table` is the table key.
 */
export function creationProperties(
  table: string,
  definition: Pick<TableDefinition, 'properties' | 'writeMode'> | undefined,
  defaultMode: WriteMode | undefined,
): Record<string, string> {
  const properties: Record<string, string> = {
    ...(defaultMode ? writeModeProperties(defaultMode) : {}),
    ...definition?.properties,
  };
  if (definition?.writeMode !== undefined)
    Object.assign(properties, writeModeProperties(parseWriteMode(definition.writeMode, `table ${table}`)));
  try {
    writeModeChoice(properties, table);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return properties;
}

export { WRITE_MODES, type WriteMode };

/** A create-table request with `extra` properties added; the engine's own properties win. */
export function withCreationProperties<T extends { properties?: Record<string, string> }>(
  request: T,
  extra: Record<string, string> | undefined,
): T {
  return extra ? { ...request, properties: { ...extra, ...request.properties } } : request;
}

/** A property a table was asked for (declared, or the default write mode) that it does not have. */
export interface PropertyNotTaken {
  name: string;
  /** The table's value; undefined when the table has none. */
  value: string | undefined;
  asked: string;
}

/**
 * The asked-for properties an existing table holds otherwise. They are set when a table is created only
 * (a table's mode is its own: another engine or an operator may have changed it since), so a run that
 * asks for others says so instead of committing in the table's mode without a word.
 */
export function propertiesNotTaken(
  asked: Record<string, string> | undefined,
  actual: Record<string, string> | undefined,
): PropertyNotTaken[] {
  return Object.entries(asked ?? {})
    .filter(([name, value]) => actual?.[name] !== value)
    .map(([name, value]) => ({ name, value: actual?.[name], asked: value }));
}

/** One line naming the table and each property it keeps, with the value asked for. */
export function describePropertiesNotTaken(table: string, notTaken: PropertyNotTaken[]): string {
  const each = notTaken.map((p) =>
    p.value === undefined
      ? `${p.name} (unset; asked: ${p.asked})`
      : `${p.name}=${p.value} (asked: ${p.asked})`,
  );
  return (
    `table ${table} keeps ${each.join(', ')}: write_mode, properties and --write-mode apply when a table ` +
    `is created; change an existing table's properties in the catalog`
  );
}

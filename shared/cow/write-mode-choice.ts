// How a commit changes the rows of one existing data file: rewritten (copy-on-write) or masked by a
// position delete file with the new versions in new files (merge-on-read). The table's write mode says
// which (table-properties.ts); `auto` chooses per file: merge-on-read costs a read of the key and order
// columns and a small delete file, but every later reader pays for the deleted rows still stored and for
// each delete file, so a file whose changed share is large, or that carries many delete files already,
// is rewritten instead (its delete files then go with it).

import {
  AUTO_MAX_DELETE_FILES_PROPERTY,
  AUTO_REWRITE_FRACTION_PROPERTY,
  DEFAULT_AUTO_MAX_DELETE_FILES,
  DEFAULT_AUTO_REWRITE_FRACTION,
  writeModeOf,
  type WriteMode,
} from '../iceberg/table-properties.js';

/** A table property the engine reads has a value it cannot use (the table fails until it is fixed). */
export class TablePropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TablePropertyError';
  }
}

export interface WriteModeChoice {
  mode: WriteMode;
  /** auto: rewrite when (changed + already deleted rows) / record count reaches this. */
  rewriteFraction: number;
  /** auto: rewrite a file that already has this many delete files. */
  maxDeleteFiles: number;
}

/**
 * A plain decimal number: Number() alone also takes "0x1", "0b1" and padded text, which the other
 * engines reading these properties do not read as the same number.
 */
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The table's write mode and auto bounds; an invalid value fails naming the table, property and value. */
export function writeModeChoice(
  properties: Record<string, string> | undefined,
  table: string,
): WriteModeChoice {
  let mode: WriteMode;
  try {
    mode = writeModeOf(properties);
  } catch (error) {
    throw new TablePropertyError(`table ${table}: ${(error as Error).message}`);
  }
  const fraction = properties?.[AUTO_REWRITE_FRACTION_PROPERTY];
  const maxFiles = properties?.[AUTO_MAX_DELETE_FILES_PROPERTY];
  const rewriteFraction = fraction === undefined ? DEFAULT_AUTO_REWRITE_FRACTION : Number(fraction);
  if (fraction !== undefined && !(DECIMAL.test(fraction) && rewriteFraction >= 0 && rewriteFraction <= 1))
    throw new TablePropertyError(
      `table ${table}: table property ${AUTO_REWRITE_FRACTION_PROPERTY}=${JSON.stringify(fraction)} is not a number from 0 to 1`,
    );
  const maxDeleteFiles = maxFiles === undefined ? DEFAULT_AUTO_MAX_DELETE_FILES : Number(maxFiles);
  if (maxFiles !== undefined && !(/^\d+$/.test(maxFiles) && maxDeleteFiles >= 1))
    throw new TablePropertyError(
      `table ${table}: table property ${AUTO_MAX_DELETE_FILES_PROPERTY}=${JSON.stringify(maxFiles)} is not a positive integer`,
    );
  return { mode, rewriteFraction, maxDeleteFiles };
}

/**
 * Whether a data file with `changedRows` stored rows to change is rewritten copy-on-write (merge-on-read
 * otherwise). `deletedRows`: rows its delete files already remove; `deleteFiles`: how many apply to it.
 */
export function rewritesFile(
  choice: WriteModeChoice,
  file: { recordCount: number; deleteFiles: number; deletedRows: number },
  changedRows: number,
): boolean {
  if (choice.mode === 'copy-on-write') return true;
  if (choice.mode === 'merge-on-read') return false;
  if (file.deleteFiles >= choice.maxDeleteFiles) return true;
  return (changedRows + file.deletedRows) / Math.max(1, file.recordCount) >= choice.rewriteFraction;
}

// `datastream-iceberg show`: a table's rows as JSON lines in the canonical row form, sorted by key.

import { silentLogger } from '../../shared/log.js';
import { canonicalTableRows } from '../../shared/pipeline/table-info.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import {
  COMMON_OPTIONS,
  existingWarehouse,
  integerOption,
  parseCommandLine,
  parseTableName,
  requireOption,
  UsageError,
} from './args.js';
import type { CliCommand } from './command.js';

const USAGE = `usage: datastream-iceberg show <namespace.table> --warehouse <dir> [--limit <n>]

Prints the table's current rows, one JSON object per line, sorted by primary key (a table without one by
the row's text), in the canonical form of the test scenarios' expected/ files: integers exact, numeric(p,s)
as a string with s decimals, jsonb as its JSON value, date/time/timestamp as ISO text with microseconds,
timestamptz in UTC ending in Z, bytea as base64. The engine's order columns are left out.

options:
  --warehouse <dir>   the warehouse folder (holding catalog.db)
  --limit <n>         only the first n rows (in key order)
  -h, --help          this help

The output is JSON lines already; --json is accepted and changes nothing.

exit codes: 0 printed, 1 no such table, 2 usage`;

export const showCommand: CliCommand = {
  name: 'show',
  summary: "a table's rows as JSON lines in the canonical form, sorted by key",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: { ...COMMON_OPTIONS, warehouse: { type: 'string' }, limit: { type: 'string' } },
    });
    if (positionals.length > 1) throw new UsageError(`show takes one table, got ${positionals.join(' ')}`);
    const table = parseTableName(positionals[0], 'show');
    const warehouse = existingWarehouse(requireOption(values.warehouse, 'warehouse <dir>', 'show'));
    const limit = integerOption(values.limit, 'limit', Number.POSITIVE_INFINITY);
    const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
    try {
      const rows = await canonicalTableRows(runtime.catalog, runtime.objects, table);
      const shown = rows.slice(0, limit);
      process.stdout.write(shown.length > 0 ? `${shown.join('\n')}\n` : '');
      return 0;
    } catch (error) {
      if (!(error instanceof NoSuchTableError)) throw error;
      process.stderr.write(`datastream-iceberg show: ${error.message} in ${runtime.catalogPath}\n`);
      return 1;
    } finally {
      runtime.close();
    }
  },
};

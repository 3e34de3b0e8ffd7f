// `datastream-iceberg tables create|describe`: make a table from its declared definition before any
// change arrives (as a Spark `CREATE TABLE … USING iceberg` initializer would), and show what a table is.

import { tableKey } from '../../shared/names/table-key.js';
import { compileTableDefinition } from '../../shared/datastream/table.js';
import {
  creationProperties,
  describePropertiesNotTaken,
  propertiesNotTaken,
  withCreationProperties,
} from '../../shared/pipeline/declared-properties.js';
import { silentLogger } from '../../shared/log.js';
import { describeTable } from '../../shared/pipeline/table-info.js';
import { engineTableRequest } from '../../shared/pipeline/table-request.js';
import { NoSuchTableError, TableAlreadyExistsError } from '../../shared/ports/catalog.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import {
  COMMON_OPTIONS,
  existingWarehouse,
  parseCommandLine,
  parseTableName,
  requireOption,
  UsageError,
} from './args.js';
import type { CliCommand } from './command.js';
import { formatDescription } from './describe-table.js';
import { readTablesFile, TABLES_FILE } from './tables-file.js';

const USAGE = `usage: datastream-iceberg tables create <namespace.table> --warehouse <dir> --tables <${TABLES_FILE}> [--if-not-exists] [--json]
       datastream-iceberg tables describe <namespace.table> --warehouse <dir> [--json]

create     creates the Iceberg table from its declared definition in the tables file, as the engine
           creates it on the first change: the columns with their Iceberg types (see shared/iceberg/TYPES.md),
           the order columns _cdc_source_ts_ms and _cdc_lsn, the primary key as identifier fields and
           write order, the source types of text-stored columns as a table property. Refuses when the
           table exists, unless --if-not-exists.
describe   the current schema (field ids, Iceberg and PostgreSQL types), primary key, partition spec,
           properties, current snapshot, data file count and row count.

options:
  --warehouse <dir>   the warehouse folder (catalog.db); create makes it when missing
  --tables <file>     declared tables (${TABLES_FILE} format), for create
  --if-not-exists     create: an existing table is left as it is and reported, exit 0
  --json              one JSON object on stdout
  -h, --help          this help

exit codes: 0 done, 1 the table exists (create) or does not (describe), 2 usage`;

async function create(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      warehouse: { type: 'string' },
      tables: { type: 'string' },
      'if-not-exists': { type: 'boolean' },
    },
  });
  if (positionals.length > 1)
    throw new UsageError(`tables create takes one table, got ${positionals.join(' ')}`);
  const name = parseTableName(positionals[0], 'tables create');
  const warehouse = requireOption(values.warehouse, 'warehouse <dir>', 'tables create');
  const tablesFile = requireOption(values.tables, `tables <${TABLES_FILE}>`, 'tables create');
  const key = tableKey({ schema: name.namespace, name: name.name });
  const declared = readTablesFile(tablesFile);
  const definition = Object.hasOwn(declared, key) ? declared[key] : undefined;
  if (!definition) throw new UsageError(`${tablesFile} declares no table ${key}`);
  const compiled = compileTableDefinition({ schema: name.namespace, name: name.name }, definition);
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    let created = true;
    await runtime.catalog.createNamespace([name.namespace]);
    try {
      await runtime.catalog.createTable(
        [name.namespace],
        withCreationProperties(
          engineTableRequest(name.name, compiled.schema, compiled.primaryKeys, compiled.columns),
          creationProperties(key, definition, undefined),
        ),
      );
    } catch (error) {
      if (!(error instanceof TableAlreadyExistsError)) throw error;
      if (!values['if-not-exists']) {
        process.stderr.write(
          `datastream-iceberg tables create: ${key} already exists in ${runtime.catalogPath} (--if-not-exists to accept it)\n`,
        );
        return 1;
      }
      created = false;
    }
    const { metadata } = await runtime.catalog.loadTable({ namespace: [name.namespace], name: name.name });
    const description = describeTable(key, metadata);
    // an existing table keeps its properties: say which declared ones it holds otherwise
    const notTaken = created
      ? []
      : propertiesNotTaken(creationProperties(key, definition, undefined), metadata.properties);
    if (notTaken.length > 0) process.stderr.write(`note: ${describePropertiesNotTaken(key, notTaken)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ created, ...description })}\n`);
    else {
      process.stdout.write(`${created ? 'created' : 'exists already:'} ${key} at ${description.location}\n`);
    }
    return 0;
  } finally {
    runtime.close();
  }
}

async function describe(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, warehouse: { type: 'string' } },
  });
  if (positionals.length > 1)
    throw new UsageError(`tables describe takes one table, got ${positionals.join(' ')}`);
  const name = parseTableName(positionals[0], 'tables describe');
  const warehouse = existingWarehouse(requireOption(values.warehouse, 'warehouse <dir>', 'tables describe'));
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const { metadata } = await runtime.catalog.loadTable({ namespace: [name.namespace], name: name.name });
    const description = describeTable(tableKey({ schema: name.namespace, name: name.name }), metadata);
    process.stdout.write(values.json ? `${JSON.stringify(description)}\n` : formatDescription(description));
    return 0;
  } catch (error) {
    if (!(error instanceof NoSuchTableError)) throw error;
    process.stderr.write(`datastream-iceberg tables describe: ${error.message} in ${runtime.catalogPath}\n`);
    return 1;
  } finally {
    runtime.close();
  }
}

export const tablesCommand: CliCommand = {
  name: 'tables',
  summary: 'tables create (from a declared definition) | tables describe (schema, key, snapshot, counts)',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'create':
        return create(rest);
      case 'describe':
        return describe(rest);
      case undefined:
        throw new UsageError('tables needs a sub-command: create or describe');
      default:
        throw new UsageError(`unknown tables sub-command "${sub}" (create or describe)`);
    }
  },
};

// The sub-commands of `datastream-iceberg`, in the order the top-level help lists them. A command is one
// file exporting a CliCommand; it is wired in by adding it here.

import { applyCommand } from './apply.js';
import type { CliCommand } from './command.js';
import { maintainCommand } from './maintain.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { showCommand } from './show.js';
import { statusCommand } from './status.js';
import { tablesCommand } from './tables.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: readonly CliCommand[] = [
  runCommand,
  applyCommand,
  replayCommand,
  statusCommand,
  showCommand,
  tablesCommand,
  maintainCommand,
  verifyCommand,
];

export function topLevelUsage(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `usage: datastream-iceberg <command> [options]

The pipeline on the embedded defaults: a warehouse folder holding catalog.db (a SQLite Iceberg catalog,
namespace = source schema, table = source table) and the table files.

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --help for its usage and --json for one JSON object on stdout.
exit codes: 0 done, 1 work failed or input was rejected, 2 usage error`;
}

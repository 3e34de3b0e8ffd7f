// The `datastream-iceberg` command (the package's bin): picks the sub-command and runs it. Help, usage
// errors and exit codes are handled here once for every command: `<command> --help` prints its usage
// (exit 0); an unknown command or option prints the message and the usage on stderr (exit 2); a
// command's own result is its exit code (0 done, 1 work failed or input rejected).

import { ConfigError } from '../shared/config.js';
import { PathError, reportCommandError, UsageError } from './cli/args.js';
import type { CliCommand } from './cli/command.js';
import { COMMANDS, topLevelUsage } from './cli/registry.js';

const HELP_FLAGS = new Set(['--help', '-h']);

export async function main(
  argv: readonly string[],
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  const usage = topLevelUsage(commands);
  if (name === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (HELP_FLAGS.has(name) || name === 'help') {
    const about = rest[0] === undefined ? undefined : commands.find((c) => c.name === rest[0]);
    process.stdout.write(`${about?.usage ?? usage}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    reportCommandError({ command: '', kind: 'usage', message: `unknown command "${name}"`, usage }, rest);
    return 2;
  }
  // `--` ends the options: a help flag after it is an argument, not a request for help
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.some((a) => HELP_FLAGS.has(a))) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      reportCommandError(
        { command: command.name, kind: 'usage', message: error.message, usage: command.usage },
        rest,
      );
      return 2;
    }
    if (error instanceof ConfigError || error instanceof PathError) {
      const kind = error instanceof ConfigError ? 'config' : 'path';
      reportCommandError({ command: command.name, kind, message: error.message }, rest);
      return 2;
    }
    throw error;
  }
}

/**
 * Exit once stdout and stderr have drained. Into a pipe they are written asynchronously: process.exit
 * right after a large write would cut the output where the pipe's buffer filled (64 KiB), with exit 0.
 * An empty write's callback runs after everything written before it.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitWhenFlushed, (error: unknown) => {
  process.stderr.write(
    `datastream-iceberg: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exitWhenFlushed(1);
});

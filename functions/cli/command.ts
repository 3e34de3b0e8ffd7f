// One sub-command of the `datastream-iceberg` CLI: its name, one-line summary for the top-level help, the
// full text `--help` prints, and the code that runs it. Exit codes: 0 done, 1 work failed or input was
// rejected, 2 usage error.
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

#!/usr/bin/env node
// The CLI entry: the compiled command module does the work.
import('../dist/functions/cli.js').catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

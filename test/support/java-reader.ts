// Runs the Iceberg Java reader (scripts/stack/java-reader/IcebergJavaReader.java, compiled by the stack
// install): Iceberg Java's generic reader, the third witness beside PyIceberg and DuckDB. It prints one
// JSON line per row in the canonical form of test/conformance/support/readers.ts.

import { spawn } from 'node:child_process';
import { stackEnv } from './stack-env.js';

/** Where the reader finds a table: a metadata file, a REST catalog, or a SQLite catalog (JdbcCatalog). */
export type JavaTableSource =
  { metadata: string } | { rest: string; table: string } | { jdbc: string; warehouse: string; table: string };

function argumentsOf(source: JavaTableSource): string[] {
  if ('metadata' in source) return ['metadata', source.metadata];
  if ('rest' in source) return ['rest', source.rest, source.table];
  return ['jdbc', source.jdbc, source.warehouse, source.table];
}

// Same JVM settings as the stack's servers: one short-lived reader at a time on a small machine.
const JVM_FLAGS = ['-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Duser.language=en'];

export function readWithJava<T = Record<string, unknown>>(source: JavaTableSource): Promise<T[]> {
  const classpath = stackEnv('DSI_JAVA_READER_CLASSPATH');
  const args = [...JVM_FLAGS, '-cp', classpath, 'IcebergJavaReader', ...argumentsOf(source)];
  return new Promise<T[]>((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`the Iceberg Java reader exited ${code}:\n${Buffer.concat(err).toString('utf8')}`));
        return;
      }
      const lines = Buffer.concat(out).toString('utf8').split('\n');
      const rows: T[] = [];
      for (const [i, line] of lines.entries()) {
        if (line.trim() === '') continue;
        try {
          rows.push(JSON.parse(line) as T);
        } catch (error) {
          reject(
            new Error(`the Iceberg Java reader's line ${i + 1} is not JSON (${String(error)}): ${line}`),
          );
          return;
        }
      }
      resolve(rows);
    });
  });
}

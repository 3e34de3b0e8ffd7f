// Runs a Python script in the readers' virtual environment (PyIceberg, DuckDB) and returns what it
// printed as JSON on its last line. The independent readers are the witnesses of what we write.

import { spawn } from 'node:child_process';
import { stackEnv } from './stack-env.js';

/**
 * Python source defining `duckdb_connect()`: a DuckDB connection that loads the iceberg (and avro)
 * extension from the duckdb-ext-* packages of the venv, with automatic downloads switched off, so a
 * reader test never depends on the network. Put it at the top of a script given to runPython.
 */
export const DUCKDB_CONNECT = `
import os as _os, duckdb as _duckdb
def duckdb_connect():
    con = _duckdb.connect(config={
        'extension_directory': _os.environ['DSI_DUCKDB_EXTENSION_DIR'],
        'autoinstall_known_extensions': False,
        'autoload_known_extensions': False,
    })
    con.execute('LOAD iceberg')
    return con
`;

/**
 * Python source defining `gcs_properties()`: PyIceberg FileIO properties that read and write gs://
 * locations in fake-gcs-server (pyarrow's GCS filesystem on the emulator's endpoint). The token is never
 * checked by the emulator; giving one keeps the GCS client from looking for credentials elsewhere (the
 * metadata server is off this machine). Pass them to a catalog: RestCatalog(name, uri=…, **gcs_properties()).
 */
export const PYICEBERG_GCS = `
import os as _os, time as _time
def gcs_properties():
    return {
        'gcs.service.host': _os.environ['DSI_STORAGE_EMULATOR_HOST'],
        'gcs.oauth2.token': 'emulator',
        'gcs.oauth2.token-expires-at': str(int(_time.time() * 1000) + 3_600_000),
        'gcs.project-id': _os.environ['GOOGLE_CLOUD_PROJECT'],
    }
`;

export async function runPython<T = unknown>(script: string, args: string[] = []): Promise<T> {
  const python = stackEnv('DSI_PYTHON');
  stackEnv('DSI_DUCKDB_EXTENSION_DIR'); // scripts may use DUCKDB_CONNECT: fail here with the stack's message
  return new Promise<T>((resolve, reject) => {
    const child = spawn(python, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        reject(new Error(`python exited ${code}:\n${Buffer.concat(err).toString('utf8')}`));
        return;
      }
      const lastLine = stdout.slice(stdout.lastIndexOf('\n') + 1);
      try {
        resolve(JSON.parse(lastLine) as T);
      } catch {
        reject(new Error(`python did not end with a JSON line:\n${stdout}`));
      }
    });
  });
}

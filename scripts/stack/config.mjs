// Where the test stack lives and which versions it runs. Every version is pinned here (the Python ones in
// requirements.txt beside this file); ports are declared once, in firebase.json for the emulators that
// Firebase tooling knows and in ports.json for the Iceberg REST catalog and PostgreSQL, and shifted by STACK_PORT_OFFSET
// so that two checkouts can run their stacks side by side.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STACK_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(STACK_DIR, '..', '..');
export const CACHE_DIR = join(REPO_ROOT, '.cache');
export const BIN_DIR = join(CACHE_DIR, 'bin');
export const VENV_DIR = join(CACHE_DIR, 'venv');
export const ICEBERG_DIR = join(CACHE_DIR, 'iceberg');
export const JAVA_READER_DIR = join(CACHE_DIR, 'java-reader');

export const PINS = {
  fakeGcsServer: {
    binary: 'fake-gcs-server',
    module: 'github.com/fsouza/fake-gcs-server',
    version: 'v1.55.1',
  },
  cloudTasksEmulator: {
    binary: 'cloud-tasks-emulator',
    module: 'github.com/aertje/cloud-tasks-emulator',
    version: 'v1.2.0',
  },
  icebergOpenApi: { groupId: 'org.apache.iceberg', artifactId: 'iceberg-open-api', version: '1.10.1' },
  pythonRequirements: join(STACK_DIR, 'requirements.txt'),
  // Iceberg Java's generic reader, a witness beside PyIceberg and DuckDB: its libraries are those Maven
  // resolves for this pom at the iceberg-open-api version above; the program is compiled once.
  javaReader: {
    pom: join(STACK_DIR, 'java-reader', 'pom.xml'),
    source: join(STACK_DIR, 'java-reader', 'IcebergJavaReader.java'),
  },
  // The machine's PostgreSQL server (Debian package; `test_decoding` is part of it), not a download.
  postgres: { major: 15, debianPackage: 'postgresql-15' },
};

/** The project id every emulator and client agrees on; emulators accept any id. */
export const PROJECT_ID = 'dsi-test';

// Loopback only: every service is bound here, whatever the config files say.
export const HOST = '127.0.0.1';

export function portOffset() {
  const raw = process.env.STACK_PORT_OFFSET ?? '0';
  const offset = Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 20000) {
    throw new Error(`STACK_PORT_OFFSET must be an integer between 0 and 20000, got "${raw}"`);
  }
  return offset;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error.message}`);
  }
}

function portOf(file, section, entry) {
  const port = entry?.port;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${file}: "${section}.port" must be a TCP port number, got ${JSON.stringify(port)}`);
  }
  if (entry.host !== undefined && entry.host !== HOST) {
    throw new Error(
      `${file}: "${section}.host" must be ${HOST} (the stack binds loopback only), got "${entry.host}"`,
    );
  }
  return port;
}

/** Ports of every service after STACK_PORT_OFFSET is applied. */
export function stackPorts() {
  const offset = portOffset();
  const firebasePath = join(REPO_ROOT, 'firebase.json');
  const portsPath = join(STACK_DIR, 'ports.json');
  const emulators = readJson(firebasePath).emulators ?? {};
  const extra = readJson(portsPath);
  const base = {
    firestore: portOf(firebasePath, 'emulators.firestore', emulators.firestore),
    pubsub: portOf(firebasePath, 'emulators.pubsub', emulators.pubsub),
    storage: portOf(firebasePath, 'emulators.storage', emulators.storage),
    tasks: portOf(firebasePath, 'emulators.tasks', emulators.tasks),
    catalog: portOf(portsPath, 'icebergRestCatalog', extra.icebergRestCatalog),
    postgres: portOf(portsPath, 'postgres', extra.postgres),
  };
  const shifted = {};
  for (const [name, port] of Object.entries(base)) {
    shifted[name] = port + offset;
    if (shifted[name] > 65535)
      throw new Error(`STACK_PORT_OFFSET ${offset} pushes the ${name} port past 65535`);
  }
  return shifted;
}

/** Folder of one running stack (PIDs, logs, warehouse); one per port offset. */
export function runDir() {
  return join(CACHE_DIR, 'stack', `offset-${portOffset()}`);
}

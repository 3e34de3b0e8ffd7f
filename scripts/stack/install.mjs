// Installs what the test stack runs, once, into the git-ignored .cache/ of the repo. Each install leaves a
// stamp naming the pinned version it installed; a later run whose pins match the stamps installs nothing,
// and a changed pin reinstalls just that piece. Go and Maven keep their own download caches (as npm does),
// so a fresh clone on a machine that built the stack before does not download again.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { BIN_DIR, ICEBERG_DIR, JAVA_READER_DIR, PINS, VENV_DIR } from './config.mjs';
import { exec } from './exec.mjs';
import { ensurePostgres } from './postgres.mjs';

function readStamp(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function log(message) {
  console.error(`[stack] ${message}`);
}

/** Builds a pinned Go main module into .cache/bin with the module's own go.mod and go.sum. */
async function ensureGoBinary({ binary, module, version }) {
  const target = join(BIN_DIR, binary);
  const stampPath = `${target}.stamp.json`;
  const wanted = `${module}@${version}`;
  if (existsSync(target) && readStamp(stampPath)?.installed === wanted) return target;

  log(`installing ${wanted} …`);
  mkdirSync(BIN_DIR, { recursive: true });
  // `go install module@version` would be the usual way, but it also asks the proxy for the module's
  // version list (deprecation check), which is refused for some modules here; downloading the exact
  // version and building inside it uses the same go.mod/go.sum and needs no list.
  const { stdout } = await exec('go', ['mod', 'download', '-json', wanted], { env: goEnv() });
  const moduleDir = JSON.parse(stdout).Dir;
  if (!moduleDir) throw new Error(`go mod download ${wanted} did not report a module folder:\n${stdout}`);
  const partial = `${target}.partial`;
  await exec('go', ['build', '-trimpath', '-o', partial, '.'], { cwd: moduleDir, env: goEnv() });
  renameSync(partial, target);
  writeFileSync(stampPath, JSON.stringify({ installed: wanted }) + '\n');
  return target;
}

function goEnv() {
  // Module-aware, read-only go.mod, no VCS stamping (the module cache has no .git).
  return { ...process.env, GO111MODULE: 'on', GOFLAGS: '-mod=readonly -buildvcs=false' };
}

/** Copies the pinned runnable Iceberg REST catalog jar into .cache/iceberg. */
async function ensureIcebergCatalogJar() {
  const { groupId, artifactId, version } = PINS.icebergOpenApi;
  const jar = join(ICEBERG_DIR, `${artifactId}-${version}.jar`);
  const stampPath = join(ICEBERG_DIR, 'stamp.json');
  const wanted = `${groupId}:${artifactId}:${version}`;
  if (existsSync(jar) && readStamp(stampPath)?.installed === wanted) return jar;

  log(`installing ${wanted} (a self-contained jar of about 200 MB) …`);
  mkdirSync(ICEBERG_DIR, { recursive: true });
  await exec('mvn', [
    '-B',
    '-q',
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
    `-Dartifact=${wanted}:jar`,
    `-DoutputDirectory=${ICEBERG_DIR}`,
    '-Dmdep.overWriteReleases=true',
  ]);
  if (!existsSync(jar)) throw new Error(`mvn reported success but ${jar} is missing`);
  writeFileSync(stampPath, JSON.stringify({ installed: wanted }) + '\n');
  return jar;
}

/**
 * The Iceberg Java reader (IcebergJavaReader.java): iceberg-data and iceberg-parquet with their Maven
 * dependencies in .cache/java-reader/lib, the program compiled into .cache/java-reader/classes. Its class
 * path ends with the REST catalog jar, which brings the GCS FileIO, Hadoop's classes and SQLite's driver.
 */
async function ensureJavaReader(catalogJar) {
  const { pom, source } = PINS.javaReader;
  const version = PINS.icebergOpenApi.version;
  const lib = join(JAVA_READER_DIR, 'lib');
  const classes = join(JAVA_READER_DIR, 'classes');
  const classpath = [classes, join(lib, '*'), catalogJar].join(delimiter);
  const stampPath = join(JAVA_READER_DIR, 'stamp.json');
  const wanted = createHash('sha256')
    .update(`${version}\0${readFileSync(pom, 'utf8')}\0${readFileSync(source, 'utf8')}`)
    .digest('hex');
  if (existsSync(classes) && readStamp(stampPath)?.installed === wanted) return classpath;

  log(`installing the Iceberg Java reader (iceberg-data ${version}) …`);
  rmSync(JAVA_READER_DIR, { recursive: true, force: true });
  mkdirSync(classes, { recursive: true });
  await exec('mvn', [
    '-B',
    '-q',
    '-f',
    pom,
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
    `-Diceberg.version=${version}`,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${lib}`,
  ]);
  await exec('javac', ['-d', classes, '-cp', classpath, source]);
  writeFileSync(stampPath, JSON.stringify({ installed: wanted }) + '\n');
  return classpath;
}

// Loads DuckDB's iceberg extension from the duckdb-ext-iceberg package with every automatic download
// switched off: proves the readers work without network, and tells where the extensions live.
const VERIFY_READERS = `
import json, os, duckdb, pyiceberg, pyarrow, duckdb_ext
ext_dir = os.path.join(list(duckdb_ext.__path__)[0], 'extensions')
con = duckdb.connect(config={'extension_directory': ext_dir, 'autoinstall_known_extensions': False, 'autoload_known_extensions': False})
con.execute('LOAD iceberg')
loaded = dict(con.execute("select extension_name, loaded from duckdb_extensions() where extension_name in ('iceberg','avro')").fetchall())
assert loaded.get('iceberg') and loaded.get('avro'), loaded
print(json.dumps({'duckdbExtensionDir': ext_dir, 'duckdb': duckdb.__version__, 'pyiceberg': pyiceberg.__version__, 'pyarrow': pyarrow.__version__}))
`;

/** A Python virtual environment with the pinned readers (PyIceberg, DuckDB + its iceberg extension). */
export async function ensureReadersVenv() {
  const requirements = readFileSync(PINS.pythonRequirements, 'utf8');
  const python = join(VENV_DIR, 'bin', 'python');
  const stampPath = join(VENV_DIR, 'stamp.json');
  const wanted = createHash('sha256').update(requirements).digest('hex');
  const stamp = readStamp(stampPath);
  if (existsSync(python) && stamp?.requirements === wanted && stamp.duckdbExtensionDir) {
    return { python, duckdbExtensionDir: stamp.duckdbExtensionDir };
  }

  log('installing the Python readers (PyIceberg, DuckDB and its iceberg extension) …');
  rmSync(VENV_DIR, { recursive: true, force: true });
  const basePython = process.env.STACK_PYTHON ?? 'python3';
  await exec(basePython, ['-c', 'import sys; assert sys.version_info >= (3, 10), sys.version']).catch(
    (error) => {
      throw new Error(
        `the readers need Python ≥ 3.10 as \`${basePython}\` (set STACK_PYTHON to another): ${error.message}`,
      );
    },
  );
  await exec(basePython, ['-m', 'venv', VENV_DIR]);
  // Every package, transitive ones included, is pinned in requirements.txt, so --no-deps keeps pip from
  // pulling anything unpinned.
  await exec(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--no-deps',
    '-r',
    PINS.pythonRequirements,
  ]);
  await exec(python, ['-m', 'pip', 'check', '--disable-pip-version-check']);
  const { stdout } = await exec(python, ['-c', VERIFY_READERS]);
  const verified = JSON.parse(stdout.trim().split('\n').pop());
  log(
    `readers ready: duckdb ${verified.duckdb} (iceberg extension loaded offline), pyiceberg ${verified.pyiceberg}`,
  );
  writeFileSync(stampPath, JSON.stringify({ requirements: wanted, ...verified }) + '\n');
  return { python, duckdbExtensionDir: verified.duckdbExtensionDir };
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The gcloud SDK's Firestore and Pub/Sub emulators; they come with the machine's gcloud, not a registry. */
async function findGcloudEmulators() {
  let sdkRoot = process.env.CLOUDSDK_ROOT_DIR;
  if (!sdkRoot) {
    const gcloud = onPath('gcloud');
    if (!gcloud) {
      throw new Error(
        'gcloud is missing: the Firestore and Pub/Sub emulators come from the Google Cloud SDK ' +
          '(install it with its firestore and pubsub emulator components, or set CLOUDSDK_ROOT_DIR)',
      );
    }
    // <sdk>/bin/gcloud, usually reached through a symlink in /usr/bin.
    sdkRoot = dirname(dirname(realpathSync(gcloud)));
  }
  const firestoreJar = join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar');
  if (!existsSync(firestoreJar)) {
    throw new Error(
      `the Firestore emulator is missing: ${firestoreJar} does not exist ` +
        '(gcloud component cloud-firestore-emulator, Debian package google-cloud-cli-firestore-emulator)',
    );
  }
  const pubsubLib = join(sdkRoot, 'platform', 'pubsub-emulator', 'lib');
  const pubsubJar = existsSync(pubsubLib)
    ? readdirSync(pubsubLib).find((name) => /^cloud-pubsub-emulator-.*-all\.jar$/.test(name))
    : undefined;
  if (!pubsubJar) {
    throw new Error(
      `the Pub/Sub emulator is missing: no cloud-pubsub-emulator-*-all.jar in ${pubsubLib} ` +
        '(gcloud component pubsub-emulator, Debian package google-cloud-cli-pubsub-emulator)',
    );
  }
  return { sdkRoot, firestoreJar, pubsubJar: join(pubsubLib, pubsubJar) };
}

async function ensureJava() {
  let output;
  try {
    output = (await exec('java', ['-version'])).stderr;
  } catch (error) {
    throw new Error(
      `Java is missing: the Firestore, Pub/Sub and Iceberg catalog servers need java ≥ 17 on PATH (${error.message})`,
    );
  }
  const major = Number(/version "(\d+)/.exec(output)?.[1]);
  if (!(major >= 17))
    throw new Error(`Java ≥ 17 is needed by the stack's servers, found: ${output.split('\n')[0]}`);
}

async function ensureTool(command, args, what) {
  try {
    await exec(command, args);
  } catch (error) {
    throw new Error(`${command} is missing: it is needed to install ${what} (${error.message})`);
  }
}

/** Installs whatever is missing and returns the paths the services start from. */
export async function installStack() {
  await Promise.all([
    ensureJava(),
    ensureTool('go', ['version'], 'fake-gcs-server and cloud-tasks-emulator'),
    ensureTool('mvn', ['-v'], 'the Iceberg REST catalog and the Iceberg Java reader'),
    ensureTool('javac', ['-version'], 'the Iceberg Java reader'),
  ]);
  const gcloud = await findGcloudEmulators();
  // Go builds are CPU-bound and run one after the other; the jar and the venv mostly wait on the network,
  // so they go alongside.
  const goBinaries = (async () => ({
    fakeGcsServer: await ensureGoBinary(PINS.fakeGcsServer),
    cloudTasksEmulator: await ensureGoBinary(PINS.cloudTasksEmulator),
  }))();
  const catalogAndJavaReader = (async () => {
    const catalogJar = await ensureIcebergCatalogJar();
    return { catalogJar, javaReaderClasspath: await ensureJavaReader(catalogJar) };
  })();
  const [go, java, readers, postgres] = await Promise.all([
    goBinaries,
    catalogAndJavaReader,
    ensureReadersVenv(),
    ensurePostgres(),
  ]);
  return { ...go, ...java, ...gcloud, ...readers, ...postgres };
}

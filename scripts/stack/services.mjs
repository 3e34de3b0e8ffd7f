// The servers of the test stack: how each is started (the program itself, never a wrapper, so its PID is
// the one to stop), how its readiness is probed, and the environment variables the tests get for it
// (the contract of test/support/stack-env.ts).
import { join } from 'node:path';
import { HOST, PROJECT_ID, STACK_DIR } from './config.mjs';
import { postgresEnvironment, postgresService } from './postgres.mjs';

// Small heaps and the serial collector: the machine has 2 cores and the JVMs idle most of the time;
// C1-only compilation shortens their start, which dominates a test run.
const JVM_FLAGS = ['-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Duser.language=en'];

export function serviceDefinitions(installed, ports, warehouseDir, postgresDataDir) {
  return [
    {
      name: 'storage',
      command: installed.fakeGcsServer,
      args: [
        '-scheme', 'http',
        '-host', HOST,
        '-port', String(ports.storage),
        '-backend', 'memory',
        '-public-host', `${HOST}:${ports.storage}`,
        '-external-url', `http://${HOST}:${ports.storage}`,
        '-log-level', 'warn',
      ], // prettier-ignore
      // Bucket notification configs (bucket.createNotification) publish through the Pub/Sub emulator, as
      // GCS publishes to Pub/Sub: the Go client in fake-gcs-server finds it through this variable.
      env: { PUBSUB_EMULATOR_HOST: `${HOST}:${ports.pubsub}` },
      probe: { kind: 'http', url: `http://${HOST}:${ports.storage}/storage/v1/b?project=${PROJECT_ID}` },
    },
    {
      name: 'firestore',
      command: 'java',
      args: [
        ...JVM_FLAGS,
        '-cp', installed.firestoreJar,
        'com.google.cloud.datastore.emulator.firestore.CloudFirestore',
        `--host=${HOST}`,
        `--port=${ports.firestore}`,
      ], // prettier-ignore
      probe: { kind: 'http', url: `http://${HOST}:${ports.firestore}/` },
    },
    {
      name: 'pubsub',
      command: 'java',
      args: [...JVM_FLAGS, '-jar', installed.pubsubJar, `--host=${HOST}`, `--port=${ports.pubsub}`],
      probe: { kind: 'http', url: `http://${HOST}:${ports.pubsub}/` },
    },
    {
      name: 'tasks',
      command: installed.cloudTasksEmulator,
      args: ['-host', HOST, '-port', String(ports.tasks)],
      // gRPC only: an accepted connection is the readiness signal.
      probe: { kind: 'tcp', host: HOST, port: ports.tasks },
    },
    {
      name: 'catalog',
      command: 'java',
      // The reference RESTCatalogServer binds every interface; this launcher binds it to loopback.
      args: [...JVM_FLAGS, '-cp', installed.catalogJar, join(STACK_DIR, 'LoopbackRestCatalog.java')],
      env: {
        CATALOG_REST_HOST: HOST,
        CATALOG_REST_PORT: String(ports.catalog),
        CATALOG_WAREHOUSE: warehouseDir,
        // The backend is SQLite `:memory:`, where every pooled JDBC connection opens its own empty
        // database: two concurrent requests would see different catalogs ("no such table:
        // iceberg_tables"). One connection keeps one catalog; requests wait for it in turn.
        CATALOG_CLIENTS: '1',
        // Tables may also live on gs:// locations in fake-gcs-server: ResolvingFileIO picks the FileIO by
        // scheme (local paths stay on the Hadoop FileIO), and the GCS FileIO is pointed at the emulator.
        CATALOG_IO__IMPL: 'org.apache.iceberg.io.ResolvingFileIO',
        CATALOG_GCS_SERVICE_HOST: `http://${HOST}:${ports.storage}`,
        CATALOG_GCS_NO__AUTH: 'true',
        CATALOG_GCS_PROJECT__ID: PROJECT_ID,
      },
      probe: { kind: 'http', url: `http://${HOST}:${ports.catalog}/v1/config` },
    },
    postgresService(installed, ports, postgresDataDir),
  ];
}

/** The environment the tests run with (see test/support/stack-env.ts). */
export function testEnvironment(installed, ports, warehouseDir) {
  return {
    // Not STORAGE_EMULATOR_HOST: @google-cloud/storage would take that as its base URL and miss the
    // /storage/v1 prefix (see test/support/stack-env.ts); pass this one as `apiEndpoint`.
    DSI_STORAGE_EMULATOR_HOST: `http://${HOST}:${ports.storage}`,
    FIRESTORE_EMULATOR_HOST: `${HOST}:${ports.firestore}`,
    PUBSUB_EMULATOR_HOST: `${HOST}:${ports.pubsub}`,
    CLOUD_TASKS_EMULATOR_HOST: `${HOST}:${ports.tasks}`,
    ICEBERG_REST_URI: `http://${HOST}:${ports.catalog}`,
    ICEBERG_REST_WAREHOUSE: warehouseDir,
    DSI_PYTHON: installed.python,
    DSI_DUCKDB_EXTENSION_DIR: installed.duckdbExtensionDir,
    DSI_JAVA_READER_CLASSPATH: installed.javaReaderClasspath,
    // The gcloud SDK the emulators come from: the deploy tests check gcloud commands and Monitoring
    // configs with its own argument parser and API message classes.
    DSI_CLOUDSDK_ROOT: installed.sdkRoot,
    GOOGLE_CLOUD_PROJECT: PROJECT_ID,
    // google-auth-library would otherwise probe the GCE metadata server (a link-local address, off this
    // machine) while looking for a project or credentials; the emulators need neither.
    METADATA_SERVER_DETECTION: 'none',
    ...postgresEnvironment(installed, ports),
  };
}

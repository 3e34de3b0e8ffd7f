// The contract between the test stack (started by `npm test`) and the tests: every endpoint arrives in an
// environment variable. A test that needs a service asks for it here and fails with a clear message when
// it is missing (run the tests through `npm test`, which starts the stack).

export type StackVariable =
  | 'STORAGE_EMULATOR_HOST' // http://127.0.0.1:PORT  (fake-gcs-server; exported as DSI_STORAGE_EMULATOR_HOST, see below)
  | 'FIRESTORE_EMULATOR_HOST' // 127.0.0.1:PORT
  | 'PUBSUB_EMULATOR_HOST' // 127.0.0.1:PORT
  | 'CLOUD_TASKS_EMULATOR_HOST' // 127.0.0.1:PORT (gRPC, insecure)
  | 'ICEBERG_REST_URI' // http://127.0.0.1:PORT  (REST reference catalog; the client appends /v1/…)
  | 'ICEBERG_REST_WAREHOUSE' // absolute local folder the REST catalog's warehouse lives in
  | 'DSI_PYTHON' // absolute path of the python of the readers' virtual environment
  | 'DSI_DUCKDB_EXTENSION_DIR' // DuckDB extension folder of the duckdb-ext-* packages (iceberg, avro): no download
  | 'DSI_JAVA_READER_CLASSPATH' // class path of the compiled Iceberg Java reader (scripts/stack/java-reader)
  | 'DSI_CLOUDSDK_ROOT' // the gcloud SDK's root folder (its argument parser and API message classes)
  | 'GOOGLE_CLOUD_PROJECT' // the emulators' project id
  | 'DSI_POSTGRES_URL' // postgresql://postgres@127.0.0.1:PORT/postgres (superuser, trust auth, wal_level=logical)
  | 'DSI_POSTGRES_BIN'; // the server's bin folder (psql, pg_isready, …) of the same PostgreSQL version

// Where a variable is found when it is not under its own name. @google-cloud/storage takes a
// STORAGE_EMULATOR_HOST variable in its environment as its JSON API base URL verbatim (it then calls
// http://host:port/b instead of /storage/v1/b, which fake-gcs-server answers with 404) and lets it
// override `apiEndpoint`; so the stack exports the fake-gcs-server endpoint as DSI_STORAGE_EMULATOR_HOST
// and code passes it as `apiEndpoint`, which the client handles right.
const ENVIRONMENT_NAME: Partial<Record<StackVariable, string>> = {
  STORAGE_EMULATOR_HOST: 'DSI_STORAGE_EMULATOR_HOST',
};

export function stackEnv(name: StackVariable): string {
  const variable = ENVIRONMENT_NAME[name] ?? name;
  const value = process.env[variable];
  if (!value) {
    throw new Error(`${variable} is not set: run the tests with \`npm test\`, which starts the test stack`);
  }
  return value;
}

// The contract between the test stack (started by `npm test`) and the tests: every endpoint arrives in an
// environment variable. A test that needs a service asks for it here and fails with a clear message when
// it is missing (run the tests through `npm test`, which starts the stack).

export type StackVariable =
  | 'STORAGE_EMULATOR_HOST' // http://127.0.0.1:PORT  (fake-gcs-server)
  | 'FIRESTORE_EMULATOR_HOST' // 127.0.0.1:PORT
  | 'PUBSUB_EMULATOR_HOST' // 127.0.0.1:PORT
  | 'CLOUD_TASKS_EMULATOR_HOST' // 127.0.0.1:PORT (gRPC, insecure)
  | 'ICEBERG_REST_URI' // http://127.0.0.1:PORT  (REST reference catalog; the client appends /v1/…)
  | 'ICEBERG_REST_WAREHOUSE' // absolute local folder the REST catalog's warehouse lives in
  | 'DSI_PYTHON' // absolute path of the python of the readers' virtual environment
  | 'GOOGLE_CLOUD_PROJECT'; // the emulators' project id

export function stackEnv(name: StackVariable): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the test stack`);
  }
  return value;
}

// The functions-framework entry module (package.json "main"): registers every function by name for
// `gcloud functions deploy --entry-point=<name>`. The cloud runtime is built on the first invocation from
// the environment (shared/config.ts) and reused by later invocations of the same instance.

import * as functions from '@google-cloud/functions-framework';
import { loadCloudConfig } from '../shared/config.js';
import { createCloudRuntime, type CloudRuntime } from '../shared/runtime/cloud.js';
import { commitHandler } from './commit.js';
import { ingestCloudEventHandler, ingestPubsubHandler } from './ingest.js';

let runtime: CloudRuntime | undefined;
function cloudRuntime(): CloudRuntime {
  runtime ??= createCloudRuntime(loadCloudConfig());
  return runtime;
}

functions.cloudEvent('ingest', ingestCloudEventHandler(cloudRuntime));
functions.http('ingestPubsub', ingestPubsubHandler(cloudRuntime));
functions.http('commit', commitHandler(cloudRuntime));

// The Google Cloud SDK as a checker of what scripts/deploy.sh prints: gcloud's own argument parser (the
// one `gcloud` runs, built from the SDK's command surface) parses a command without running it, and the
// SDK's generated API message classes decode a config file the way gcloud sends it. The SDK is the one
// the test stack takes its emulators from (DSI_CLOUDSDK_ROOT); Python is the readers' venv.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEnv } from '../../support/stack-env.js';

const SDK_PATH = `
import json, os, sys
sdk = os.environ['DSI_CLOUDSDK_ROOT']
sys.path[:0] = [os.path.join(sdk, 'lib'), os.path.join(sdk, 'lib', 'third_party')]
`;

// parse_args of the calliope CLI: loads the command groups on the way, checks every flag, value type,
// choice and required argument (and reads --*-from-file paths), then stops before the command runs.
// gcloud reports a parse error through its logger (to the stderr it took at start) and exits: a handler
// on the root logger collects the message.
const PARSE = `${SDK_PATH}
import logging
from googlecloudsdk import gcloud_main
parser = gcloud_main.CreateCLI([])._CLI__parser
class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []
    def emit(self, record):
        self.messages.append(record.getMessage())
collect = Collect()
collect.setLevel(logging.ERROR)  # the parser's own errors, not its debug lines on loading groups
logging.getLogger().addHandler(collect)
out = []
for argv in json.loads(sys.stdin.read()):
    collect.messages = []
    try:
        ns = parser.parse_args(argv)
        out.append({'ok': True, 'command': ' '.join(ns.command_path)})
    except SystemExit:
        out.append({'ok': False, 'error': '\\n'.join(collect.messages)})
print(json.dumps(out))
`;

// apitools' JsonToMessage keeps a field the message does not have, and an enum value it does not know,
// as "unrecognized" instead of failing: walk the decoded message and report every one of them.
const DECODE = `${SDK_PATH}
from apitools.base.py import encoding
from apitools.base.protorpclite import messages
from googlecloudsdk.generated_clients.apis.logging.v2 import logging_v2_messages as logging_v2
from googlecloudsdk.generated_clients.apis.monitoring.v1 import monitoring_v1_messages as monitoring_v1
from googlecloudsdk.generated_clients.apis.monitoring.v3 import monitoring_v3_messages as monitoring_v3
TYPES = {
    'logging.v2.LogMetric': logging_v2.LogMetric,
    'monitoring.v1.Dashboard': monitoring_v1.Dashboard,
    'monitoring.v3.AlertPolicy': monitoring_v3.AlertPolicy,
}
def unrecognized(message, path):
    found = [path + '.' + name for name in message.all_unrecognized_fields()]
    for field in message.all_fields():
        if not isinstance(field, messages.MessageField):
            continue
        value = message.get_assigned_value(field.name)
        if value is None:
            continue
        for i, item in enumerate(value if field.repeated else [value]):
            found += unrecognized(item, path + '.' + field.name + ('[%d]' % i if field.repeated else ''))
    return found
out = []
for item in json.loads(sys.stdin.read()):
    try:
        message = encoding.JsonToMessage(TYPES[item['type']], item['json'])
        out.append({'unrecognized': unrecognized(message, '$')})
    except Exception as error:
        out.append({'unrecognized': [], 'error': type(error).__name__ + ': ' + str(error)})
print(json.dumps(out))
`;

function runSdkPython<T>(script: string, input: unknown, cwd?: string): T {
  const config = mkdtempSync(join(tmpdir(), 'dsi-gcloud-config-'));
  try {
    const result = spawnSync(stackEnv('DSI_PYTHON'), ['-c', script], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      ...(cwd ? { cwd } : {}),
      env: {
        ...process.env,
        DSI_CLOUDSDK_ROOT: stackEnv('DSI_CLOUDSDK_ROOT'),
        // gcloud's own configuration and logs go to a throw-away folder, never the user's.
        CLOUDSDK_CONFIG: config,
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      },
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`the Cloud SDK check failed:\n${result.stderr}`);
    const lines = result.stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]!) as T;
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

export interface ParseOutcome {
  ok: boolean;
  /** The command gcloud resolved, e.g. "gcloud alpha monitoring policies create". */
  command?: string;
  error?: string;
}

/** Parses each command (its words after `gcloud`) with gcloud's parser, in `cwd` for relative files. */
export function parseWithGcloud(commands: string[][], cwd: string): ParseOutcome[] {
  return runSdkPython<ParseOutcome[]>(PARSE, commands, cwd);
}

export type ApiMessage = 'logging.v2.LogMetric' | 'monitoring.v1.Dashboard' | 'monitoring.v3.AlertPolicy';

export interface DecodeOutcome {
  /** JSON paths of fields or enum values the API message does not have. */
  unrecognized: string[];
  /** Why decoding failed (a value of the wrong type, malformed JSON). */
  error?: string;
}

/** Decodes each JSON text as the API message gcloud sends, reporting whatever the API does not know. */
export function decodeAsApiMessages(items: { type: ApiMessage; json: string }[]): DecodeOutcome[] {
  return runSdkPython<DecodeOutcome[]>(DECODE, items);
}

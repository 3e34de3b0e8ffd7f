// Renders one of the monitoring configs of scripts/deploy/monitoring/ (a log-based metric, the dashboard
// or an alert policy, in the JSON of their APIs) for one deployment, and prints it. The templates hold
// `{{name}}` placeholders: inside a string the value's text is put in its place; a string that is the
// placeholder alone becomes the value itself (a number, or the list of notification channels).
//
//   node monitoring-config.mjs TEMPLATE --project P --prefix NAME --lag-alert-minutes N
//        [--notification-channels ID|NAME[,…]] [--field KEY]
//
// --field prints one top-level string of the rendered config instead (deploy.sh looks a dashboard or a
// policy up by its displayName).
import { readFileSync } from 'node:fs';

function fail(message) {
  console.error(`monitoring-config: ${message}`);
  process.exit(2);
}

function parseArguments(argv) {
  const [template, ...rest] = argv;
  if (!template) fail('a template file is required');
  const options = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    const value = rest[i + 1];
    if (!name?.startsWith('--') || value === undefined) fail(`expected --option value, got "${name}"`);
    options[name.slice(2)] = value;
  }
  return { template, options };
}

/** A channel id becomes the project's channel name; a full name is kept. */
function channelName(project, channel) {
  if (/^projects\/[^/]+\/notificationChannels\/[^/]+$/.test(channel)) return channel;
  if (/^[A-Za-z0-9_-]+$/.test(channel)) return `projects/${project}/notificationChannels/${channel}`;
  return fail(
    `--notification-channels: "${channel}" is neither a channel id nor projects/P/notificationChannels/ID`,
  );
}

function variablesOf(options) {
  const { project, prefix } = options;
  if (!project) fail('--project is required');
  if (!prefix) fail('--prefix is required');
  const minutes = Number(options['lag-alert-minutes']);
  if (!Number.isInteger(minutes) || minutes < 1) {
    fail(`--lag-alert-minutes must be a whole number of minutes ≥ 1, not "${options['lag-alert-minutes']}"`);
  }
  const channels = (options['notification-channels'] ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .map((c) => channelName(project, c));
  return {
    project,
    prefix,
    lagAlertMinutes: minutes,
    lagAlertMs: minutes * 60_000,
    notificationChannels: channels,
  };
}

function render(value, variables, where) {
  if (typeof value === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    if (whole) return lookUp(variables, whole[1], where);
    return value.replace(/\{\{(\w+)\}\}/g, (_, name) => String(lookUp(variables, name, where)));
  }
  if (Array.isArray(value)) return value.map((v) => render(v, variables, where));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, variables, where)]));
  }
  return value;
}

function lookUp(variables, name, where) {
  if (!(name in variables)) fail(`${where}: unknown placeholder {{${name}}}`);
  return variables[name];
}

const { template, options } = parseArguments(process.argv.slice(2));
let parsed;
try {
  parsed = JSON.parse(readFileSync(template, 'utf8'));
} catch (error) {
  fail(`${template}: ${error.message}`);
}
const rendered = render(parsed, variablesOf(options), template);
if (options.field) {
  const field = rendered[options.field];
  if (typeof field !== 'string') fail(`${template}: no string field "${options.field}"`);
  process.stdout.write(`${field}\n`);
} else {
  process.stdout.write(`${JSON.stringify(rendered, null, 2)}\n`);
}

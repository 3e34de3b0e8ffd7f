// The layering of shared/README.md, checked on every import of shared/ and functions/: no module of
// shared/ is part of an import cycle, no import goes up the layer order, the format layers import no
// cloud client, and the entry points reach the Iceberg and copy-on-write code only through the pipeline.
// Imports are read with TypeScript's own pre-processor (static, re-exports and dynamic `import()`), type
// imports included: a type import still ties a layer to the one it names.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The layers, bottom first: a module may import its own layer and the layers below it. A layer is a path
 * prefix; the longest prefix that matches a module names its layer.
 */
const LAYERS: readonly (readonly [name: string, prefix: string])[] = [
  ['util', 'shared/util/'],
  ['log', 'shared/log.ts'],
  ['names', 'shared/names/'],
  ['iceberg/spec', 'shared/iceberg/spec/'],
  ['iceberg/arrow', 'shared/iceberg/arrow/'],
  ['iceberg/io', 'shared/iceberg/io/'],
  ['iceberg/manifests', 'shared/iceberg/manifests/'],
  ['changes', 'shared/changes/'],
  ['datastream', 'shared/datastream/'],
  ['config', 'shared/config.ts'],
  ['iceberg', 'shared/iceberg/'],
  ['cow', 'shared/cow/'],
  ['ports', 'shared/ports/'],
  ['table', 'shared/table/'],
  ['pipeline', 'shared/pipeline/'],
  ['maintenance', 'shared/maintenance/'],
  ['verify', 'shared/verify/'],
  ['adapters', 'shared/adapters/'],
  ['runtime', 'shared/runtime/'],
  ['functions', 'functions/'],
];

/** Layers that are pure format code: they never import a cloud or database client. */
const FORMAT_LAYERS = new Set([
  'iceberg/spec',
  'iceberg/arrow',
  'iceberg/io',
  'iceberg/manifests',
  'iceberg',
]);
FORMAT_LAYERS.add('changes').add('datastream').add('cow');
const CLIENT_PACKAGES = /^(@google-cloud\/|google-auth-library|better-sqlite3|@grpc\/)/;

/** Layers the entry points (functions/) reach only through pipeline/, maintenance/ or runtime/. */
const BEHIND_THE_PIPELINE = new Set([
  'iceberg/spec',
  'iceberg/arrow',
  'iceberg/io',
  'iceberg/manifests',
  'iceberg',
  'changes',
  'cow',
  'table',
]);

interface Violation {
  kind: 'cycle' | 'upward' | 'client' | 'entry point';
  text: string;
}

/**
 * Violations other work in progress removes: each is left out of the tests below and has a `todo` test of
 * its own that passes once it is gone. Remove an entry when that work is merged.
 */
const PENDING: readonly { reason: string; matches(v: Violation): boolean }[] = [];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

function layerOf(file: string): number {
  let best = -1;
  LAYERS.forEach(([, prefix], i) => {
    if (file.startsWith(prefix) && (best < 0 || prefix.length > LAYERS[best]![1].length)) best = i;
  });
  if (best < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS and shared/README.md`);
  return best;
}

interface Module {
  file: string;
  /** Modules of the repository it imports (repository-relative .ts paths). */
  local: string[];
  /** Package imports. */
  packages: string[];
}

function readModule(file: string): Module {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const local: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of importedFiles) {
    if (fileName.startsWith('.')) {
      local.push(relative(ROOT, resolve(ROOT, dirname(file), fileName)).replace(/\.js$/, '.ts'));
    } else packages.push(fileName);
  }
  return { file, local, packages };
}

const modules = [...sourceFiles('shared'), ...sourceFiles('functions')].map(readModule);

/** Every import cycle among the modules of shared/ (strongly connected components, Tarjan). */
function cycles(): Violation[] {
  const graph = new Map<string, string[]>();
  for (const m of modules) {
    if (m.file.startsWith('shared/'))
      graph.set(
        m.file,
        m.local.filter((f) => f.startsWith('shared/')),
      );
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Violation[] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) {
      found.push({ kind: 'cycle', text: `among ${component.sort().join(', ')}` });
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

function layerViolations(): Violation[] {
  const found: Violation[] = [];
  for (const m of modules) {
    const from = layerOf(m.file);
    const fromName = LAYERS[from]![0];
    for (const target of m.local) {
      const to = layerOf(target);
      const toName = LAYERS[to]![0];
      const edge = `${m.file} (${fromName}) → ${target} (${toName})`;
      if (to > from) found.push({ kind: 'upward', text: edge });
      if (fromName === 'functions' && BEHIND_THE_PIPELINE.has(toName))
        found.push({ kind: 'entry point', text: edge });
    }
    if (FORMAT_LAYERS.has(fromName)) {
      for (const p of m.packages.filter((p) => CLIENT_PACKAGES.test(p)))
        found.push({ kind: 'client', text: `${m.file} (${fromName}) imports ${p}` });
    }
  }
  return found;
}

const pending = (v: Violation) => PENDING.some((p) => p.matches(v));

test('the import reader sees static, re-exported and dynamic imports', () => {
  const status = modules.find((m) => m.file === 'functions/cli/status.ts')!;
  assert.ok(status.local.includes('shared/runtime/cloud.ts'), 'the dynamic import of the cloud runtime');
  assert.ok(status.local.includes('shared/pipeline/table-info.ts'));
  assert.ok(modules.length > 100, `${modules.length} modules read`);
});

test('no module of shared/ is part of an import cycle', () => {
  assert.deepEqual(
    cycles()
      .filter((v) => !pending(v))
      .map((v) => `cycle ${v.text}`),
    [],
  );
});

test('no import goes up the layer order; format layers import no client; entry points go through the pipeline', () => {
  assert.deepEqual(
    layerViolations()
      .filter((v) => !pending(v))
      .map((v) => `${v.kind}: ${v.text}`),
    [],
  );
});

for (const p of PENDING) {
  test(`pending: ${p.reason}`, { todo: p.reason }, () => {
    const left = [...cycles(), ...layerViolations()].filter((v) => p.matches(v));
    assert.deepEqual(
      left.map((v) => `${v.kind}: ${v.text}`),
      [],
    );
  });
}

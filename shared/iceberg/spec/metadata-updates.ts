// Applies one commit (requirements + updates of the REST `CommitTableRequest`) to table metadata, with the
// rules of the Java reference `TableMetadata.Builder`, so the embedded catalog produces the metadata a REST
// catalog would: requirement failures are conflicts (retry on a fresh base), invalid updates are errors.

import type {
  Int64,
  PartitionSpec,
  Snapshot,
  SnapshotRef,
  SortOrder,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from './metadata-types.js';
import type { IcebergType, Schema } from './types.js';
import { int64Equal, normalizeInt64, toBigInt } from './metadata-json.js';

/** A requirement of the commit does not hold on the current metadata: reload, rebuild, retry. */
export class RequirementFailedError extends Error {
  constructor(message: string) {
    super(`Requirement failed: ${message}`);
    this.name = 'RequirementFailedError';
  }
}

/** An update cannot be applied to this metadata (the request itself is wrong). */
export class InvalidUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUpdateError';
  }
}

export interface ApplyOptions {
  /** Location of the metadata file `base` was read from; appended to metadata-log. */
  previousMetadataLocation?: string;
  /** Clock for last-updated-ms when no snapshot is added (tests pass a fixed value). */
  now?: () => number;
}

export const MAIN_BRANCH = 'main';
const PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max';
const PREVIOUS_VERSIONS_MAX_DEFAULT = 100;
const ONE_MINUTE_MS = 60_000n;

/** The snapshot a ref points at; `main` falls back to current-snapshot-id for metadata without refs. */
export function refSnapshotId(metadata: TableMetadata, ref: string): Int64 | undefined {
  const found = metadata.refs?.[ref];
  if (found) return found['snapshot-id'];
  if (ref === MAIN_BRANCH && metadata.refs === undefined) {
    const current = metadata['current-snapshot-id'];
    if (current !== undefined && current !== null && !int64Equal(current, -1)) return current;
  }
  return undefined;
}

/** Throws RequirementFailedError when any requirement does not hold on `base` (undefined: no table). */
export function checkRequirements(base: TableMetadata | undefined, requirements: TableRequirement[]): void {
  for (const requirement of requirements) {
    if (requirement.type === 'assert-create') {
      if (base) throw new RequirementFailedError('table already exists');
      continue;
    }
    if (!base) throw new RequirementFailedError(`table does not exist (${requirement.type})`);
    switch (requirement.type) {
      case 'assert-table-uuid':
        if (requirement.uuid.toLowerCase() !== base['table-uuid'].toLowerCase()) {
          throw new RequirementFailedError(
            `UUID does not match: expected ${base['table-uuid']} != ${requirement.uuid}`,
          );
        }
        break;
      case 'assert-ref-snapshot-id': {
        const current = refSnapshotId(base, requirement.ref);
        const expected = requirement['snapshot-id'];
        const kind = base.refs?.[requirement.ref]?.type ?? 'branch';
        if (current !== undefined) {
          if (expected === null) {
            throw new RequirementFailedError(`${kind} ${requirement.ref} was created concurrently`);
          }
          if (!int64Equal(expected, current)) {
            throw new RequirementFailedError(
              `${kind} ${requirement.ref} has changed: expected id ${expected} != ${current}`,
            );
          }
        } else if (expected !== null) {
          throw new RequirementFailedError(
            `branch or tag ${requirement.ref} is missing, expected ${expected}`,
          );
        }
        break;
      }
      case 'assert-last-assigned-field-id':
        expectSame('last assigned field id', requirement['last-assigned-field-id'], base['last-column-id']);
        break;
      case 'assert-current-schema-id':
        expectSame('current schema id', requirement['current-schema-id'], base['current-schema-id']);
        break;
      case 'assert-last-assigned-partition-id':
        expectSame(
          'last assigned partition id',
          requirement['last-assigned-partition-id'],
          base['last-partition-id'],
        );
        break;
      case 'assert-default-spec-id':
        expectSame('default partition spec id', requirement['default-spec-id'], base['default-spec-id']);
        break;
      case 'assert-default-sort-order-id':
        expectSame(
          'default sort order id',
          requirement['default-sort-order-id'],
          base['default-sort-order-id'],
        );
        break;
      default:
        throw new InvalidUpdateError(`unknown requirement type: ${(requirement as { type: string }).type}`);
    }
  }
}

function expectSame(what: string, expected: number, actual: number): void {
  if (expected !== actual)
    throw new RequirementFailedError(`${what} has changed: expected ${expected} != ${actual}`);
}

/**
 * Checks the requirements against `base`, then applies the updates in order. Returns `base` itself when
 * nothing changed (no new metadata file is needed), else new metadata with last-updated-ms, snapshot-log
 * and metadata-log maintained as the Java builder does.
 */
export function applyCommit(
  base: TableMetadata,
  requirements: TableRequirement[],
  updates: TableUpdate[],
  options: ApplyOptions = {},
): TableMetadata {
  checkRequirements(base, requirements);
  const builder = new MetadataBuilder(base, options);
  for (const update of updates) builder.apply(update);
  return builder.build();
}

// Mutable working copy of the metadata plus the bookkeeping the Java builder keeps between updates.
class MetadataBuilder {
  private readonly m: TableMetadata;
  private changed = false;
  private lastUpdatedMs: Int64 | undefined;
  private lastAddedSchemaId: number | undefined;
  private lastAddedSpecId: number | undefined;
  private lastAddedOrderId: number | undefined;
  private readonly addedSnapshotIds: bigint[] = [];
  private readonly mainRefSets: bigint[] = [];
  private removedSnapshots = false;

  constructor(
    private readonly base: TableMetadata,
    private readonly options: ApplyOptions,
  ) {
    this.m = structuredClone(base);
    this.m.snapshots ??= [];
    this.m['snapshot-log'] ??= [];
    this.m['metadata-log'] ??= [];
    this.m.properties ??= {};
    if (this.m.refs === undefined) {
      const main = refSnapshotId(base, MAIN_BRANCH);
      this.m.refs = main === undefined ? {} : { [MAIN_BRANCH]: { 'snapshot-id': main, type: 'branch' } };
    }
  }

  apply(update: TableUpdate): void {
    switch (update.action) {
      case 'assign-uuid':
        if (update.uuid !== this.m['table-uuid']) {
          this.m['table-uuid'] = update.uuid;
          this.changed = true;
        }
        return;
      case 'upgrade-format-version':
        if (update['format-version'] === this.m['format-version']) return;
        throw new InvalidUpdateError(
          `cannot change format version ${this.m['format-version']} to ${update['format-version']}: only v2 is supported`,
        );
      case 'add-schema':
        return this.addSchema(update.schema, update['last-column-id']);
      case 'set-current-schema':
        return this.setCurrentSchema(update['schema-id']);
      case 'add-spec':
        return this.addSpec(update.spec);
      case 'set-default-spec':
        return this.setDefaultSpec(update['spec-id']);
      case 'add-sort-order':
        return this.addSortOrder(update['sort-order']);
      case 'set-default-sort-order':
        return this.setDefaultSortOrder(update['sort-order-id']);
      case 'add-snapshot':
        return this.addSnapshot(update.snapshot);
      case 'set-snapshot-ref': {
        const { action: _action, 'ref-name': name, ...ref } = update;
        return this.setRef(name, ref);
      }
      case 'remove-snapshots':
        return this.removeSnapshots(update['snapshot-ids']);
      case 'remove-snapshot-ref':
        return this.removeRef(update['ref-name']);
      case 'set-location':
        if (update.location !== this.m.location) {
          this.m.location = update.location;
          this.changed = true;
        }
        return;
      case 'set-properties':
        if (Object.keys(update.updates).length === 0) return;
        Object.assign(this.m.properties!, update.updates);
        this.changed = true;
        return;
      case 'remove-properties':
        if (update.removals.length === 0) return;
        for (const key of update.removals) delete this.m.properties![key];
        this.changed = true;
        return;
      default:
        throw new InvalidUpdateError(`unknown update action: ${(update as { action: string }).action}`);
    }
  }

  private addSchema(schema: Schema, lastColumnId: number | undefined): void {
    const newLastColumnId = Math.max(this.m['last-column-id'], lastColumnId ?? 0, highestFieldId(schema));
    const existing = this.m.schemas.find((s) => sameSchema(s, schema));
    if (existing && newLastColumnId === this.m['last-column-id']) {
      this.lastAddedSchemaId = existing['schema-id'];
      return;
    }
    let schemaId = existing?.['schema-id'];
    if (schemaId === undefined) {
      schemaId = this.m['current-schema-id'];
      for (const s of this.m.schemas) if (s['schema-id'] >= schemaId) schemaId = s['schema-id'] + 1;
      this.m.schemas.push({ ...schema, 'schema-id': schemaId });
    }
    this.m['last-column-id'] = newLastColumnId;
    this.lastAddedSchemaId = schemaId;
    this.changed = true;
  }

  private setCurrentSchema(requested: number): void {
    const schemaId = requested === -1 ? this.lastAddedSchemaId : requested;
    if (schemaId === undefined)
      throw new InvalidUpdateError('cannot set last added schema: no schema has been added');
    if (schemaId === this.m['current-schema-id']) return;
    if (!this.m.schemas.some((s) => s['schema-id'] === schemaId)) {
      throw new InvalidUpdateError(`cannot set current schema to unknown schema: ${schemaId}`);
    }
    this.m['current-schema-id'] = schemaId;
    this.changed = true;
  }

  private addSpec(spec: PartitionSpec): void {
    const existing = this.m['partition-specs'].find((s) => sameFields(s.fields, spec.fields));
    if (existing) {
      this.lastAddedSpecId = existing['spec-id'];
      return;
    }
    let specId = 0;
    for (const s of this.m['partition-specs']) if (specId <= s['spec-id']) specId = s['spec-id'] + 1;
    this.m['partition-specs'].push({ 'spec-id': specId, fields: spec.fields });
    for (const field of spec.fields) {
      this.m['last-partition-id'] = Math.max(this.m['last-partition-id'], field['field-id']);
    }
    this.lastAddedSpecId = specId;
    this.changed = true;
  }

  private setDefaultSpec(requested: number): void {
    const specId = requested === -1 ? this.lastAddedSpecId : requested;
    if (specId === undefined)
      throw new InvalidUpdateError('cannot set last added spec: no spec has been added');
    if (specId === this.m['default-spec-id']) return;
    if (!this.m['partition-specs'].some((s) => s['spec-id'] === specId)) {
      throw new InvalidUpdateError(`cannot set default partition spec to unknown spec: ${specId}`);
    }
    this.m['default-spec-id'] = specId;
    this.changed = true;
  }

  private addSortOrder(order: SortOrder): void {
    let orderId: number;
    if (order.fields.length === 0) {
      orderId = 0;
    } else {
      const existing = this.m['sort-orders'].find((o) => sameFields(o.fields, order.fields));
      if (existing) {
        orderId = existing['order-id'];
      } else {
        orderId = 1;
        for (const o of this.m['sort-orders']) if (orderId <= o['order-id']) orderId = o['order-id'] + 1;
      }
    }
    this.lastAddedOrderId = orderId;
    if (this.m['sort-orders'].some((o) => o['order-id'] === orderId)) return;
    this.m['sort-orders'].push({ 'order-id': orderId, fields: order.fields });
    this.changed = true;
  }

  private setDefaultSortOrder(requested: number): void {
    const orderId = requested === -1 ? this.lastAddedOrderId : requested;
    if (orderId === undefined) {
      throw new InvalidUpdateError('cannot set last added sort order: no sort order has been added');
    }
    if (orderId === this.m['default-sort-order-id']) return;
    if (!this.m['sort-orders'].some((o) => o['order-id'] === orderId)) {
      throw new InvalidUpdateError(`cannot set default sort order to unknown order: ${orderId}`);
    }
    this.m['default-sort-order-id'] = orderId;
    this.changed = true;
  }

  private findSnapshot(id: Int64): Snapshot | undefined {
    return this.m.snapshots!.find((s) => int64Equal(s['snapshot-id'], id));
  }

  private addSnapshot(snapshot: Snapshot): void {
    const id = snapshot['snapshot-id'];
    if (this.findSnapshot(id)) throw new InvalidUpdateError(`Snapshot already exists for id: ${id}`);
    const sequenceNumber = snapshot['sequence-number'];
    const parent = snapshot['parent-snapshot-id'];
    // Java waives the rule for a snapshot without a parent (the first snapshot of a branch).
    const hasParent = parent !== undefined && parent !== null;
    if (hasParent && toBigInt(sequenceNumber) <= toBigInt(this.m['last-sequence-number'])) {
      throw new RequirementFailedError(
        `Cannot add snapshot with sequence number ${sequenceNumber} older than last sequence number ${this.m['last-sequence-number']}`,
      );
    }
    this.lastUpdatedMs = snapshot['timestamp-ms'];
    this.m['last-sequence-number'] = normalizeInt64(sequenceNumber);
    // a first snapshot has no parent field at all: Java cannot read "parent-snapshot-id": null
    const { 'parent-snapshot-id': _parent, ...rest } = snapshot;
    this.m.snapshots!.push(hasParent ? snapshot : rest);
    this.addedSnapshotIds.push(toBigInt(id));
    this.changed = true;
  }

  private setRef(name: string, ref: SnapshotRef): void {
    const existing = this.m.refs![name];
    if (existing && sameRef(existing, ref)) return;
    const snapshot = this.findSnapshot(ref['snapshot-id']);
    if (!snapshot)
      throw new InvalidUpdateError(`Cannot set ${name} to unknown snapshot: ${ref['snapshot-id']}`);
    if (name === MAIN_BRANCH && ref.type !== 'branch') throw new InvalidUpdateError('main must be a branch');
    const id = toBigInt(ref['snapshot-id']);
    if (this.addedSnapshotIds.includes(id)) this.lastUpdatedMs = snapshot['timestamp-ms'];
    if (name === MAIN_BRANCH) {
      this.m['current-snapshot-id'] = snapshot['snapshot-id'];
      this.lastUpdatedMs ??= this.now();
      this.m['snapshot-log']!.push({
        'timestamp-ms': this.lastUpdatedMs,
        'snapshot-id': snapshot['snapshot-id'],
      });
      this.mainRefSets.push(id);
    }
    this.m.refs![name] = dropUndefined({ ...ref, 'snapshot-id': snapshot['snapshot-id'] });
    this.changed = true;
  }

  private removeRef(name: string): void {
    if (name === MAIN_BRANCH) {
      this.m['current-snapshot-id'] = -1;
      this.m['snapshot-log'] = [];
    }
    if (this.m.refs![name]) {
      delete this.m.refs![name];
      this.changed = true;
    }
  }

  private removeSnapshots(ids: Int64[]): void {
    const remove = new Set(ids.map((id) => toBigInt(id)));
    const before = this.m.snapshots!.length;
    this.m.snapshots = this.m.snapshots!.filter((s) => !remove.has(toBigInt(s['snapshot-id'])));
    if (this.m.snapshots.length === before) return;
    this.removedSnapshots = true;
    this.changed = true;
    for (const [name, ref] of Object.entries(this.m.refs!)) {
      if (remove.has(toBigInt(ref['snapshot-id']))) this.removeRef(name);
    }
  }

  build(): TableMetadata {
    if (!this.changed) return this.base;
    const m = this.m;
    m['last-updated-ms'] = this.lastUpdatedMs ?? this.now();
    m['snapshot-log'] = this.snapshotLog();
    if (this.options.previousMetadataLocation !== undefined) {
      const configured = Number.parseInt(m.properties![PREVIOUS_VERSIONS_MAX] ?? '', 10);
      const max = Math.max(1, Number.isFinite(configured) ? configured : PREVIOUS_VERSIONS_MAX_DEFAULT);
      const log = m['metadata-log']!;
      log.push({
        'timestamp-ms': this.base['last-updated-ms'],
        'metadata-file': this.options.previousMetadataLocation,
      });
      if (log.length > max) m['metadata-log'] = log.slice(log.length - max);
    }
    this.checkTimeline();
    return m;
  }

  // Java's TableMetadata refuses a last-updated-ms more than a minute before the latest snapshot-log or
  // metadata-log entry (clock skew between writers is tolerated up to that).
  private checkTimeline(): void {
    const updated = toBigInt(this.m['last-updated-ms']);
    const snapshotLog = this.m['snapshot-log']!;
    for (let i = 1; i < snapshotLog.length; i++) {
      const step = toBigInt(snapshotLog[i]!['timestamp-ms']) - toBigInt(snapshotLog[i - 1]!['timestamp-ms']);
      if (step < -ONE_MINUTE_MS) {
        throw new InvalidUpdateError(
          `Invalid snapshot timestamp ${snapshotLog[i]!['timestamp-ms']}: before last snapshot log entry at ${snapshotLog[i - 1]!['timestamp-ms']}`,
        );
      }
    }
    const lastSnapshot = snapshotLog.at(-1);
    if (lastSnapshot && updated - toBigInt(lastSnapshot['timestamp-ms']) < -ONE_MINUTE_MS) {
      throw new InvalidUpdateError(
        `Invalid update timestamp ${updated}: before last snapshot log entry at ${lastSnapshot['timestamp-ms']}`,
      );
    }
    const lastMetadata = this.m['metadata-log']!.at(-1);
    if (lastMetadata && updated - toBigInt(lastMetadata['timestamp-ms']) < -ONE_MINUTE_MS) {
      throw new InvalidUpdateError(
        `Invalid update timestamp ${updated}: before the latest metadata log entry timestamp ${lastMetadata['timestamp-ms']}`,
      );
    }
  }

  // Java's updateSnapshotLog: drop entries of snapshots added and set as main within this commit but not
  // current at its end; after a removal, an entry for a missing snapshot clears the history before it.
  private snapshotLog(): { 'timestamp-ms': Int64; 'snapshot-id': Int64 }[] {
    const log = this.m['snapshot-log']!;
    const currentRaw = this.m['current-snapshot-id'];
    const current = currentRaw === undefined || currentRaw === null ? undefined : toBigInt(currentRaw);
    const intermediate = new Set(
      this.mainRefSets.filter((id) => this.addedSnapshotIds.includes(id) && id !== current),
    );
    if (intermediate.size === 0 && !this.removedSnapshots) return log;
    const present = new Set(this.m.snapshots!.map((s) => toBigInt(s['snapshot-id'])));
    let result: typeof log = [];
    for (const entry of log) {
      const id = toBigInt(entry['snapshot-id']);
      if (present.has(id)) {
        if (!intermediate.has(id)) result.push(entry);
      } else if (this.removedSnapshots) {
        result = [];
      }
    }
    return result;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function sameRef(a: SnapshotRef, b: SnapshotRef): boolean {
  return (
    int64Equal(a['snapshot-id'], b['snapshot-id']) &&
    a.type === b.type &&
    int64Equal(a['max-ref-age-ms'], b['max-ref-age-ms']) &&
    int64Equal(a['max-snapshot-age-ms'], b['max-snapshot-age-ms']) &&
    (a['min-snapshots-to-keep'] ?? null) === (b['min-snapshots-to-keep'] ?? null)
  );
}

// Schemas are the same when fields (ids, names, types, required) and identifier fields match; the
// schema-id is not part of the comparison (Java Schema.sameSchema).
function sameSchema(a: Schema, b: Schema): boolean {
  return (
    canonical(a.fields) === canonical(b.fields) &&
    canonical([...(a['identifier-field-ids'] ?? [])].sort()) ===
      canonical([...(b['identifier-field-ids'] ?? [])].sort())
  );
}

function sameFields(a: unknown[], b: unknown[]): boolean {
  return canonical(a) === canonical(b);
}

// Key-order independent serialization for structural comparison.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}

/** The highest field id anywhere in a schema (nested struct, list element, map key and value ids). */
export function highestFieldId(schema: Schema): number {
  let max = 0;
  const visit = (type: IcebergType): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const field of type.fields) {
        max = Math.max(max, field.id);
        visit(field.type);
      }
    } else if (type.type === 'list') {
      max = Math.max(max, type['element-id']);
      visit(type.element);
    } else {
      max = Math.max(max, type['key-id'], type['value-id']);
      visit(type.key);
      visit(type.value);
    }
  };
  visit(schema);
  return max;
}

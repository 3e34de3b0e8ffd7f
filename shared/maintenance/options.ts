// What one maintenance run does and within which bounds. Every window and size falls back to the Iceberg
// table property of the same meaning when the caller leaves it unset, then to Iceberg's default, so a
// table configured for Iceberg Java's maintenance behaves the same here.

import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import {
  MAX_SNAPSHOT_AGE_PROPERTY,
  MIN_SNAPSHOTS_TO_KEEP_PROPERTY,
  TARGET_FILE_SIZE_PROPERTY,
} from '../iceberg/table-properties.js';

const DAY_MS = 24 * 3600 * 1000;

export interface MaintenanceOptions {
  /** Expire snapshots older than this (default: the table property, else 5 days). */
  expireOlderThanMs?: number;
  /** Keep at least this many of main's newest snapshots (default: the table property, else 1). */
  retainLast?: number;
  /** Remove unreferenced files only when older than this (default 3 days): in-flight writes are younger. */
  orphansOlderThanMs?: number;
  /** Steps to run (all by default). */
  expire?: boolean;
  removeOrphans?: boolean;
  compact?: boolean;
  /** Plan and report only: nothing is written, committed or deleted. */
  dryRun?: boolean;
  /** Size of compacted files (default: the table property, else 128 MiB as the commits write). */
  targetFileSizeBytes?: number;
  /** A file below this fraction of the target is small (default 0.75, as Iceberg's bin-pack). */
  smallFileFraction?: number;
  /** A partition is compacted only with at least this many small files (default 5, as Iceberg's). */
  minInputFiles?: number;
  /** Lease time to live and the least time left before a catalog commit starts (as commitTable's). */
  leaseTtlMs?: number;
  minLeaseLeftMs?: number;
  /** Keep trying to take a busy lease this long before reporting busy (default 0: report at once). */
  waitForLeaseMs?: number;
  /** Redo attempts of a catalog commit that met a conflict (default 3). */
  maxAttempts?: number;
}

export interface ResolvedOptions {
  expireOlderThanMs: number;
  retainLast: number;
  orphansOlderThanMs: number;
  expire: boolean;
  removeOrphans: boolean;
  compact: boolean;
  dryRun: boolean;
  targetFileSizeBytes: number;
  smallFileFraction: number;
  minInputFiles: number;
  leaseTtlMs: number;
  minLeaseLeftMs: number;
  waitForLeaseMs: number;
  maxAttempts: number;
}

export const DEFAULT_EXPIRE_OLDER_THAN_MS = 5 * DAY_MS;
export const DEFAULT_ORPHANS_OLDER_THAN_MS = 3 * DAY_MS;
export const DEFAULT_TARGET_FILE_SIZE_BYTES = 128 * 1024 * 1024;
export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;
export const DEFAULT_MIN_LEASE_LEFT_MS = 60_000;

function positiveProperty(metadata: TableMetadata, key: string): number | undefined {
  const raw = metadata.properties?.[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`table property ${key} = "${raw}" is not a non-negative integer`);
  return value;
}

/** The options of one run on one table: the caller's, else the table's properties, else the defaults. */
export function resolveOptions(options: MaintenanceOptions, metadata: TableMetadata): ResolvedOptions {
  return {
    expireOlderThanMs:
      options.expireOlderThanMs ??
      positiveProperty(metadata, MAX_SNAPSHOT_AGE_PROPERTY) ??
      DEFAULT_EXPIRE_OLDER_THAN_MS,
    retainLast: Math.max(
      1,
      options.retainLast ?? positiveProperty(metadata, MIN_SNAPSHOTS_TO_KEEP_PROPERTY) ?? 1,
    ),
    orphansOlderThanMs: options.orphansOlderThanMs ?? DEFAULT_ORPHANS_OLDER_THAN_MS,
    expire: options.expire ?? true,
    removeOrphans: options.removeOrphans ?? true,
    compact: options.compact ?? true,
    dryRun: options.dryRun ?? false,
    targetFileSizeBytes:
      options.targetFileSizeBytes ??
      positiveProperty(metadata, TARGET_FILE_SIZE_PROPERTY) ??
      DEFAULT_TARGET_FILE_SIZE_BYTES,
    smallFileFraction: options.smallFileFraction ?? 0.75,
    minInputFiles: Math.max(2, options.minInputFiles ?? 5),
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    minLeaseLeftMs: options.minLeaseLeftMs ?? DEFAULT_MIN_LEASE_LEFT_MS,
    waitForLeaseMs: options.waitForLeaseMs ?? 0,
    maxAttempts: Math.max(1, options.maxAttempts ?? 3),
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: DAY_MS, w: 7 * DAY_MS };

/** `5d`, `36h`, `90m`, `30s`, `500ms`, `0`: a duration in ms; throws naming the option and the value. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!match || (match[2] === undefined && Number(match[1]) !== 0)) {
    throw new RangeError(`${option}: "${text}" is not a duration such as 5d, 36h, 90m, 30s or 500ms`);
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
}

const BOOLEAN_KEYS = ['expire', 'removeOrphans', 'compact', 'dryRun'] as const;

const HOUR_MS = 3600 * 1000;
const YEAR_MS = 366 * DAY_MS;

interface Bound {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
  /** Why the bounds are what they are, for the reason of a refusal. */
  why: string;
}

/**
 * The range of every numeric option a task body may carry. A body comes from a queue anyone with
 * enqueue rights can write to, and some values are destructive rather than merely slow: orphans younger
 * than an hour may be a running commit's files, a lease of 0 ms is no lease.
 */
export const NUMBER_BOUNDS: Record<
  Exclude<keyof MaintenanceOptions, (typeof BOOLEAN_KEYS)[number]>,
  Bound
> = {
  expireOlderThanMs: { min: 0, max: 100 * YEAR_MS, integer: true, why: 'ms' },
  retainLast: { min: 1, max: 100_000, integer: true, why: 'snapshots' },
  orphansOlderThanMs: {
    min: HOUR_MS,
    max: 100 * YEAR_MS,
    integer: true,
    why: 'ms; younger files may be those of a commit still running',
  },
  targetFileSizeBytes: { min: 1024 * 1024, max: 16 * 1024 ** 3, integer: true, why: 'bytes' },
  smallFileFraction: { min: 0.01, max: 1, integer: false, why: 'of the target size' },
  minInputFiles: { min: 2, max: 100_000, integer: true, why: 'files' },
  leaseTtlMs: { min: 60_000, max: 6 * HOUR_MS, integer: true, why: 'ms; a shorter lease ends mid-run' },
  minLeaseLeftMs: { min: 1_000, max: HOUR_MS, integer: true, why: 'ms, and below leaseTtlMs' },
  waitForLeaseMs: { min: 0, max: HOUR_MS, integer: true, why: 'ms' },
  maxAttempts: { min: 1, max: 100, integer: true, why: 'attempts' },
};

/**
 * Options carried in a maintenance task's JSON body, checked key by key: an unknown key, a value of the
 * wrong type or out of its range (NUMBER_BOUNDS) is refused with its name (a task built by another
 * version must not run with defaults, nor a hand-made one with destructive values).
 */
export function maintenanceOptionsFromJson(value: unknown): MaintenanceOptions {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`maintenance options: expected an object, got ${JSON.stringify(value)}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((BOOLEAN_KEYS as readonly string[]).includes(key)) {
      if (typeof v !== 'boolean')
        throw new TypeError(`maintenance option ${key}: expected a boolean, got ${JSON.stringify(v)}`);
    } else if (Object.hasOwn(NUMBER_BOUNDS, key)) {
      const bound = NUMBER_BOUNDS[key as keyof typeof NUMBER_BOUNDS];
      if (typeof v !== 'number' || !Number.isFinite(v) || (bound.integer && !Number.isInteger(v)))
        throw new TypeError(
          `maintenance option ${key}: expected ${bound.integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`,
        );
      if (v < bound.min || v > bound.max)
        throw new RangeError(
          `maintenance option ${key}: ${v} is out of range (${bound.min} to ${bound.max} ${bound.why})`,
        );
    } else throw new TypeError(`maintenance option ${key} is unknown`);
    out[key] = v;
  }
  const ttl = (out.leaseTtlMs as number | undefined) ?? DEFAULT_LEASE_TTL_MS;
  const left = (out.minLeaseLeftMs as number | undefined) ?? DEFAULT_MIN_LEASE_LEFT_MS;
  if (left >= ttl)
    throw new RangeError(
      `maintenance option minLeaseLeftMs: ${left} is not below leaseTtlMs ${ttl}: no commit could ever start`,
    );
  return out as MaintenanceOptions;
}

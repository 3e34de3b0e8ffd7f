// The one commit loop of every writer (commit, compaction, expiry): build a transaction on the table as
// it is now, renew the lease with time to spare, send the commit, and on
//   409 conflict         delete the refused snapshot's manifests and list (nothing references them) and
//                        build again on the new base;
//   unknown (5xx, timeout)  never delete anything written: reload the table and look for our snapshot
//                        (resolve-unknown-commit.ts); landed is success, else build again;
//   a lost lease         stop before the commit (LeaseLostError, from TableLease.renew).
// A redo renews the lease first: it may be a zombie's. After maxAttempts the run stops with
// CommitRetriesExhaustedError. The `build` callback may also end the run without a commit (`done`).

import type { Logger } from '../log.js';
import {
  CommitConflictError,
  CommitStateUnknownError,
  type Catalog,
  type LoadedTable,
  type TableIdentifier,
} from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { TableLease } from './lease.js';
import { resolveUnknownCommit } from './resolve-unknown-commit.js';
import { tableName } from './table-identifier.js';
import type { TableTransaction } from './transaction.js';

export interface CommitAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /** An earlier attempt's outcome was unknown: its files may yet be referenced, never delete them. */
  unknownOutcome: boolean;
}

/** What one attempt built: a transaction to commit, with the writer's result; or the end without one. */
export type Built<T, D> = { transaction: TableTransaction; value: T } | { done: D };

export interface RetryOptions {
  maxAttempts: number;
  log: Logger;
  /** Where refused manifests are deleted. */
  objects: Pick<ObjectStore, 'delete'>;
  /** Test seams around the catalog commit (throwing from one simulates a crash there). */
  hooks?: {
    beforeCatalogCommit?(): Promise<void> | void;
    afterCatalogCommit?(): Promise<void> | void;
  };
}

export type RetryResult<T, D> =
  | {
      status: 'committed';
      value: T;
      transaction: TableTransaction;
      /** The table as committed; absent when the commit was found landed after an unknown outcome. */
      table?: LoadedTable;
      attempts: number;
    }
  | { status: 'done'; value: D; attempts: number };

export class CommitRetriesExhaustedError extends Error {
  constructor(
    readonly table: TableIdentifier,
    readonly attempts: number,
    /** Some attempt's outcome was unknown: its files must not be deleted. */
    readonly unknownOutcome: boolean,
  ) {
    super(`table ${tableName(table)}: commit failed after ${attempts} attempts`);
    this.name = 'CommitRetriesExhaustedError';
  }
}

export async function commitWithRetry<T, D = never>(
  catalog: Catalog,
  lease: TableLease | undefined,
  build: (attempt: CommitAttempt) => Promise<Built<T, D>>,
  options: RetryOptions,
): Promise<RetryResult<T, D>> {
  const { log, hooks } = options;
  let unknownOutcome = false;
  for (let attempt = 1; ; attempt++) {
    // a redo after a conflict may be a zombie's: it must still hold the lease to go on
    if (attempt > 1) await lease?.renew();
    const built = await build({ attempt, unknownOutcome });
    if ('done' in built) return { status: 'done', value: built.done, attempts: attempt };
    const tx = built.transaction;
    const { requirements, updates } = tx.request();

    // the lease must still be ours, with time to spare, when the commit starts
    await lease?.renew();
    await hooks?.beforeCatalogCommit?.();
    let landed: LoadedTable | true | undefined;
    try {
      landed = await catalog.commitTable(tx.table, requirements, updates);
    } catch (error) {
      if (error instanceof CommitConflictError) {
        log.warn('commit conflict: redoing from the new base', { attempt, reason: error.message });
        // refused: nothing references this attempt's manifests and list
        for (const path of tx.writtenFiles) await options.objects.delete(path);
      } else if (error instanceof CommitStateUnknownError) {
        unknownOutcome = true;
        const resolved = await resolveUnknownCommit(catalog, tx.table, tx.identity());
        log.warn('commit state unknown, resolved from the table', {
          attempt,
          resolved,
          ...(tx.snapshot ? { snapshotId: String(tx.snapshot.snapshot['snapshot-id']) } : {}),
        });
        // not-landed: the base did not move, so rebuilding on it gives the same commit; redo covers both
        if (resolved === 'landed') landed = true;
      } else {
        throw error;
      }
    }
    if (landed) {
      await hooks?.afterCatalogCommit?.();
      return {
        status: 'committed',
        value: built.value,
        transaction: tx,
        ...(landed === true ? {} : { table: landed }),
        attempts: attempt,
      };
    }
    if (attempt >= options.maxAttempts)
      throw new CommitRetriesExhaustedError(tx.table, attempt, unknownOutcome);
  }
}

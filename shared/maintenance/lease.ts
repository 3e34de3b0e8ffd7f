// Maintenance runs under the same per-table lease as commitTable, so it is never a second writer: on the
// embedded defaults it takes the lease itself; in the cloud the commit function, which the table's queue
// runs one task at a time, takes it. Before each catalog commit the lease is renewed with time to spare;
// a lost lease stops the run before it commits anything.

import type { Lease, StateStore } from '../ports/state-store.js';

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseSettings {
  ttlMs: number;
  minLeftMs: number;
  now: () => number;
}

export class TableLease {
  private constructor(
    private readonly state: StateStore,
    private current: Lease,
    private readonly settings: LeaseSettings,
  ) {}

  /**
   * Take the table's lease, trying again every `pollMs` until `waitMs` has passed; undefined when another
   * run still holds it then.
   */
  static async take(
    state: StateStore,
    table: string,
    holder: string,
    settings: LeaseSettings & { waitMs: number; pollMs?: number },
  ): Promise<TableLease | undefined> {
    const deadline = settings.now() + settings.waitMs;
    for (;;) {
      const lease = await state.acquireLease(table, holder, settings.ttlMs, settings.now());
      if (lease) return new TableLease(state, lease, settings);
      if (settings.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, settings.pollMs ?? 500));
    }
  }

  get token(): number {
    return this.current.token;
  }

  /** Extend the lease; throws LeaseLostError when it was taken over or too little time would be left. */
  async renew(): Promise<void> {
    const at = this.settings.now();
    if (this.current.expiresAtMs <= at)
      throw new LeaseLostError(`lease token ${this.current.token} expired at ${this.current.expiresAtMs}`);
    const renewed = await this.state.renewLease(this.current, this.settings.ttlMs, at);
    if (!renewed) throw new LeaseLostError(`lease token ${this.current.token} was taken over`);
    if (renewed.expiresAtMs - this.settings.now() < this.settings.minLeftMs)
      throw new LeaseLostError(
        `lease token ${this.current.token} has less than ${this.settings.minLeftMs} ms left`,
      );
    this.current = renewed;
  }

  async release(): Promise<void> {
    await this.state.releaseLease(this.current);
  }
}

// The per-table lease every writer of a table holds: commits, compaction and snapshot expiry, so a table
// has one writer at a time and a zombie run is recognised (its token goes into the snapshot summary).
// Taken (optionally waiting for it), renewed in the background while the run works (a run longer than
// the time to live keeps its table, while a crashed run's lease still ends one time to live later),
// renewed with a minimum of time left before each catalog commit, and released. A lost lease stops the
// run before it commits anything (LeaseLostError).

import type { Logger } from '../log.js';
import type { Lease, StateStore } from '../ports/state-store.js';

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseSettings {
  ttlMs: number;
  /** Do not start a catalog commit with less lease time left than this. */
  minLeftMs: number;
  now: () => number;
  /** Renew in the background this often while the run works (0 or absent: off). */
  renewEveryMs?: number;
  /** Where background renewals that fail are reported. */
  log?: Logger;
}

export class TableLease {
  private heartbeat: { stop: () => Promise<void> } | undefined;

  private constructor(
    private readonly state: StateStore,
    private current: Lease,
    private readonly settings: LeaseSettings,
  ) {
    if (settings.renewEveryMs) this.heartbeat = this.keepRenewing(settings.renewEveryMs);
  }

  /**
   * Take the table's lease, trying again every `pollMs` until `waitMs` has passed (0: one try); undefined
   * when another run still holds it then.
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
    // Stop renewing before releasing: a renewal landing after the release would hold the table again.
    await this.heartbeat?.stop();
    await this.state.releaseLease(this.current);
  }

  /** Renews every `everyMs` until stopped; a lost lease is left for the next renew() to report. */
  private keepRenewing(everyMs: number): { stop: () => Promise<void> } {
    let inFlight: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (inFlight) return;
      inFlight = (async () => {
        try {
          const renewed = await this.state.renewLease(this.current, this.settings.ttlMs, this.settings.now());
          if (renewed) this.current = renewed;
          else
            this.settings.log?.warn('lease renewal refused: another run holds the table', {
              token: this.current.token,
            });
        } catch (error) {
          this.settings.log?.warn('lease renewal failed; retrying', { reason: (error as Error).message });
        } finally {
          inFlight = undefined;
        }
      })();
    }, everyMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await inFlight;
      },
    };
  }
}

// `status --watch`: reads the status again every interval and redraws it in place, one line per table
// with its lag and pending change-sets, until the operator stops it (Ctrl-C). Into a pipe or a file (no
// terminal) each frame is printed after the last, separated by a blank line, without escape codes. With
// --json each read is one JSON line instead, for a program to follow.

import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from './status.js';
import { formatDuration } from './status.js';

// Cursor home and clear screen (ANSI): the next frame replaces the last instead of scrolling.
const CLEAR = '\x1b[H\x1b[2J';

export interface WatchOptions {
  intervalMs: number;
  json: boolean;
  /** Output is a terminal: frames replace each other; else they follow each other. */
  terminal: boolean;
  write: (text: string) => void;
  /** Ends the watch after the current frame (Ctrl-C). */
  signal: AbortSignal;
  now?: () => number;
}

/** One frame: a column per measure, lag first since it is what an operator watches for. */
export function watchFrame(report: StatusReport, at: Date, intervalMs: number): string {
  const rows = report.tables.map((t) => [
    t.table,
    t.lagMs === null ? 'unknown' : formatDuration(t.lagMs),
    String(t.pendingChangesets),
    t.snapshotAt ?? 'never',
  ]);
  const header = ['table', 'lag', 'pending', 'last snapshot'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const failed = report.failedFiles.length;
  return [
    `datastream-iceberg status at ${at.toISOString()} (every ${formatDuration(intervalMs)}, Ctrl-C stops)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `${report.tables.length} tables; ${failed} failed file${failed === 1 ? '' : 's'}`,
    '',
  ].join('\n');
}

export async function watchStatus(read: () => Promise<StatusReport>, options: WatchOptions): Promise<void> {
  const now = options.now ?? Date.now;
  while (!options.signal.aborted) {
    const report = await read();
    if (options.json) options.write(`${JSON.stringify({ at: new Date(now()).toISOString(), ...report })}\n`);
    else {
      const frame = watchFrame(report, new Date(now()), options.intervalMs);
      // the frame ends with a newline: one more leaves a blank line before the next
      options.write(options.terminal ? CLEAR + frame : `${frame}\n`);
    }
    try {
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    } catch {
      // aborted while waiting: the loop condition ends it
    }
  }
}

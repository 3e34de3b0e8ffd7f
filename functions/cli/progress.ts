// A one-line progress bar on a terminal: files done/total, events read, elapsed time. It draws only when
// the stream is a TTY (redrawn in place with \r); piped or redirected output gets nothing, so logs and
// scripts never see control characters.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  /** One more file done, with the events it held. */
  tick(label: string, events: number): void;
  /** Redraw with a label for work after the files (e.g. the commits). */
  note(label: string): void;
  /** Clear the bar (before printing the summary). */
  done(): void;
}

const BAR_WIDTH = 24;
/** Redraw at most this often: a folder of small files would otherwise spend its time drawing. */
const REDRAW_MS = 100;

export function formatProgress(done: number, total: number, events: number, elapsedMs: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  return `[${bar}] ${done}/${total} files, ${events} events, ${(elapsedMs / 1000).toFixed(1)} s`;
}

export function createProgress(
  total: number,
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { tick: () => undefined, note: () => undefined, done: () => undefined };
  const started = now();
  let done = 0;
  let events = 0;
  let drawnAt = -Infinity;
  const draw = (label: string): void => {
    const line = `${formatProgress(done, total, events, now() - started)} ${label}`;
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
  };
  draw('');
  return {
    tick(label, count) {
      done += 1;
      events += count;
      if (done === total || now() - drawnAt >= REDRAW_MS) {
        drawnAt = now();
        draw(label);
      }
    },
    note(label) {
      draw(label);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}

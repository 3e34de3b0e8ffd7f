// Parquet encoding (ZSTD + metrics), the larger half of rewriting a file, in worker threads: while a
// worker encodes one rewritten file, the main thread reads and splices the next. The hand-over is one
// Arrow IPC stream each way (the main thread serialises it for parquet-wasm anyway), its buffer
// transferred, not copied. Workers start on first use and end with close() (always call it: a live
// worker keeps the process running).

import { Worker } from 'node:worker_threads';
import * as arrow from 'apache-arrow';
import type { WrittenDataFile } from '../iceberg/io/parquet-data-file.js';
import type { Schema } from '../iceberg/spec/types.js';

export interface EncodeRequest {
  id: number;
  ipc: Uint8Array;
  schema: Schema;
}

export type EncodeResponse = { id: number; written: WrittenDataFile } | { id: number; error: string };

interface Pending {
  resolve(written: WrittenDataFile): void;
  reject(error: Error): void;
}

export class ParquetEncoderPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly size: number) {}

  /** Encode `table` (columns = `schema`'s fields) as writeArrowDataFile does, in the least busy worker. */
  encode(table: arrow.Table, schema: Schema): Promise<WrittenDataFile> {
    const slot = this.slot();
    const id = this.nextId++;
    const ipc = arrow.tableToIPC(table, 'stream');
    slot.busy++;
    return new Promise<WrittenDataFile>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (w) => (slot.busy--, resolve(w)),
        reject: (e) => (slot.busy--, reject(e)),
      });
      const request: EncodeRequest = { id, ipc, schema };
      slot.worker.postMessage(request, [ipc.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private slot(): { worker: Worker; busy: number } {
    const idle = this.workers.find((w) => w.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) {
      const worker = new Worker(new URL('./parquet-encoder-worker.js', import.meta.url));
      worker.on('message', (response: EncodeResponse) => {
        const waiting = this.pending.get(response.id);
        if (!waiting) return;
        this.pending.delete(response.id);
        if ('error' in response) waiting.reject(new Error(`Parquet encoding failed: ${response.error}`));
        else waiting.resolve(response.written);
      });
      worker.on('error', (error) => {
        for (const [id, waiting] of this.pending) {
          this.pending.delete(id);
          waiting.reject(error);
        }
      });
      const slot = { worker, busy: 0 };
      this.workers.push(slot);
      return slot;
    }
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }
}

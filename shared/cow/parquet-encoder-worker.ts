// Worker thread of ParquetEncoderPool: Arrow IPC stream in, Parquet bytes and manifest metrics out
// (writeArrowDataFile, the same writer settings and metrics as the main thread).

import { parentPort } from 'node:worker_threads';
import * as arrow from 'apache-arrow';
import { writeArrowDataFile } from '../iceberg/io/parquet-data-file.js';
import type { EncodeRequest, EncodeResponse } from './parquet-encoder-pool.js';

parentPort!.on('message', (request: EncodeRequest) => {
  let response: EncodeResponse;
  try {
    const written = writeArrowDataFile(arrow.tableFromIPC(request.ipc), request.schema);
    response = { id: request.id, written };
    parentPort!.postMessage(response, [written.bytes.buffer as ArrayBuffer]);
  } catch (error) {
    response = { id: request.id, error: (error as Error).stack ?? String(error) };
    parentPort!.postMessage(response);
  }
});

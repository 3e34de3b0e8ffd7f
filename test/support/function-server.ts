// Serves a function through the functions framework on 127.0.0.1 (the framework's own CLI would bind
// every interface), as Cloud Functions would call it: CloudEvents and HTTP requests over real HTTP.

import * as functions from '@google-cloud/functions-framework';
import type { CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { AddressInfo } from 'node:net';

export interface ServedFunction {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

export async function serveFunction(
  name: string,
  handler: { cloudEvent: CloudEventFunction<unknown> } | { http: HttpFunction },
): Promise<ServedFunction> {
  if ('cloudEvent' in handler) functions.cloudEvent(name, handler.cloudEvent);
  else functions.http(name, handler.http);
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** POST a `google.cloud.storage.object.v1.finalized` CloudEvent in binary mode, as Eventarc delivers it. */
export function postStorageFinalized(
  url: string,
  object: { bucket: string; name: string; generation: string },
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': `${object.name}#${object.generation}`,
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
      'ce-subject': `objects/${object.name}`,
    },
    body: JSON.stringify({ ...object, size: '1' }),
  });
}

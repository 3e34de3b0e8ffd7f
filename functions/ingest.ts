// functions/ingest: a Datastream file landed → ingestFile. Two entry points share one handler:
//   ingest        CloudEvent function for google.cloud.storage.object.v1.finalized (Eventarc)
//   ingestPubsub  HTTP function for the Pub/Sub push of a Cloud Storage notification
// Validation failures are recorded and answered with success (no retry storm); infrastructure errors
// (storage, Firestore, Cloud Tasks unavailable) fail the call so Eventarc / Pub/Sub deliver again.

import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Request, Response } from '@google-cloud/functions-framework';
import { ingestFile, type IngestOutcome } from '../shared/pipeline/ingest-file.js';
import type { CloudRuntime } from '../shared/runtime/cloud.js';
import { BadNotificationError, fromCloudEvent, fromPubsubPush } from './storage-events.js';

export type RuntimeProvider = () => CloudRuntime;

export function ingestCloudEventHandler(runtime: RuntimeProvider) {
  return async (event: CloudEvent<unknown>): Promise<IngestOutcome | undefined> => {
    const rt = runtime();
    let file;
    try {
      file = fromCloudEvent(event);
    } catch (error) {
      // A malformed notice will not get better on retry: log it and acknowledge.
      if (!(error instanceof BadNotificationError)) throw error;
      rt.log.error('malformed storage event', { eventId: event.id, reason: error.message });
      return undefined;
    }
    if (!file) {
      rt.log.debug('event ignored', { eventId: event.id, type: event.type });
      return undefined;
    }
    return ingestFile(rt.ingestDependencies(), file);
  };
}

export function ingestPubsubHandler(runtime: RuntimeProvider) {
  return async (req: Request, res: Response): Promise<void> => {
    const rt = runtime();
    let file;
    try {
      file = fromPubsubPush(req.body);
    } catch (error) {
      if (!(error instanceof BadNotificationError)) throw error;
      rt.log.error('malformed Pub/Sub push', { reason: error.message });
      res.status(204).send();
      return;
    }
    if (!file) {
      res.status(204).send();
      return;
    }
    try {
      const outcome = await ingestFile(rt.ingestDependencies(), file);
      res.status(200).json(outcome);
    } catch (error) {
      rt.log.error('ingest failed; the push will be retried', { file: file.location, error });
      res.status(500).json({ error: error instanceof Error ? error.message : String(error) });
    }
  };
}

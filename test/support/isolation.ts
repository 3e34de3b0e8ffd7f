// Every test shares one stack, so every test names its own resources: a bucket, a Firestore collection
// prefix, Cloud Tasks queues, Pub/Sub topics and subscriptions, and an Iceberg namespace, all derived from
// one id that is unique across test files (node runs them in parallel processes) and across runs against
// a long-lived developer stack (emulators keep state, and Cloud Tasks remembers queue names).
//
// Each name is valid for its service:
// - bucket: 3–63 characters of [a-z0-9-], starting and ending alphanumeric, no "goog" prefix;
// - Firestore collection id: no "/", not "__…__"; we keep to [a-z0-9_];
// - Cloud Tasks queue id: [A-Za-z0-9-], 1–100 characters;
// - Pub/Sub topic/subscription id: starts with a letter, 3–255 of [A-Za-z0-9-_.~+%];
// - Iceberg namespace: any string, kept to [a-z0-9_] so SQL engines need no quoting.

import { randomBytes } from 'node:crypto';

export interface Isolation {
  /** The unique id all names below are built from: [a-z0-9]{12}. */
  readonly id: string;
  /** A bucket of this test (not created: create it where the test needs it). */
  readonly bucket: string;
  /** Prefix for Firestore collection ids of this test, e.g. `${collectionPrefix}leases`. */
  readonly collectionPrefix: string;
  /** An Iceberg namespace of this test (not created). */
  readonly namespace: string;
  /** A Cloud Tasks queue id of this test; distinct `purpose`s give distinct queues. */
  queue(purpose?: string): string;
  /** A Pub/Sub topic id of this test. */
  topic(purpose?: string): string;
  /** A Pub/Sub subscription id of this test. */
  subscription(purpose?: string): string;
  /** A Firestore collection id of this test. */
  collection(purpose: string): string;
}

let counter = 0;

function uniqueId(): string {
  // pid and a counter make ids of one run distinct; the random part separates runs and machines.
  counter += 1;
  const pid = process.pid.toString(36).slice(-4).padStart(4, '0');
  const count = counter.toString(36).padStart(2, '0').slice(-2);
  const random = BigInt(`0x${randomBytes(5).toString('hex')}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-6);
  return `${random}${pid}${count}`;
}

function slug(purpose: string, allowed: RegExp, max: number): string {
  const cleaned = purpose
    .toLowerCase()
    .replace(allowed, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max);
  return cleaned.length > 0 ? cleaned : 'x';
}

/** Names for one test; `label` (e.g. the test's subject) only makes them easier to recognise. */
export function isolate(label = 'test'): Isolation {
  const id = uniqueId();
  const tag = slug(label, /[^a-z0-9]+/g, 20);
  const underscored = tag.replace(/-/g, '_');
  return {
    id,
    bucket: `dsi-${tag}-${id}`.slice(0, 63).replace(/-+$/, ''),
    collectionPrefix: `t_${id}_`,
    namespace: `t_${underscored}_${id}`,
    queue: (purpose = 'queue') => `dsi-${tag}-${slug(purpose, /[^a-z0-9]+/g, 40)}-${id}`.slice(0, 100),
    topic: (purpose = 'topic') => `dsi-${tag}-${slug(purpose, /[^a-z0-9]+/g, 60)}-${id}`,
    subscription: (purpose = 'sub') => `dsi-${tag}-${slug(purpose, /[^a-z0-9]+/g, 60)}-${id}`,
    collection: (purpose: string) => `t_${id}_${slug(purpose, /[^a-z0-9]+/g, 60).replace(/-/g, '_')}`,
  };
}

import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { FirestoreStateStore } from '../../../shared/adapters/gcp/firestore-state-store.js';
import { stackEnv } from '../../support/stack-env.js';
import { stateStoreContract } from '../../support/state-store-contract.js';

// The real Firestore emulator: create-only documents and transactional lease takes behave as in the cloud.
stateStoreContract('FirestoreStateStore', async () => {
  stackEnv('FIRESTORE_EMULATOR_HOST');
  const firestore = new Firestore({ projectId: stackEnv('GOOGLE_CLOUD_PROJECT') });
  return new FirestoreStateStore({ firestore, collectionPrefix: `t${randomUUID().slice(0, 8)}_` });
});

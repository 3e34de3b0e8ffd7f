import { SqliteStateStore } from '../../../../shared/adapters/embedded/sqlite-state-store.js';
import { stateStoreContract } from '../../../support/state-store-contract.js';

stateStoreContract('SqliteStateStore', async () => new SqliteStateStore(':memory:'));

/**
 * The external identities contract (test/store-identities.contract.ts) against SQLite and a real PostgreSQL.
 */
import { storeIdentitiesContract } from './store-identities.contract.js';
import { onEveryStore } from './helpers/stores.js';

onEveryStore('Store contract (external identities)', storeIdentitiesContract, { sqlite: { prefix: 'scale-chat-ids-' } });

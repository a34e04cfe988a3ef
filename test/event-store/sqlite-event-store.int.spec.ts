import { openSqliteEventStore } from '../../src/event-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { describeEventStoreContract } from './event-store.contract';

describeEventStoreContract('SqliteEventStore', async () => {
  const dir = await makeTempDir('keyledger-contract-');
  const store = await openSqliteEventStore(dir);
  return {
    store,
    async cleanup() {
      await store.close();
      await removeTempDir(dir);
    },
  };
});

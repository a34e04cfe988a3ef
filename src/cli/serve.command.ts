import type { Command } from 'commander';
import { loadConfig } from '../app/config';
import { startServer } from '../app/server';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the keyledger service (REST API on KEYLEDGER_PORT, default 8080)')
    .action(async () => {
      const config = loadConfig();
      const server = await startServer(config);
      const store = config.eventStore.kind === 'sqlite' ? `SQLite ledger in ${config.dataDir}` : 'EventStoreDB';
      console.log(`keyledger listening on ${server.url} (${store})`);
      console.log(`  health: ${server.url}/health`);
    });
}

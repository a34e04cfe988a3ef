import type { Command } from 'commander';
import { loadConfig } from '../app/config';
import { demoHsmsEnabled } from '../server/demo-hsms';
import { startServer } from '../server/server';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the keyledger service (REST API on KEYLEDGER_PORT, default 8080; demo HSMs unless KEYLEDGER_DEMO_HSMS=0)',
    )
    .action(async () => {
      const config = loadConfig();
      // The demo soft HSMs belong to the embedded mode only: a production ledger never gets them.
      const demo = config.eventStore.kind === 'sqlite' && demoHsmsEnabled(process.env.KEYLEDGER_DEMO_HSMS);
      const server = await startServer(config, { token: process.env.KEYLEDGER_TOKEN, demoHsms: demo });
      const store =
        config.eventStore.kind === 'sqlite' ? `SQLite ledger in ${config.dataDir}` : 'EventStoreDB';
      console.log(`keyledger listening on ${server.url} (${store})`);
      console.log(`  health: ${server.url}/health`);
      console.log(`  docs:   ${server.url}/docs`);
      // The operator needs the token to use the API; it is printed here once and never logged.
      if (server.token.source === 'env') console.log('  token:  from KEYLEDGER_TOKEN');
      else console.log(`  token:  ${server.token.value}  (kept in ${server.token.file})`);
      if (server.demo !== undefined) {
        console.log(
          `  demo HSMs: ${server.demo.hsms.map((h) => `${h.name} (${h.endpoint})`).join(', ')}; KEYLEDGER_DEMO_HSMS=0 turns them off`,
        );
      }
    });
}

import type { Command } from 'commander';

// The service (NestJS, the ledger, the soft HSMs) loads when `serve` runs, not when the CLI starts:
// every other command would pay for it (see main.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const configModule = (): typeof import('../app/config') => require('../app/config');
const demoModule = (): typeof import('../server/demo-hsms') => require('../server/demo-hsms');
const serverModule = (): typeof import('../server/server') => require('../server/server');
/* eslint-enable @typescript-eslint/no-require-imports */

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the keyledger service (REST API on KEYLEDGER_PORT, default 8080; demo HSMs unless KEYLEDGER_DEMO_HSMS=0)',
    )
    .action(async () => {
      const config = configModule().loadConfig();
      const { demoHsmsEnabled } = demoModule();
      const { startServer } = serverModule();
      // The demo soft HSMs belong to the embedded mode only: a production ledger never gets them.
      const demo = config.eventStore.kind === 'sqlite' && demoHsmsEnabled(process.env.KEYLEDGER_DEMO_HSMS);
      const server = await startServer(config, { token: process.env.KEYLEDGER_TOKEN, demoHsms: demo });
      const store = {
        sqlite: `SQLite ledger in ${config.dataDir}`,
        postgres: `PostgreSQL ledger; read models in ${config.dataDir}`,
        esdb: 'EventStoreDB',
      }[config.eventStore.kind];
      console.log(`keyledger listening on ${server.url} (${store})`);
      console.log(`  health: ${server.url}/health`);
      console.log(`  docs:   ${server.url}/docs`);
      // The bootstrap token is the first officer's on a new ledger; printed here, never logged. On a
      // ledger whose operators came before it (a copied ledger, another instance's), it is none
      // of theirs: never printed then, as it would only get 401.
      const where = server.token.source === 'env' ? 'KEYLEDGER_TOKEN' : `the token in ${server.token.file}`;
      if (!server.tokenIsOperators)
        console.log(
          `  token:  none: this ledger has operators already, and ${where} is none of theirs (requests with it get 401); use an operator's token`,
        );
      else if (server.token.source === 'env')
        console.log("  token:  from KEYLEDGER_TOKEN (the first officer's)");
      else
        console.log(`  token:  ${server.token.value}  (the first officer's; kept in ${server.token.file})`);
      if (server.demo !== undefined) {
        console.log(
          `  demo HSMs: ${server.demo.hsms.map((h) => `${h.name} (${h.endpoint})`).join(', ')}; KEYLEDGER_DEMO_HSMS=0 turns them off`,
        );
      }
    });
}

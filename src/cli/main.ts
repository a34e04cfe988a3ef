#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { registerBlobsCommand } from './blobs.command';
import { registerHsmsCommand } from './hsms.command';
import { registerKeysCommand } from './keys.command';
import { registerServeCommand } from './serve.command';
import { registerSoftHsmCommand } from './soft-hsm.command';

// package.json sits two levels up from both src/cli (tests) and dist/cli (installed).
const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** The `keyledger` command. Each sub-command lives in its own file and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('keyledger')
    .description('Custody ledger and external keystore for Cryptech-style HSMs')
    .version(version)
    .showHelpAfterError();
  registerServeCommand(program);
  registerSoftHsmCommand(program);
  registerHsmsCommand(program);
  registerKeysCommand(program);
  registerBlobsCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().exitOverride().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    // Known failures (bad configuration, unreadable ledger, ...) are reported as one line; never a stack.
    console.error(`keyledger: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);

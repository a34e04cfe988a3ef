/**
 * One model-based run (issue 13): `runs` random command sequences from `seed`, each against a
 * fresh world (soft HSMs and service instances), with fast-check shrinking a failure to a minimal
 * sequence. Used by the fixed-seed jest suite and by `npm run soak`.
 */
import fc from 'fast-check';
import { commandArbitraries, newModel, seedKeys, type Model } from './commands';
import { World, type WorldOptions } from './world';

/** The seed of the run in `npm test` (the broken-build check uses it too). */
export const FIXED_SEED = 20261207;

/** The fixed-seed run of `npm test`: bounded to stay well under three minutes. */
export const FIXED_RUN = { seed: FIXED_SEED, runs: 10, maxCommands: 18, crashes: true } as const;

export interface ModelRunOptions {
  readonly seed: number;
  readonly runs: number;
  readonly maxCommands: number;
  /** Include SIGKILL-and-restart steps. */
  readonly crashes: boolean;
  /** Worlds run two instances on a server store: racing moves come more often. */
  readonly twoInstances?: boolean;
  /** The world of each sequence, or a function making it (e.g. a fresh PostgreSQL schema per sequence). */
  readonly world: WorldOptions | (() => WorldOptions);
  /** Stop at the first failure without shrinking (for the broken-build check). */
  readonly noShrink?: boolean;
  /** Replays one sequence: the `path` fast-check printed with a failure. */
  readonly path?: string;
  /** Called after each sequence with the running totals. */
  readonly onSequence?: (totals: ModelRunTotals) => void;
}

export interface ModelRunTotals {
  sequences: number;
  steps: number;
  crashes: number;
  restarts: number;
  plantedRestores: number;
  signatures: number;
  refusals: number;
  races: number;
}

export interface ModelRunResult {
  readonly totals: ModelRunTotals;
  /** fast-check's report of the failure (the shrunk command list, seed and path), or null. */
  readonly failure: string | null;
  /** The step log of the last failing sequence. */
  readonly failingLog: readonly string[];
}

export async function runModel(options: ModelRunOptions): Promise<ModelRunResult> {
  const totals: ModelRunTotals = {
    sequences: 0,
    steps: 0,
    crashes: 0,
    restarts: 0,
    plantedRestores: 0,
    signatures: 0,
    refusals: 0,
    races: 0,
  };
  let failingLog: readonly string[] = [];
  const worldOptions = () => (typeof options.world === 'function' ? options.world() : options.world);
  const property = fc.asyncProperty(
    fc.commands(
      commandArbitraries({ crashes: options.crashes, twoInstances: options.twoInstances === true }),
      {
        maxCommands: options.maxCommands,
        size: 'max',
      },
    ),
    async (cmds) => {
      const world = await World.start(worldOptions());
      const model: Model = newModel(world.instances.length);
      try {
        await seedKeys(model, world);
        await fc.asyncModelRun(() => ({ model, real: world }), cmds);
      } catch (error) {
        failingLog = [...model.log];
        throw error;
      } finally {
        totals.sequences++;
        totals.steps += model.log.length;
        for (const k of [
          'crashes',
          'restarts',
          'plantedRestores',
          'signatures',
          'refusals',
          'races',
        ] as const)
          totals[k] += world.stats[k];
        await world.stop();
        options.onSequence?.({ ...totals });
      }
    },
  );
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    endOnFailure: options.noShrink === true,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  return {
    totals,
    failure: details.failed
      ? `${fc.defaultReportMessage(details) ?? 'failed'}\n${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`
      : null,
    failingLog,
  };
}

/**
 * The module boundaries of eslint.config.mjs bite: src/soft-hsm is a leaf that only the
 * composition root (src/server) and src/cli import, and src/app does not depend on src/api.
 */
import { runTs } from '../support/ts-child';

const SOFT_HSM = /src\/soft-hsm is the simulator, a leaf/;
const API = /src\/api is the REST edge on top of src\/app/;

type Case = [label: string, filePath: string, code: string, expected: RegExp | null];

const cases: Case[] = [
  [
    'src/app importing soft-hsm',
    'src/app/custody/x.ts',
    "import { hssVerify } from '../../soft-hsm/hashsig';",
    SOFT_HSM,
  ],
  [
    'src/app importing soft-hsm types',
    'src/app/custody/x.ts',
    "import type { HssKey } from '../../soft-hsm/hashsig';",
    SOFT_HSM,
  ],
  ['src/app re-exporting soft-hsm', 'src/app/x.ts', "export { SoftHsm } from '../soft-hsm';", SOFT_HSM],
  ['src/api importing soft-hsm', 'src/api/x.ts', "import '../soft-hsm/hashsig';", SOFT_HSM],
  [
    'src/projections importing soft-hsm',
    'src/projections/custody/x.ts',
    "import '../../soft-hsm/hashsig';",
    SOFT_HSM,
  ],
  ['src/lib importing soft-hsm', 'src/lib/x.ts', "import '../soft-hsm/crypto/bytes';", SOFT_HSM],
  [
    'a src/lib spec importing soft-hsm test support',
    'src/lib/x.spec.ts',
    "import '../../test/soft-hsm/support';",
    SOFT_HSM,
  ],
  ['src/domain importing soft-hsm', 'src/domain/x.ts', "import '../soft-hsm';", SOFT_HSM],
  ['src/event-store importing soft-hsm', 'src/event-store/x.ts', "import '../soft-hsm';", SOFT_HSM],
  [
    'src/hsm-adapter importing soft-hsm',
    'src/hsm-adapter/codec/x.ts',
    "import '../../soft-hsm/status';",
    SOFT_HSM,
  ],
  ['src/app importing src/api', 'src/app/x.ts', "import '../api/problem';", API],
  ['src/app importing the src/api index', 'src/app/custody/x.ts', "import '../../api';", API],
  [
    'src/domain importing node:fs (the purity rule still holds)',
    'src/domain/x.ts',
    "import 'node:fs';",
    /src\/domain is pure/,
  ],
  ['src/cli importing soft-hsm', 'src/cli/x.ts', "import '../soft-hsm/hashsig';", null],
  ['src/server importing soft-hsm', 'src/server/x.ts', "import '../soft-hsm';", null],
  ['src/server importing src/api', 'src/server/x.ts', "import '../api/problem';", null],
  ['src/app importing src/lib', 'src/app/custody/x.ts', "import '../../lib/rfc8554';", null],
  [
    'src/app importing names that only contain api',
    'src/app/x.ts',
    "import './apis'; import '@opentelemetry/api'; import '../api-client';",
    null,
  ],
  ['src/lib importing a file named like soft-hsm', 'src/lib/x.ts', "import './soft-hsm-like';", null],
];

describe('module boundaries (eslint.config.mjs)', () => {
  let messages: { ruleId: string | null; message: string }[][];

  beforeAll(async () => {
    const texts = cases.map(([, filePath, code]) => ({ filePath, code: `${code}\n` }));
    const run = await runTs('test/lint/fixtures/lint-texts.ts', [JSON.stringify(texts)]);
    if (run.code !== 0) throw new Error(`lint child failed (${run.code}): ${run.stderr}`);
    messages = JSON.parse(run.stdout) as typeof messages;
  });

  it.each(cases.map((c, i) => [...c, i] as const))('%s (%s)', (_label, _file, _code, expected, i) => {
    const restricted = messages[i].filter((m) => m.ruleId === 'no-restricted-imports');
    if (expected === null) {
      expect(restricted).toEqual([]);
    } else {
      expect(restricted).toHaveLength(1);
      expect(restricted[0].message).toMatch(expected);
    }
  });
});

/**
 * Citations that resolve: the code cites the project's own docs as `docs/<file>.md §N`; every such
 * citation must name a file in docs/ and a section it has (a `## N.` / `### N.M` heading in
 * architecture.md and libhal-rpc.md, a numbered practice `N.` in style.md). The documents the
 * project was started from are not in the repository, so citing them is refused too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function sectionsOf(file: string): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs', file), 'utf8');
  const headings = [...text.matchAll(/^#{2,4} (?:§)?(\d+(?:\.\d+)*)[. ]/gm)].map((m) => m[1]!);
  const practices = file === 'style.md' ? [...text.matchAll(/^(\d+)\. \*\*/gm)].map((m) => m[1]!) : [];
  return new Set([...headings, ...practices]);
}

const sources = execFileSync('git', ['ls-files', 'src', 'test', 'bench'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts') && fs.existsSync(path.join(ROOT, f)));

describe('citations in the code', () => {
  const cited = sources.flatMap((file) =>
    [
      ...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/docs\/([a-z0-9-]+\.md) §(\d+(?:\.\d+)*)/g),
    ].map((m) => ({
      at: file,
      doc: m[1]!,
      section: m[2]!,
    })),
  );

  it('are many (the code does cite its docs)', () => {
    expect(cited.length).toBeGreaterThan(150);
  });

  it('each name a doc in docs/ and a section that doc has', () => {
    const sections = new Map<string, Set<string>>();
    const broken = cited.filter(({ doc, section }) => {
      if (!fs.existsSync(path.join(ROOT, 'docs', doc))) return true;
      if (!sections.has(doc)) sections.set(doc, sectionsOf(doc));
      return !sections.get(doc)!.has(section);
    });
    expect(broken).toEqual([]);
  });

  it('never cite the design notes the project was started from (DESIGN §, STYLE n, a bare libhal-rpc.md §)', () => {
    const stale = sources.flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /DESIGN(\.md)? §|STYLE(\.md)? (§|practice )?\d|(?<!docs\/)libhal-rpc\.md §/.test(line) &&
          !file.endsWith('citations.spec.ts')
            ? [`${file}:${i + 1}`]
            : [],
        ),
    );
    expect(stale).toEqual([]);
  });
});

describe('paths in the docs', () => {
  it('every src/, test/ and bench/ file the README and docs/ name exists', () => {
    const docs = [
      'README.md',
      'BENCHMARKS.md',
      ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`),
    ];
    const missing = docs.flatMap((doc) =>
      [
        ...fs
          .readFileSync(path.join(ROOT, doc), 'utf8')
          .matchAll(/\b(?:src|test|bench)\/[\w./-]*\.(?:ts|mjs|json)\b/g),
      ]
        .map((m) => m[0])
        .filter((p) => !fs.existsSync(path.join(ROOT, p)))
        .map((p) => `${doc}: ${p}`),
    );
    expect(missing).toEqual([]);
  });
});

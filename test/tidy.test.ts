/**
 * Mechanical style checks over the whole tree (as TigerBeetle's tidy.zig): imports only go down the layer
 * graph, no `as any`, no bare FIXME, and files stay under the split limit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['engine', 'hw', 'dfs', 'dfuse', 'il', 'scripts', 'test'];
const FILE_LINES_MAX = 600;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = SOURCE_DIRS.flatMap((dir) => {
  try { return sourceFiles(join(ROOT, dir)); } catch { return []; }
});

/** Which top-level areas each area may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  'hw': [],
  'engine/vos': ['hw', 'engine/wire', 'engine/constants', 'engine/log'],
  'engine/placement': ['engine/wire', 'engine/pool-map', 'engine/constants'],
  'engine/pool-map': ['engine/wire', 'engine/constants'],
  'engine/wire': ['engine/constants', 'engine/pool-map'],
  'engine/system': ['engine/wire'],
  'engine/client': ['engine/wire', 'engine/placement', 'engine/pool-map', 'engine/system', 'engine/constants', 'engine/log'],
  'engine/server': ['engine/wire', 'engine/vos', 'engine/placement', 'engine/pool-map', 'engine/system', 'engine/client', 'engine/constants', 'engine/log', 'engine/telemetry', 'hw'],
  'dfs': ['engine/client', 'engine/wire', 'engine/placement', 'engine/pool-map', 'engine/system', 'engine/constants', 'engine/log'],
  // engine/telemetry is the exposition format alone (no imports): dfuse serves its own /metrics with it.
  'dfuse': ['dfs', 'engine/telemetry'],
  'il': ['dfs'],
};

function area(path: string): string {
  const rel = relative(ROOT, path).split('/');
  if (rel[0] === 'engine') return rel.length === 2 ? `engine/${rel[1]!.replace(/\.(ts|js)$/, '')}` : `engine/${rel[1]}`;
  return rel[0]!;
}

function isTest(path: string): boolean {
  return /\.test\.ts$/.test(path);
}

describe('tidy', () => {
  it('imports: product code imports only down the layer graph', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = area(file);
      const allowed = ALLOWED[from];
      if (allowed === undefined || isTest(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = area(resolve(dirname(file), match[1]!));
        if (target !== from && !allowed.includes(target)) violations.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('product code never imports scripts/', () => {
    const offenders = files.filter((file) => !area(file).startsWith('scripts') && !area(file).startsWith('test') && !isTest(file))
      .filter((file) => /from\s+'(\.\.\/)+scripts\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('no `as any`, no `: any` in signatures, no bare FIXME', () => {
    const offenders: string[] = [];
    for (const file of files) {
      if (file === resolve(import.meta.filename)) continue;
      const text = readFileSync(file, 'utf8');
      if (/\bas any\b|:\s*any\s*[,;)=>\]|]|:\s*any$|<any>/m.test(text)) offenders.push(`${relative(ROOT, file)}: any`);
      if (/\bFIXME\b/.test(text)) offenders.push(`${relative(ROOT, file)}: FIXME`);
    }
    expect(offenders).toEqual([]);
  });

  it(`files stay under ${FILE_LINES_MAX} lines`, () => {
    const long = files.filter((file) => readFileSync(file, 'utf8').split('\n').length > FILE_LINES_MAX).map((file) => relative(ROOT, file));
    expect(long).toEqual([]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { boundLimit } from './schema.js';

/** Every .ts file under `dir`, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('bound LIMITs (schema.ts boundLimit)', () => {
  it('limit the rows as a bare LIMIT would', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3), (4)');
    const statement = db.prepare<[number], number>(`SELECT n FROM t ORDER BY n ${boundLimit()}`).pluck();
    expect(statement.all(2)).toEqual([1, 2]);
    expect(statement.all(3)).toEqual([1, 2, 3]);
    expect(db.prepare<{ count: number }, number>(`SELECT n FROM t ORDER BY n DESC ${boundLimit('@count')}`).pluck().all({ count: 1 })).toEqual([4]);
    db.close();
  });

  it('no engine statement takes its LIMIT from a bare parameter (each execution would prepare it again)', () => {
    const engine = join(import.meta.dirname, '..');
    const offenders = sources(engine).filter((path) => /LIMIT\s+[?@:$]/.test(readFileSync(path, 'utf8').replace(/^\s*\*.*$/gm, '')));
    expect(offenders).toEqual([]);
  });
});

/**
 * PathMap (path-map.ts): subtree deletion drops exactly the root and what lies below it, however the keys
 * were added and removed, and keys keep insertion order (moved to the end when set again).
 */
import { describe, expect, it } from 'vitest';
import { PathMap } from './path-map.js';

const keysOf = (map: PathMap<number>, candidates: readonly string[]): string[] =>
  candidates.filter((path) => map.get(path) !== undefined);

describe('PathMap', () => {
  const paths = ['/a', '/a/b', '/a/b/c', '/a/bc', '/ab', '/x/y/z', '/x'];

  it('deleteTree drops the root and everything below it, nothing beside it', () => {
    const map = new PathMap<number>();
    paths.forEach((path, i) => map.set(path, i));
    map.deleteTree('/a/b');
    expect(keysOf(map, paths)).toEqual(['/a', '/a/bc', '/ab', '/x/y/z', '/x']);
    map.deleteTree('/x/y');
    expect(keysOf(map, paths), 'below a path that is not a key itself').toEqual(['/a', '/a/bc', '/ab', '/x']);
    map.deleteTree('/a');
    expect(keysOf(map, paths)).toEqual(['/ab', '/x']);
    expect(map.size).toBe(2);
    map.deleteTree('/');
    expect(map.size).toBe(0);
  });

  it('counts stay right through deletes and re-sets (a later deleteTree still finds what is below)', () => {
    const map = new PathMap<number>();
    map.set('/d/e/f', 1);
    map.set('/d/e/f', 2);
    map.delete('/d/e/f');
    map.deleteTree('/d');
    map.set('/d/e/g', 3);
    map.set('/d', 4);
    map.deleteTree('/d/e');
    expect(keysOf(map, ['/d', '/d/e/f', '/d/e/g'])).toEqual(['/d']);
    expect(map.delete('/d/e/g')).toBe(false);
    map.set('/d/e/h', 5);
    map.clear();
    map.set('/q', 6);
    map.deleteTree('/d');
    expect(keysOf(map, ['/q', '/d/e/h'])).toEqual(['/q']);
  });

  it('keeps insertion order: oldest() is the key set longest ago', () => {
    const map = new PathMap<number>();
    expect(map.oldest()).toBeUndefined();
    map.set('/1', 1);
    map.set('/2', 2);
    map.set('/1', 3);
    expect(map.oldest()).toBe('/2');
    map.delete('/2');
    expect(map.oldest()).toBe('/1');
    expect(map.get('/1')).toBe(3);
  });
});

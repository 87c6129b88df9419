/** FUSE node ids: lookups counted, paths rebuilt after renames, names detached before nodes go. */
import { describe, expect, it } from 'vitest';
import { NodeTable, ROOT_NODE } from './node-table.js';

describe('dfuse node table', () => {
  it('a name keeps one node while the kernel holds it; forget drops it at zero lookups', () => {
    const nodes = new NodeTable();
    const a = nodes.remember(ROOT_NODE, 'a');
    expect(nodes.remember(ROOT_NODE, 'a')).toBe(a);
    expect(a.lookups).toBe(2);
    expect(nodes.pathOf(a.id)).toBe('/a');
    nodes.forget(a.id, 1);
    expect(nodes.get(a.id)).toBe(a);
    nodes.forget(a.id, 1);
    expect(nodes.get(a.id)).toBeUndefined();
    expect(nodes.child(ROOT_NODE, 'a')).toBeUndefined();
    // Ids are never reused.
    expect(nodes.remember(ROOT_NODE, 'a').id).toBeGreaterThan(a.id);
    expect(nodes.pathOf(ROOT_NODE)).toBe('/');
  });

  it('paths follow renames of any directory above; a replaced target is detached', () => {
    const nodes = new NodeTable();
    const dir = nodes.remember(ROOT_NODE, 'd');
    const file = nodes.remember(dir.id, 'f');
    const other = nodes.remember(ROOT_NODE, 'e');
    expect(nodes.pathOf(file.id)).toBe('/d/f');
    nodes.move(ROOT_NODE, 'd', ROOT_NODE, 'e');
    expect(nodes.pathOf(file.id)).toBe('/e/f');
    expect(nodes.childPath(dir.id, 'g')).toBe('/e/g');
    expect(other.detached).toBe(true);
    expect(nodes.pathOf(other.id)).toBeUndefined();
    expect(nodes.child(ROOT_NODE, 'e')).toBe(dir);
    // A detached node stays until forgotten; its id then goes.
    nodes.forget(other.id, 1);
    expect(nodes.get(other.id)).toBeUndefined();
  });

  it('exchange swaps two names; unlink detaches; open files keep a node alive past its last forget', () => {
    const nodes = new NodeTable();
    const x = nodes.remember(ROOT_NODE, 'x');
    const y = nodes.remember(ROOT_NODE, 'y');
    nodes.exchange(ROOT_NODE, 'x', ROOT_NODE, 'y');
    expect([nodes.pathOf(x.id), nodes.pathOf(y.id)]).toEqual(['/y', '/x']);
    nodes.opened(x);
    nodes.forget(x.id, 1);
    expect(nodes.get(x.id)).toBe(x);
    expect(nodes.released(x)).toBe(true);
    expect(nodes.get(x.id)).toBeUndefined();
    nodes.detach(ROOT_NODE, 'x');
    expect(y.detached).toBe(true);
    expect(nodes.pathOf(y.id)).toBeUndefined();
    expect(nodes.size).toBe(2);
  });
});

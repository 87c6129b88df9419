/**
 * Whole-tree comparison for fsx: every path under a root with its kind, permission bits, size, symlink
 * target and file content digest, so what a run of operations left behind can be compared side by side
 * (names a FUSE daemon hides open unlinked files under are left out).
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeStat, digest, visibleNames } from './side.js';

/** Path (relative, '/'-separated) -> its description. */
export function describeTree(root: string): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const name of visibleNames(join(root, relative))) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(root, path);
      const stat = lstatSync(full);
      let text = describeStat(stat);
      if (stat.isSymbolicLink()) text += ` -> ${readlinkSync(full)}`;
      if (stat.isFile()) text += ` ${digest(readFileSync(full))}`;
      tree.set(path, text);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk('');
  return tree;
}

/** The first difference between two trees, as one line; undefined when they are equal. */
export function treeDifference(ref: Map<string, string>, target: Map<string, string>): string | undefined {
  for (const [path, text] of ref) {
    const other = target.get(path);
    if (other === undefined) return `${path}: missing on the target (reference: ${text})`;
    if (other !== text) return `${path}: reference ${text}, target ${other}`;
  }
  for (const [path, text] of target) if (!ref.has(path)) return `${path}: only on the target (${text})`;
  return undefined;
}

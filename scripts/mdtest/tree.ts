/**
 * The directory tree of one test iteration, as mdtest lays it out: under `<d>/test-dir.0-<iter>`, one
 * tree `mdtest_tree.<task>` per task (-u) or a single shared `mdtest_tree.0`, of depth -z and branching
 * -b (nodes numbered breadth-first, each named mdtest_tree.<number>). Items are spread over the nodes
 * round-robin and named `{file,dir}.mdtest.<task>.<index>`, so every path is a pure function of
 * (options, iteration, task, index): workers never exchange names.
 */
import type { MdtestOptions } from './options.js';

export type ItemKind = 'file' | 'dir';

/** Joins path parts with '/' (both backends take '/'-separated paths). */
export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/{2,}/g, '/');
}

export function iterationDir(options: MdtestOptions, iteration: number): string {
  return joinPath(options.testDir, `test-dir.0-${iteration}`);
}

/** Number of nodes of a tree of depth `depth` and branching `branch`: 1 + b + ... + b^depth. */
export function treeNodeCount(depth: number, branch: number): number {
  let count = 0;
  let level = 1;
  for (let d = 0; d <= depth; d += 1) {
    count += level;
    level *= branch;
  }
  return count;
}

/** The task whose tree holds task `task`'s items. */
function treeOwner(options: MdtestOptions, task: number): number {
  return options.unique ? task : 0;
}

/** Relative path (from the tree's parent) of node `node` (breadth-first number, root 0). */
function nodePath(node: number, branch: number, rootName: string): string {
  const names: string[] = [];
  let current = node;
  while (current > 0) {
    names.unshift(`mdtest_tree.${current}`);
    current = Math.floor((current - 1) / branch);
  }
  return joinPath(rootName, ...names);
}

/** Every directory of the tree owned by `task`, parents before children (create order). */
export function treeDirs(options: MdtestOptions, iteration: number, task: number): string[] {
  const base = iterationDir(options, iteration);
  const count = treeNodeCount(options.depth, options.branch);
  const root = `mdtest_tree.${treeOwner(options, task)}`;
  return Array.from({ length: count }, (_, node) => joinPath(base, nodePath(node, options.branch, root)));
}

/** Whether `task` creates and removes a tree (every task with -u, only task 0 otherwise). */
export function ownsTree(options: MdtestOptions, task: number): boolean {
  return options.unique || task === 0;
}

/** Path of item `index` of task `task`. */
export function itemPath(options: MdtestOptions, iteration: number, task: number, kind: ItemKind, index: number): string {
  const dirs = treeDirs(options, iteration, task);
  const dir = dirs[index % dirs.length]!;
  return joinPath(dir, `${kind}.mdtest.${task}.${index}`);
}

/** The task whose items task `task` stats and reads (-N stride). */
export function neighbour(options: MdtestOptions, task: number): number {
  return (task + options.stride) % options.procs;
}

/**
 * The kernel's view of the namespace: FUSE node ids, one per name the kernel has looked up (as
 * libfuse2's high-level API keeps them), each remembered as (parent node, name) so its mount path can
 * be rebuilt after renames of any directory above it. A node lives while the kernel holds lookups on it
 * (each LOOKUP, CREATE, MKDIR, ... adds one; FORGET drops them). Its name can go before it does (unlink,
 * rmdir, rename over it): it is detached and only its open files keep serving.
 * Node ids are never reused within a mount. st_ino comes from DFS, not from here.
 */
import { childOf } from './path.js';

export const ROOT_NODE = 1;

export interface FuseNode {
  readonly id: number;
  parent: number;
  name: string;
  /** Lookups the kernel holds. */
  lookups: number;
  /** Name removed (or replaced) while the kernel still knew the node. */
  detached: boolean;
  /** Open files (open/create not yet released) of this node. */
  opens: number;
  /** Size and mtime seen at the last open, to keep the page cache when the file is unchanged. */
  cachedSize?: number;
  cachedMtimeMs?: number;
}

export class NodeTable {
  readonly #nodes = new Map<number, FuseNode>();
  readonly #byName = new Map<string, FuseNode>();
  #nextId = ROOT_NODE + 1;

  constructor() {
    this.#nodes.set(ROOT_NODE, { id: ROOT_NODE, parent: ROOT_NODE, name: '', lookups: 1, detached: false, opens: 0 });
  }

  get(id: number): FuseNode | undefined {
    return this.#nodes.get(id);
  }

  /** The node holding `name` in directory node `parent`, if the kernel knows it. */
  child(parent: number, name: string): FuseNode | undefined {
    return this.#byName.get(nameKey(parent, name));
  }

  /** The mount path of node `id` ('/' for the root); undefined if the node or one above it is gone. */
  pathOf(id: number): string | undefined {
    if (id === ROOT_NODE) return '/';
    let path = '';
    let node = this.#nodes.get(id);
    while (node !== undefined && node.id !== ROOT_NODE) {
      if (node.detached) return undefined;
      path = `/${node.name}${path}`;
      node = this.#nodes.get(node.parent);
    }
    return node === undefined ? undefined : path;
  }

  /** Path of `name` in directory node `parent`. */
  childPath(parent: number, name: string): string | undefined {
    const dir = this.pathOf(parent);
    if (dir === undefined) return undefined;
    return childOf(dir, name);
  }

  /** Counts one more kernel lookup of `name` in `parent`: its node, created on first sight. */
  remember(parent: number, name: string): FuseNode {
    const key = nameKey(parent, name);
    let node = this.#byName.get(key);
    if (node === undefined) {
      node = { id: this.#nextId++, parent, name, lookups: 0, detached: false, opens: 0 };
      this.#nodes.set(node.id, node);
      this.#byName.set(key, node);
    }
    node.lookups++;
    return node;
  }

  /** The kernel dropped `count` lookups of node `id`; a node with none left and no open file goes. */
  forget(id: number, count: number): void {
    const node = this.#nodes.get(id);
    if (node === undefined || id === ROOT_NODE) return;
    node.lookups = Math.max(0, node.lookups - count);
    this.#dropIfUnused(node);
  }

  opened(node: FuseNode): void {
    node.opens++;
  }

  /** An open file of `node` was released; true when it was the last one. */
  released(node: FuseNode): boolean {
    node.opens = Math.max(0, node.opens - 1);
    const last = node.opens === 0;
    this.#dropIfUnused(node);
    return last;
  }

  /** `name` left directory node `parent` (unlink, rmdir): its node, if any, is detached. */
  detach(parent: number, name: string): void {
    const key = nameKey(parent, name);
    const node = this.#byName.get(key);
    if (node === undefined) return;
    this.#byName.delete(key);
    node.detached = true;
    this.#dropIfUnused(node);
  }

  /** `name` in `parent` now lives at `newName` in `newParent`; whatever held the new name is detached. */
  move(parent: number, name: string, newParent: number, newName: string): void {
    this.detach(newParent, newName);
    const node = this.#byName.get(nameKey(parent, name));
    if (node === undefined) return;
    this.#byName.delete(nameKey(parent, name));
    node.parent = newParent;
    node.name = newName;
    this.#byName.set(nameKey(newParent, newName), node);
  }

  /** The two names traded places (RENAME_EXCHANGE). */
  exchange(parent: number, name: string, newParent: number, newName: string): void {
    const first = this.#byName.get(nameKey(parent, name));
    const second = this.#byName.get(nameKey(newParent, newName));
    this.#byName.delete(nameKey(parent, name));
    this.#byName.delete(nameKey(newParent, newName));
    if (first !== undefined) {
      first.parent = newParent;
      first.name = newName;
      this.#byName.set(nameKey(newParent, newName), first);
    }
    if (second !== undefined) {
      second.parent = parent;
      second.name = name;
      this.#byName.set(nameKey(parent, name), second);
    }
  }

  /** Nodes known (the root included). */
  get size(): number {
    return this.#nodes.size;
  }

  #dropIfUnused(node: FuseNode): void {
    if (node.lookups > 0 || node.opens > 0 || node.id === ROOT_NODE) return;
    this.#nodes.delete(node.id);
    const key = nameKey(node.parent, node.name);
    if (this.#byName.get(key) === node) this.#byName.delete(key);
  }
}

function nameKey(parent: number, name: string): string {
  return `${parent}/${name}`;
}

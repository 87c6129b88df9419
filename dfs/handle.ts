/**
 * Object handles (DAOS dfs_obj_t): what lookup, open, mkdir and symlink return. A handle names its
 * object (oid, inode number, kind), where its entry lives (parent directory object + name), the chain of
 * directories it was reached through (for '..' in relative symlink targets and the rename subtree check),
 * the open flags, and the inode as last read or written through it. It holds no server-side state; it is
 * counted in the mount's inode table until released. Handles of one mount must not be used on another.
 */
import type { ArrayObject, Oid } from '../engine/client/index.js';
import { type EntryKind, type Inode, kindOfMode } from './inode.js';
import { type Ino, inoOfOid } from './inode-table.js';
import { entryKey } from './layout.js';
import type { DfsMount } from './mount.js';

/** Where an entry is stored: the directory object holding it and its dkey (the root: superblock, "/"). */
export interface EntryRef {
  readonly dirOid: Oid;
  readonly key: Buffer;
}

/** One resolved path component: its entry, inode and (symlinks) target. */
export interface PathNode {
  readonly name: string;
  readonly ref: EntryRef;
  readonly inode: Inode;
  readonly symlinkTarget: string | undefined;
}

export class DfsObject {
  readonly mount: DfsMount;
  readonly kind: EntryKind;
  readonly oid: Oid;
  readonly ino: Ino;
  #name: string;
  #entry: EntryRef;
  #ancestors: readonly PathNode[];
  /** open(2) flags the handle was opened with (O_RDONLY for lookups). */
  readonly flags: number;
  /** The inode as last read or written through this handle. */
  inode: Inode;
  readonly symlinkTarget: string | undefined;
  /** The entry was created by the call that made this handle (O_CREAT that created, mkdir, mknod, symlink). */
  readonly created: boolean;
  released = false;
  #array: ArrayObject | undefined;

  constructor(mount: DfsMount, node: PathNode, ancestors: readonly PathNode[], flags: number, created = false) {
    const kind = kindOfMode(node.inode.mode);
    if (kind === undefined) throw new RangeError(`entry ${node.name} has unknown file type ${node.inode.mode.toString(8)}`);
    this.mount = mount;
    this.kind = kind;
    this.oid = node.inode.oid;
    this.ino = inoOfOid(node.inode.oid);
    this.#name = node.name;
    this.#entry = node.ref;
    this.#ancestors = ancestors;
    this.flags = flags;
    this.created = created;
    this.inode = node.inode;
    this.symlinkTarget = node.symlinkTarget;
  }

  /** The entry name ('/' for the root). */
  get name(): string {
    return this.#name;
  }

  /** Where the entry is stored. */
  get entry(): EntryRef {
    return this.#entry;
  }

  /** Directories from the root down to the parent (empty for the root). */
  get ancestors(): readonly PathNode[] {
    return this.#ancestors;
  }

  /** The directory holding the entry; undefined for the root. */
  get parent(): Oid | undefined {
    return this.#ancestors[this.#ancestors.length - 1]?.inode.oid;
  }

  /**
   * The entry moved to `name` in directory `dir` (a rename this process made, DAOS's dfs_update_parent):
   * later calls through the handle that read or write its entry (setattr, xattrs, the first write's
   * clearing of the unwritten mark) go to the new one.
   */
  moveTo(dir: DfsObject, name: string): void {
    this.#entry = { dirOid: dir.oid, key: entryKey(name) };
    this.#name = name;
    this.#ancestors = [...dir.ancestors, dir.node];
  }

  /** File type and permission bits as last seen through this handle. */
  get mode(): number {
    return this.inode.mode;
  }

  /** This handle as a path component (for handles derived from it). */
  get node(): PathNode {
    return { name: this.name, ref: this.entry, inode: this.inode, symlinkTarget: this.symlinkTarget };
  }

  /** The byte-array view of a file's object (created once per handle). */
  array(): ArrayObject {
    this.#array ??= this.mount.cont.array(this.oid, { chunkSizeBytes: this.inode.chunkSizeBytes });
    return this.#array;
  }
}

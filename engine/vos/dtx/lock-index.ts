/**
 * The in-memory index of prepared intents: which transaction holds which keys, and a summary of each
 * transaction (epoch, coordinator, age). It mirrors dtx_intents exactly: rebuilt from it at open, and every
 * change made inside a sqlite transaction pushes its inverse on the UndoLog, so a rolled-back prepare or
 * finish leaves the index as sqlite left the rows.
 * Locks are exclusive between transactions (the prepare checks guarantee it): a dkey is held by at most one
 * transaction, and an object-level lock (object punch) excludes every other transaction from the object.
 * Entries are bounded by DTX_INTENTS_PER_TARGET_MAX transactions times TX ops per prepare.
 */
import type { UndoLog } from '../undo-log.js';
import type { ConflictKeys, DkeyConflictKey, ObjectConflictKey, TxKey } from './conflict-key.js';
import type { DtxIntent } from './operation.js';

interface LockedTx {
  readonly intent: DtxIntent;
  readonly keys: readonly ConflictKeys[];
}

export class LockIndex {
  private readonly txs = new Map<TxKey, LockedTx>();
  private readonly dkeyHolders = new Map<DkeyConflictKey, TxKey>();
  /** Object -> every transaction holding a lock in it (dkey or object level). */
  private readonly objectMembers = new Map<ObjectConflictKey, Set<TxKey>>();
  /** Object -> the transaction holding the object itself (an object punch). */
  private readonly objectHolders = new Map<ObjectConflictKey, TxKey>();

  constructor(private readonly undo: UndoLog) {}

  get size(): number {
    return this.txs.size;
  }

  intent(tx: TxKey): DtxIntent | undefined {
    return this.txs.get(tx)?.intent;
  }

  intents(): IterableIterator<DtxIntent> {
    return mapIterator(this.txs.values(), (locked) => locked.intent);
  }

  /**
   * Adds one prepare of `tx`: merges its keys into the transaction's (creating it when new). `undoable`
   * false only when loading committed rows at open (no transaction to roll back).
   */
  addPart(tx: TxKey, intent: DtxIntent, keys: readonly ConflictKeys[], options: { undoable: boolean } = { undoable: true }): void {
    const previous = this.txs.get(tx);
    const merged: LockedTx = previous === undefined ? { intent, keys } : { intent, keys: [...previous.keys, ...keys] };
    if (previous !== undefined) this.unlink(tx, previous);
    this.link(tx, merged);
    if (!options.undoable) return;
    this.undo.push(() => {
      this.unlink(tx, merged);
      if (previous !== undefined) this.link(tx, previous);
    });
  }

  /** Drops `tx` and every lock it holds. */
  remove(tx: TxKey): void {
    const previous = this.txs.get(tx);
    if (previous === undefined) return;
    this.unlink(tx, previous);
    this.undo.push(() => this.link(tx, previous));
  }

  /** The transaction holding the dkey, or the whole object, other than `self`. */
  dkeyHolder(keys: ConflictKeys, self?: TxKey): TxKey | undefined {
    const objectHolder = this.objectHolders.get(keys.object);
    if (objectHolder !== undefined && objectHolder !== self) return objectHolder;
    if (keys.dkey === undefined) return undefined;
    const holder = this.dkeyHolders.get(keys.dkey);
    return holder !== undefined && holder !== self ? holder : undefined;
  }

  /** Every transaction holding anything in the object, except `self`. */
  *objectMembersExcept(object: ObjectConflictKey, self?: TxKey): IterableIterator<TxKey> {
    for (const tx of this.objectMembers.get(object) ?? []) if (tx !== self) yield tx;
  }

  private link(tx: TxKey, locked: LockedTx): void {
    this.txs.set(tx, locked);
    for (const keys of locked.keys) {
      let members = this.objectMembers.get(keys.object);
      if (members === undefined) {
        members = new Set();
        this.objectMembers.set(keys.object, members);
      }
      members.add(tx);
      if (keys.dkey === undefined) this.objectHolders.set(keys.object, tx);
      else this.dkeyHolders.set(keys.dkey, tx);
    }
  }

  private unlink(tx: TxKey, locked: LockedTx): void {
    this.txs.delete(tx);
    for (const keys of locked.keys) {
      const members = this.objectMembers.get(keys.object);
      members?.delete(tx);
      if (members?.size === 0) this.objectMembers.delete(keys.object);
      if (keys.dkey === undefined) {
        if (this.objectHolders.get(keys.object) === tx) this.objectHolders.delete(keys.object);
      } else if (this.dkeyHolders.get(keys.dkey) === tx) {
        this.dkeyHolders.delete(keys.dkey);
      }
    }
  }
}

function* mapIterator<T, U>(source: IterableIterator<T>, map: (value: T) => U): IterableIterator<U> {
  for (const value of source) yield map(value);
}

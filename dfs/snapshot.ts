/**
 * Snapshots of the namespace: a snapshot is a named epoch of the container; mounting with `snapshot`
 * opens the container at that epoch, so every read of the mount (lookups, listings, data, sizes, times)
 * sees the namespace as it was, and every change is refused with EROFS (mount.ts). Taking, listing and
 * destroying snapshots go through the container service; taking one through a read-only mount is EROFS.
 */
import type { DfsMount } from './mount.js';

export interface DfsSnapshot {
  readonly name: string;
  readonly epoch: number;
  readonly createdMs: number;
}

/** Takes a snapshot of the whole container (named, or named by the service). */
export async function createSnapshot(mount: DfsMount, name?: string): Promise<DfsSnapshot> {
  mount.assertWritable();
  const snapshot = await mount.cont.createSnapshot(name);
  return { name: snapshot.name, epoch: snapshot.epoch, createdMs: snapshot.createdMs };
}

/** The container's snapshots, oldest first. */
export async function listSnapshots(mount: DfsMount): Promise<DfsSnapshot[]> {
  const snapshots = await mount.cont.snapshots();
  return snapshots.map((entry) => ({ name: entry.name, epoch: entry.epoch, createdMs: entry.createdMs })).sort((a, b) => a.epoch - b.epoch);
}

/** Destroys a snapshot (by name or epoch); ENOENT when there is none. */
export async function destroySnapshot(mount: DfsMount, nameOrEpoch: string | number): Promise<void> {
  mount.assertWritable();
  await mount.cont.destroySnapshot(nameOrEpoch);
}

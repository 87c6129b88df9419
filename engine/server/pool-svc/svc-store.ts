/**
 * Persistence of the pool service on one engine: one replica file or hint file per pool under
 * `<engine dir>/pools/<pool>/svc/` (layout.ts). Every write is atomic and durable (temp file, fsync,
 * rename, fsync of the directory), so an acknowledged state survives a crash and a torn file never
 * exists. Reads at start check every file against its schema; a corrupt file stops the engine.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../durable-file.js';
import {
  HINT_FILE, type HintLayout, parseHintLayout, parseReplicaLayout, REPLICA_FILE, type ReplicaLayout, SVC_LAYOUT_VERSION,
} from './layout.js';
import { isUuid } from './svc-state.js';

export interface LoadedSvcFiles {
  readonly replicas: ReplicaLayout[];
  readonly hints: HintLayout[];
}

export class SvcStore {
  private readonly root: string;

  constructor(engineDir: string) {
    this.root = join(engineDir, 'pools');
  }

  private svcDir(pool: string): string {
    return join(this.root, pool, 'svc');
  }

  /** Durably replaces the pool's replica file. */
  saveReplica(pool: string, replica: Omit<ReplicaLayout, 'layoutVersion'>): void {
    const dir = this.svcDir(pool);
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, REPLICA_FILE), { layoutVersion: SVC_LAYOUT_VERSION, ...replica });
  }

  /** Durably replaces the pool's hint file; returns what was written. */
  saveHint(hint: Omit<HintLayout, 'layoutVersion'>): HintLayout {
    const dir = this.svcDir(hint.uuid);
    mkdirSync(dir, { recursive: true });
    const layout: HintLayout = { layoutVersion: SVC_LAYOUT_VERSION, ...hint };
    writeJsonAtomic(join(dir, HINT_FILE), layout);
    return layout;
  }

  /** Removes every service file of the pool. Idempotent. */
  drop(pool: string): void {
    rmSync(this.svcDir(pool), { recursive: true, force: true });
  }

  /** Every replica and hint file of this engine (pools destroyed meanwhile are simply absent). */
  loadAll(): LoadedSvcFiles {
    const loaded: LoadedSvcFiles = { replicas: [], hints: [] };
    if (!existsSync(this.root)) return loaded;
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isUuid(entry.name)) continue;
      const dir = this.svcDir(entry.name);
      const replicaPath = join(dir, REPLICA_FILE);
      const replica = readJsonIfExists(replicaPath);
      if (replica !== undefined) {
        loaded.replicas.push(parseReplicaLayout(replica, replicaPath));
        continue;
      }
      const hintPath = join(dir, HINT_FILE);
      const hint = readJsonIfExists(hintPath);
      if (hint !== undefined) loaded.hints.push(parseHintLayout(hint, hintPath));
    }
    return loaded;
  }
}

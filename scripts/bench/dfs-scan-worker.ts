/**
 * One process of the directory-scan bench (forked by dfs-scan.ts): mounts the container with the DFS
 * library, looks the directory up once, then lists what it is asked to (dfs-scan-protocol.ts) through the
 * public readdir API only. Messages are handled one at a time; any failure is one `error` reply and the
 * bench aborts.
 */
import { type Dfs, type DfsObject, type DirAnchor, mountDfs } from '../../dfs/index.js';
import { readSystemFile } from '../../engine/system/system-file.js';
import type { ScanReply, ScanRequest } from './dfs-scan-protocol.js';

let mounted: { dfs: Dfs; dir: DfsObject } | undefined;

function reply(message: ScanReply): void {
  process.send?.(message);
}

/** Entries of the listing from `anchor` (null: the whole directory) until its eof. */
async function listFrom(dfs: Dfs, dir: DfsObject, anchor: DirAnchor | null, count: number): Promise<number> {
  let entries = 0;
  let at = anchor ?? dfs.anchorStart();
  do {
    const page = await dfs.readdir(dir, at, count);
    entries += page.entries.length;
    at = page.anchor;
  } while (!at.eof);
  return entries;
}

async function handle(message: ScanRequest): Promise<void> {
  switch (message.type) {
    case 'init': {
      const target = message.target;
      const dfs = await mountDfs({ system: readSystemFile(target.systemFile), pool: target.pool, cont: target.cont });
      mounted = { dfs, dir: await dfs.lookup(target.path) };
      reply({ type: 'ready' });
      return;
    }
    case 'split':
      reply({ type: 'anchors', anchors: await mounted!.dfs.anchorSplit(mounted!.dir) });
      return;
    case 'list': {
      const { dfs, dir } = mounted!;
      const cpu = process.cpuUsage();
      const counts = await Promise.all(message.anchors.map((anchor) => listFrom(dfs, dir, anchor, message.count)));
      const used = process.cpuUsage(cpu);
      reply({ type: 'listed', entries: counts.reduce((sum, entries) => sum + entries, 0), cpuUs: used.user + used.system });
      return;
    }
    case 'exit':
      if (mounted !== undefined) {
        mounted.dfs.release(mounted.dir);
        await mounted.dfs.unmount();
      }
      process.disconnect();
      return;
  }
}

let queue = Promise.resolve();
process.on('message', (message: ScanRequest) => {
  queue = queue.then(() => handle(message)).catch((error: unknown) => {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});

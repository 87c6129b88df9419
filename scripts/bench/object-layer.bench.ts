/**
 * Question: what rates does the object layer reach, and how close is a small update to the bare RPC?
 * Starts local clusters of 1 and 3 engine processes and measures, from this client process:
 * KV update and fetch of 64-byte values with 64 in flight, and array write/read of 1 MiB extents,
 * for S1 and RP_3G1, over the node:http2 and undici transports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPool, createTransportPool, ObjType, type ContHandle, type TransportName } from '../../engine/client/index.js';
import type { ObjClassName } from '../../engine/placement/object-class.js';
import { clusterDown, clusterUp } from '../cluster/local-cluster.js';
import { type BenchResult, closedLoop, emit, isSmall, progress, runIdentity } from './bench-env.js';

interface Sizes { readonly kvOps: number; readonly arrayOps: number; readonly inFlight: number; readonly arrayInFlight: number }

const LARGE: Sizes = { kvOps: 40_000, arrayOps: 256, inFlight: 64, arrayInFlight: 4 };
const SMALL: Sizes = { kvOps: 1_000, arrayOps: 16, inFlight: 64, arrayInFlight: 4 };
const VALUE_BYTES = 64;
const EXTENT_BYTES = 1 << 20;

async function benchKv(cont: ContHandle, label: Record<string, string | number>, cls: ObjClassName, sizes: Sizes): Promise<BenchResult[]> {
  const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: cls }));
  const value = Buffer.alloc(VALUE_BYTES, 0x5a);
  const key = (index: number): string => `k${index % 4096}-${index}`;
  const params = { ...label, oclass: cls, valueBytes: VALUE_BYTES, inFlight: sizes.inFlight };
  const update = await closedLoop({ bench: 'object-layer', case: `kv-update-${cls}`, params }, { count: sizes.kvOps, inFlight: sizes.inFlight }, (index) => kv.put(key(index), value));
  const fetch = await closedLoop({ bench: 'object-layer', case: `kv-fetch-${cls}`, params }, { count: sizes.kvOps, inFlight: sizes.inFlight }, (index) => kv.get(key(index)));
  return [update, fetch];
}

async function benchArray(cont: ContHandle, label: Record<string, string | number>, cls: ObjClassName, sizes: Sizes): Promise<BenchResult[]> {
  const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: cls }), { chunkSizeBytes: EXTENT_BYTES });
  const data = Buffer.alloc(EXTENT_BYTES, 0xa5);
  const params = { ...label, oclass: cls, extentBytes: EXTENT_BYTES, inFlight: sizes.arrayInFlight };
  const options = { count: sizes.arrayOps, inFlight: sizes.arrayInFlight, bytesPerOp: EXTENT_BYTES };
  const write = await closedLoop({ bench: 'object-layer', case: `array-write-${cls}`, params }, options, (index) => array.write(index * EXTENT_BYTES, data));
  const read = await closedLoop({ bench: 'object-layer', case: `array-read-${cls}`, params }, options, (index) => array.read(index * EXTENT_BYTES, EXTENT_BYTES));
  return [write, read];
}

/** One cluster of `engines` engine processes; every case that fits on it, for each transport. */
async function benchCluster(engines: number, sizes: Sizes, transports: readonly TransportName[]): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), `tsdaos-bench-${engines}e-`));
  const results: BenchResult[] = [];
  try {
    const up = await clusterUp({ dataDir, engines, targets: 4, detach: false, poolLabel: 'bench', contLabel: 'bench', capacityBytesPerTarget: 0, progress });
    const classes: ObjClassName[] = engines >= 3 ? ['S1', 'RP_3G1'] : ['S1'];
    for (const transportName of transports) {
      const transport = createTransportPool(transportName);
      const pool = await connectPool({ system: up.system, pool: 'bench', transport });
      const cont = await pool.openContainer('bench');
      for (const cls of classes) {
        const label = { engines, transport: transportName };
        progress(`object-layer: ${engines} engine(s), ${cls}, ${transportName}`);
        results.push(...await benchKv(cont, label, cls, sizes));
        if (transportName === 'h2') results.push(...await benchArray(cont, label, cls, sizes));
      }
      await pool.disconnect();
      await transport.close();
    }
  } finally {
    await clusterDown(dataDir).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

export async function benchObjectLayer(options: { small: boolean; transports?: readonly TransportName[] }): Promise<BenchResult[]> {
  const sizes = options.small ? SMALL : LARGE;
  const transports = options.transports ?? ['h2', 'undici'];
  return [...await benchCluster(1, sizes, transports), ...await benchCluster(3, sizes, transports)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const identity = runIdentity();
  for (const result of await benchObjectLayer({ small: isSmall() })) emit(result, identity);
}

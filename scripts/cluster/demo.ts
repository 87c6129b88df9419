/**
 * The short demo `npm start` runs on a fresh local cluster: store and read back a few KV entries and a
 * multi-chunk array through the object API on a replicated and a striped class, write and list a file
 * through the DFS library (the POSIX namespace), use the dfuse mount with ordinary file calls (and see the
 * library's file through it), then show pool space.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { O_CREAT, O_RDWR, O_TRUNC, mountDfs } from '../../dfs/index.js';
import { connectPool } from '../../engine/client/pool.js';
import { ObjType } from '../../engine/placement/oid.js';
import type { SystemFile } from '../../engine/system/system-file.js';

export async function runDemo(system: SystemFile, mountPoint: string | undefined, print: (line: string) => void): Promise<void> {
  const pool = await connectPool({ system, pool: system.defaultPool! });
  try {
    const cont = await pool.openContainer(system.defaultCont!);
    print(`demo: pool ${pool.label} (${pool.uuid}), map version ${pool.map.version}, container ${cont.label ?? cont.uuid}`);

    const kvOid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' });
    const kv = cont.kv(kvOid);
    const started = performance.now();
    for (let index = 0; index < 100; index += 1) await kv.put(`key-${index}`, Buffer.from(`value-${index}`));
    const elapsedMs = performance.now() - started;
    const back = await kv.get('key-42');
    print(`demo: 100 KV puts on RP_3G1 in ${elapsedMs.toFixed(0)} ms; key-42 -> ${back?.toString()}`);

    const arrayOid = await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'SX' });
    const array = cont.array(arrayOid, { chunkSizeBytes: 1 << 20 });
    const data = Buffer.alloc(5 * (1 << 20) + 12345);
    for (let index = 0; index < data.length; index += 1) data[index] = (index * 31) & 0xff;
    await array.write(0, data);
    const readBack = await array.read(0, data.length);
    const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    print(`demo: wrote ${data.length} bytes to an SX array (${await array.getSize()} bytes); sha256 ${digest(data)} / read back ${digest(readBack)}`);
    if (!readBack.equals(data)) throw new Error('demo: array read back differs from what was written');

    const dirName = await demoFilesystem(system, print);
    if (mountPoint !== undefined) await demoMount(mountPoint, dirName, print);

    const query = await pool.query();
    const used = query.targets.reduce((sum, target) => sum + target.usedBytes, 0);
    print(`demo: pool has ${query.map.ranks.length} engines, ${query.targets.length} targets, ${used} bytes used, redundancy ${query.redundancy}`);
  } finally {
    await pool.disconnect();
  }
}

/** The POSIX view of the same container through the DFS library: a directory, a file, a listing. */
async function demoFilesystem(system: SystemFile, print: (line: string) => void): Promise<string> {
  const dfs = await mountDfs({ system, pool: system.defaultPool!, cont: system.defaultCont! });
  try {
    const dir = await dfs.mkdir(dfs.root, `demo-${Date.now()}`, 0o755);
    const file = await dfs.open(dir, 'hello.txt', O_CREAT | O_RDWR | O_TRUNC, 0o644);
    const text = Buffer.from('hello from tsdaos: a file in a directory object, data in a chunked array object\n');
    await dfs.write(file, text, 0);
    const back = await dfs.read(file, text.length, 0);
    const listing = await dfs.readdir(dir);
    const stat = await dfs.stat(file);
    print(`demo: DFS /${dir.name}/hello.txt: ${stat.size} bytes, inode ${stat.ino}; read back ${back.equals(text) ? 'identical' : 'DIFFERENT'}; listing: ${listing.entries.join(', ')}`);
    dfs.release(file);
    dfs.release(dir);
    return dir.name;
  } finally {
    await dfs.unmount();
  }
}

/** The same container through the kernel: plain node:fs calls on the dfuse mount. */
async function demoMount(mountPoint: string, dirName: string, print: (line: string) => void): Promise<void> {
  const viaLibrary = await readFile(join(mountPoint, dirName, 'hello.txt'), 'utf8');
  print(`demo: ${join(mountPoint, dirName, 'hello.txt')} through the mount: ${JSON.stringify(viaLibrary.trim().slice(0, 40))}...`);
  const dir = join(mountPoint, dirName, 'through-the-mount');
  await mkdir(dir);
  for (let index = 0; index < 10; index += 1) await writeFile(join(dir, `file-${index}.txt`), `file ${index}\n`.repeat(index + 1));
  const names = (await readdir(dir)).sort();
  const space = await statfs(mountPoint);
  print(`demo: wrote ${names.length} files with node:fs under ${dir}; df: ${((space.blocks * space.bsize) / 2 ** 30).toFixed(1)} GiB total, ${((space.bavail * space.bsize) / 2 ** 30).toFixed(1)} GiB free`);
}

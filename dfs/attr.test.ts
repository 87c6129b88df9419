/**
 * Attributes, permissions and xattrs on a 3-engine in-process cluster: setattr (mode, owner, times,
 * size) and the helpers chmod/chown/utimens/access; mtime from the object's newest write vs an explicit
 * mtime; permission checks for mounts with other credentials (owner/group/other bits, root bypass,
 * EACCES/EPERM, sticky directories); xattrs (CREATE/REPLACE flags, limits, list, remove, moved by
 * rename, gone with the entry).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { buildTree } from '../test/harness/dfs-tree.js';
import { type InProcessCluster, silentLog } from '../test/harness/in-process-cluster.js';
import {
  type Credentials, type Dfs, F_OK, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, R_OK, S_IFREG, W_OK, X_OK,
  XATTR_CREATE, XATTR_REPLACE, mountDfs,
} from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

const ALICE: Credentials = { uid: 1000, gid: 1000, groups: [] };
const BOB: Credentials = { uid: 1001, gid: 1001, groups: [1000] };
const EVE: Credentials = { uid: 1002, gid: 1002, groups: [] };
const ROOT: Credentials = { uid: 0, gid: 0, groups: [] };

describe('dfs attributes, permissions, xattrs', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;
  let fs: Dfs;
  const mounts: Dfs[] = [];

  useDfsBed('dfs-attr', (bed) => ({ cluster, pool, fs } = bed), { credentials: ROOT });

  afterAll(async () => {
    for (const mount of mounts) await mount.unmount();
  });

  async function as(credentials: Credentials): Promise<Dfs> {
    const mount = await mountDfs({ pool, cont: fs.root.mount.cont.uuid, credentials, log: silentLog });
    mounts.push(mount);
    return mount;
  }

  it('setattr: mode, owner, atime -> stored; file type kept; stat of another handle sees them', async () => {
    await buildTree(fs, { '/a1/f': 'x' });
    const file = await fs.lookup('/a1/f');
    const stat = await fs.setattr(file, { mode: 0o4750, uid: 7, gid: 8, atime: { seconds: 1000, nanoseconds: 5 } });
    expect(stat.mode).toBe(S_IFREG | 0o4750);
    expect([stat.uid, stat.gid]).toEqual([7, 8]);
    expect(stat.atime).toEqual({ seconds: 1000, nanoseconds: 5 });
    const again = await fs.stat('/a1/f');
    expect([again.mode, again.uid, again.gid]).toEqual([S_IFREG | 0o4750, 7, 8]);
    fs.release(file);
  });

  it('mtime: explicit -> reported until the next write; a write -> the write time', async () => {
    await buildTree(fs, { '/a2/f': 'x' });
    const file = await fs.lookup('/a2/f', O_RDWR);
    const past = { seconds: 1_000_000_000, nanoseconds: 123 };
    await fs.utimens('/a2/f', undefined, past);
    expect((await fs.stat('/a2/f')).mtime).toEqual(past);
    const before = Date.now();
    await fs.write(file, Buffer.from('y'), 5);
    const after = await fs.ostat(file);
    expect(after.mtime.seconds * 1000 + after.mtime.nanoseconds / 1e6).toBeGreaterThanOrEqual(before - 1);
    await fs.setattr(file, { mtime: past });
    expect((await fs.ostat(file)).mtime).toEqual(past);
    fs.release(file);
  });

  it('setattr answers from one object query (explicit mtime too): size, times and the new fields', async () => {
    const queries = (): number => cluster.requestsTotal('obj_query_max', 'obj_coll_query_max', 'obj_multi_query_max');
    const file = await fs.open(fs.root, 'a20', O_CREAT | O_EXCL | O_RDWR, 0o644, { oclass: 'S1' });
    await fs.write(file, Buffer.from('hello'), 10);
    const past = { seconds: 1_000_000_000, nanoseconds: 7 };
    let before = queries();
    const stat = await fs.setattr(file, { mode: 0o600, mtime: past });
    expect(queries() - before).toBe(1);
    expect([stat.mode, stat.size, stat.mtime]).toEqual([S_IFREG | 0o600, 15, past]);
    before = queries();
    const chowned = await fs.setattr(file, { uid: 9 });
    expect(queries() - before).toBe(1);
    expect([chowned.uid, chowned.size, chowned.mtime]).toEqual([9, 15, past]);
    expect(await fs.ostat(file)).toEqual(chowned);
    // A size change is asked after it is done.
    const truncated = await fs.setattr(file, { size: 3, mtime: past });
    expect([truncated.size, truncated.mtime]).toEqual([3, past]);
    expect((await fs.ostat(file)).size).toBe(3);
    fs.release(file);
  });

  it('setattr with the attributes known: no object query; size and data time from them, the changes stored', async () => {
    const queries = (): number => cluster.requestsTotal('obj_query_max', 'obj_coll_query_max', 'obj_multi_query_max');
    const file = await fs.open(fs.root, 'a23', O_CREAT | O_EXCL | O_RDWR, 0o644, { oclass: 'S1' });
    await fs.write(file, Buffer.from('hello'), 10);
    const known = await fs.ostat(file);
    let before = queries();
    const chmodded = await fs.setattr(file, { mode: 0o600 }, { known });
    expect(queries() - before).toBe(0);
    expect([chmodded.mode, chmodded.size, chmodded.blocks, chmodded.mtime]).toEqual([S_IFREG | 0o600, 15, known.blocks, known.mtime]);
    expect(chmodded.ctime.seconds * 1e9 + chmodded.ctime.nanoseconds).toBeGreaterThanOrEqual(known.ctime.seconds * 1e9 + known.ctime.nanoseconds);
    const past = { seconds: 1_000_000_000, nanoseconds: 3 };
    const timed = await fs.setattr(file, { mtime: past, atime: past }, { known: chmodded });
    expect([timed.mtime, timed.atime, timed.size]).toEqual([past, past, 15]);
    // What the engines say afterwards is what the known answers said.
    expect(await fs.ostat(file)).toEqual(timed);
    // Known attributes of another object are not used; a size change always asks.
    const other = await fs.open(fs.root, 'a24', O_CREAT | O_EXCL | O_RDWR, 0o644, { oclass: 'S1' });
    const otherStat = await fs.ostat(other);
    before = queries();
    expect((await fs.setattr(file, { mode: 0o640 }, { known: otherStat })).size).toBe(15);
    expect(queries() - before).toBe(1);
    expect((await fs.setattr(file, { size: 4 }, { known: timed })).size).toBe(4);
    fs.release(other);
    fs.release(file);
  });

  it('setattr through a handle: no entry read while the entry is as the handle has it; else decided on the entry as stored', async () => {
    const fetches = (): number => cluster.requestsTotal('obj_fetch');
    const file = await fs.open(fs.root, 'a21', O_CREAT | O_EXCL | O_RDWR, 0o644, { oclass: 'S1' });
    await fs.write(file, Buffer.from('abc'), 0);
    let before = fetches();
    const past = { seconds: 1_000_000_000, nanoseconds: 9 };
    const stat = await fs.setattr(file, { mode: 0o640, mtime: past });
    expect(fetches() - before).toBe(0);
    expect([stat.mode, stat.size, stat.mtime]).toEqual([S_IFREG | 0o640, 3, past]);
    expect(await fs.stat('/a21')).toEqual(stat);
    // A later write is the mtime again (the explicit one took the update's epoch).
    await fs.write(file, Buffer.from('d'), 3);
    expect((await fs.ostat(file)).mtime.seconds).toBeGreaterThan(past.seconds);

    // Another client gives the file to ALICE: the handle's inode is out of date, so the entry is read and
    // the change decided on it (root may chmod it; the answer names ALICE as the owner).
    const other = await as(ROOT);
    await other.chown('/a21', ALICE.uid, ALICE.gid);
    before = fetches();
    const chmodded = await fs.setattr(file, { mode: 0o604 });
    expect(fetches() - before).toBeGreaterThan(0);
    expect([chmodded.mode, chmodded.uid, chmodded.gid, chmodded.size]).toEqual([S_IFREG | 0o604, ALICE.uid, ALICE.gid, 4]);
    // ALICE's own stale handle: allowed, though her handle still says the file is root's.
    const alice = await as(ALICE);
    const aliceFile = await alice.lookup('/a21');
    await other.chown('/a21', 0, 0);
    expect(await codeOf(alice.setattr(aliceFile, { mode: 0o600 }))).toBe('EPERM');
    await other.chown('/a21', ALICE.uid, ALICE.gid);
    expect((await alice.setattr(aliceFile, { mode: 0o600 })).mode).toBe(S_IFREG | 0o600);
    alice.release(aliceFile);

    // The name now names another file: ENOENT, and the new file is left as it is.
    await other.remove(other.root, 'a21');
    other.release(await other.open(other.root, 'a21', O_CREAT | O_EXCL | O_WRONLY, 0o644));
    expect(await codeOf(fs.setattr(file, { mode: 0o600 }))).toBe('ENOENT');
    expect((await other.stat('/a21')).mode).toBe(S_IFREG | 0o644);
    fs.release(file);

    // A handle whose unwritten mark is out of date (another client wrote the file): the size is asked.
    const empty = await fs.open(fs.root, 'a22', O_CREAT | O_EXCL | O_WRONLY, 0o644, { oclass: 'S1' });
    expect(empty.inode.unwritten).toBe(true);
    const writer = await other.lookup('/a22', O_WRONLY);
    await other.write(writer, Buffer.from('12345'), 0);
    other.release(writer);
    expect((await fs.setattr(empty, { mode: 0o600 })).size).toBe(5);
    fs.release(empty);
  });

  it('open O_TRUNC: mtime and ctime move, also for a file that was empty (never written, or emptied)', async () => {
    await buildTree(fs, { '/a9/full': 'data', '/a9/empty': '' });
    const past = { seconds: 1_000_000_000, nanoseconds: 0 };
    for (const path of ['/a9/full', '/a9/empty', '/a9/full']) {
      await fs.utimens(path, undefined, past);
      // Past the ctime utimens set, so only the truncating open can have moved it beyond `before`.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before = Date.now();
      fs.release(await fs.lookup(path, O_RDWR | O_TRUNC));
      const stat = await fs.stat(path);
      expect(stat.size).toBe(0);
      for (const time of [stat.mtime, stat.ctime]) expect(time.seconds * 1000 + time.nanoseconds / 1e6).toBeGreaterThanOrEqual(before - 1);
    }
  });

  it('chmod/chown/access helpers: by path', async () => {
    await buildTree(fs, { '/a3/f': 'x' });
    await fs.chmod('/a3/f', 0o600);
    await fs.chown('/a3/f', ALICE.uid, ALICE.gid);
    const alice = await as(ALICE);
    await alice.access('/a3/f', R_OK | W_OK);
    expect(await codeOf(alice.access('/a3/f', X_OK))).toBe('EACCES');
    const eve = await as(EVE);
    await eve.access('/a3/f', F_OK);
    expect(await codeOf(eve.access('/a3/f', R_OK))).toBe('EACCES');
    expect(await codeOf(eve.access('/a3/missing', F_OK))).toBe('ENOENT');
  });

  it('permissions: other user cannot create in a 0755 dir (EACCES); owner/group/other bits on open', async () => {
    const dir = await fs.mkdir(fs.root, 'a4', 0o755);
    await fs.setattr(dir, { uid: ALICE.uid, gid: ALICE.gid });
    fs.release(dir);
    const alice = await as(ALICE);
    const bob = await as(BOB);
    const aliceDir = await alice.lookup('/a4');
    const file = await alice.open(aliceDir, 'shared', O_CREAT | O_EXCL | O_WRONLY, 0o640);
    await alice.write(file, Buffer.from('secret'), 0);
    alice.release(file);
    const bobDir = await bob.lookup('/a4');
    expect(await codeOf(bob.open(bobDir, 'mine', O_CREAT | O_WRONLY, 0o644))).toBe('EACCES');
    const viaGroup = await bob.open(bobDir, 'shared', O_RDONLY);
    expect((await bob.read(viaGroup, 10, 0)).toString()).toBe('secret');
    bob.release(viaGroup);
    expect(await codeOf(bob.open(bobDir, 'shared', O_RDWR))).toBe('EACCES');
    expect(await codeOf(bob.remove(bobDir, 'shared'))).toBe('EACCES');
    const eve = await as(EVE);
    expect(await codeOf(eve.lookup('/a4/shared').then((handle) => eve.open(handle, 'x', O_RDONLY)))).toBe('ENOTDIR');
    const eveDir = await eve.lookup('/a4');
    expect(await codeOf(eve.open(eveDir, 'shared', O_RDONLY))).toBe('EACCES');
    alice.release(aliceDir);
    bob.release(bobDir);
    eve.release(eveDir);
  });

  it('permissions: no search bit on a directory -> lookups through it EACCES; root bypasses', async () => {
    await buildTree(fs, { '/a5/inner/f': 'x' });
    await fs.chmod('/a5/inner', 0o700);
    const eve = await as(EVE);
    expect(await codeOf(eve.lookup('/a5/inner/f'))).toBe('EACCES');
    const root = await as(ROOT);
    const file = await root.lookup('/a5/inner/f');
    root.release(file);
  });

  it('permissions: chmod/chown/utimens by a non-owner -> EPERM; "now" with write access -> allowed', async () => {
    await buildTree(fs, { '/a6/f': 'x' });
    await fs.chown('/a6/f', ALICE.uid, ALICE.gid);
    await fs.chmod('/a6/f', 0o666);
    const eve = await as(EVE);
    expect(await codeOf(eve.chmod('/a6/f', 0o777))).toBe('EPERM');
    expect(await codeOf(eve.chown('/a6/f', EVE.uid, undefined))).toBe('EPERM');
    expect(await codeOf(eve.utimens('/a6/f', { seconds: 1, nanoseconds: 0 }, undefined))).toBe('EPERM');
    await eve.utimens('/a6/f', 'now', 'now');
    const alice = await as(ALICE);
    expect(await codeOf(alice.chown('/a6/f', undefined, 4242))).toBe('EPERM');
    expect(await codeOf(alice.chown('/a6/f', EVE.uid, undefined))).toBe('EPERM');
  });

  it('permissions: sticky directory -> others cannot remove an entry they do not own (EPERM)', async () => {
    const dir = await fs.mkdir(fs.root, 'a7', 0o1777);
    fs.release(dir);
    const alice = await as(ALICE);
    const eve = await as(EVE);
    const aliceDir = await alice.lookup('/a7');
    alice.release(await alice.open(aliceDir, 'mine', O_CREAT | O_WRONLY, 0o644));
    const eveDir = await eve.lookup('/a7');
    expect(await codeOf(eve.remove(eveDir, 'mine'))).toBe('EPERM');
    await alice.remove(aliceDir, 'mine');
    alice.release(aliceDir);
    eve.release(eveDir);
  });

  it('setattr size: directory -> EISDIR; negative -> EINVAL; no write permission -> EACCES', async () => {
    await buildTree(fs, { '/a8/f': 'hello', '/a8/d/': null });
    const dir = await fs.lookup('/a8/d');
    expect(await codeOf(fs.setattr(dir, { size: 0 }))).toBe('EISDIR');
    const file = await fs.lookup('/a8/f');
    expect(await codeOf(fs.setattr(file, { size: -1 }))).toBe('EINVAL');
    await fs.chmod('/a8/f', 0o644);
    const eve = await as(EVE);
    const eveFile = await eve.lookup('/a8/f');
    expect(await codeOf(eve.setattr(eveFile, { size: 0 }))).toBe('EACCES');
    for (const handle of [dir, file]) fs.release(handle);
    eve.release(eveFile);
  });

  it('xattrs: set/get/list/remove; CREATE on existing -> EEXIST; REPLACE on missing -> ENODATA', async () => {
    await buildTree(fs, { '/x1/f': 'x' });
    const file = await fs.lookup('/x1/f');
    await fs.setxattr(file, 'user.a', Buffer.from('one'));
    await fs.setxattr(file, 'user.b', Buffer.from('two'), XATTR_CREATE);
    expect(await codeOf(fs.setxattr(file, 'user.b', Buffer.from('2'), XATTR_CREATE))).toBe('EEXIST');
    expect(await codeOf(fs.setxattr(file, 'user.c', Buffer.from('3'), XATTR_REPLACE))).toBe('ENODATA');
    await fs.setxattr(file, 'user.a', Buffer.from('uno'), XATTR_REPLACE);
    expect((await fs.getxattr(file, 'user.a')).toString()).toBe('uno');
    expect((await fs.listxattr(file)).sort()).toEqual(['user.a', 'user.b']);
    await fs.removexattr(file, 'user.a');
    expect(await codeOf(fs.getxattr(file, 'user.a'))).toBe('ENODATA');
    expect(await codeOf(fs.removexattr(file, 'user.a'))).toBe('ENODATA');
    expect(await fs.listxattr(file)).toEqual(['user.b']);
    fs.release(file);
  });

  it('xattrs: name of 256 bytes -> ERANGE; value over 64 KiB -> E2BIG; 64 KiB -> ok; on the root -> ok', async () => {
    await buildTree(fs, { '/x2/f': '' });
    const file = await fs.lookup('/x2/f');
    expect(await codeOf(fs.setxattr(file, 'n'.repeat(256), Buffer.from('v')))).toBe('ERANGE');
    expect(await codeOf(fs.setxattr(file, 'big', Buffer.alloc(64 * 1024 + 1)))).toBe('E2BIG');
    await fs.setxattr(file, 'max', Buffer.alloc(64 * 1024, 7));
    expect((await fs.getxattr(file, 'max')).length).toBe(64 * 1024);
    await fs.setxattr(fs.root, 'user.rootattr', Buffer.from('r'));
    expect(await fs.listxattr(fs.root)).toContain('user.rootattr');
    expect((await fs.stat('/')).kind).toBe('dir');
    fs.release(file);
  });

  it('xattrs: entry removed -> ENOENT through a stale handle; moved by rename', async () => {
    await buildTree(fs, { '/x3/f': 'x', '/x3/g': 'y' });
    const dir = await fs.lookup('/x3');
    const file = await fs.lookup('/x3/f');
    await fs.setxattr(file, 'user.keep', Buffer.from('k'));
    await fs.rename(dir, 'f', dir, 'renamed');
    const renamed = await fs.lookup('/x3/renamed');
    expect((await fs.getxattr(renamed, 'user.keep')).toString()).toBe('k');
    expect(await codeOf(fs.getxattr(file, 'user.keep'))).toBe('ENOENT');
    const gone = await fs.lookup('/x3/g');
    await fs.remove(dir, 'g');
    expect(await codeOf(fs.setxattr(gone, 'user.z', Buffer.from('z')))).toBe('ENOENT');
    for (const handle of [dir, file, renamed, gone]) fs.release(handle);
  });

  it('xattrs: reading without read permission -> EACCES; setting as a non-owner without write -> EACCES', async () => {
    await buildTree(fs, { '/x4/f': 'x' });
    await fs.chmod('/x4/f', 0o600);
    const eve = await as(EVE);
    const file = await eve.lookup('/x4/f');
    expect(await codeOf(eve.getxattr(file, 'user.a'))).toBe('EACCES');
    expect(await codeOf(eve.setxattr(file, 'user.a', Buffer.from('a')))).toBe('EACCES');
    eve.release(file);
  });
});

/**
 * Permission checks against the mount's credentials (DFS checks mode/uid/gid itself; pool and container
 * ACLs are the real security boundary). Owner, then group (primary or supplementary), then other bits
 * decide; uid 0 passes read and write checks, and execute checks when the entry is a directory or has
 * any execute bit. Ownership rules for chmod/chown/utimens and the sticky bit follow Linux. Pure code.
 */
import { fsFail } from './errors.js';
import { type Inode, S_IFDIR, S_IFMT, S_ISVTX } from './inode.js';
import type { Credentials } from './mount.js';

export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

type Owned = Pick<Inode, 'mode' | 'uid' | 'gid'>;

export function inGroup(credentials: Credentials, gid: number): boolean {
  return credentials.gid === gid || credentials.groups.includes(gid);
}

/** Whether `credentials` may access `inode` for every bit of `want` (R_OK | W_OK | X_OK). */
export function mayAccess(credentials: Credentials, inode: Owned, want: number): boolean {
  if (want === F_OK) return true;
  if (credentials.uid === 0) {
    if ((want & X_OK) === 0) return true;
    return (inode.mode & S_IFMT) === S_IFDIR || (inode.mode & 0o111) !== 0;
  }
  const shift = credentials.uid === inode.uid ? 6 : inGroup(credentials, inode.gid) ? 3 : 0;
  const granted = (inode.mode >> shift) & 0o7;
  return (granted & want) === want;
}

/** EACCES unless mayAccess. */
export function requireAccess(credentials: Credentials, inode: Owned, want: number, what: string): void {
  if (!mayAccess(credentials, inode, want)) fsFail('EACCES', `${what}: mode ${(inode.mode & 0o7777).toString(8)} uid ${inode.uid} gid ${inode.gid}`);
}

export function isOwnerOrRoot(credentials: Credentials, inode: Owned): boolean {
  return credentials.uid === 0 || credentials.uid === inode.uid;
}

/** EPERM unless the caller owns `inode` or is root (chmod, explicit utimens). */
export function requireOwner(credentials: Credentials, inode: Owned, what: string): void {
  if (!isOwnerOrRoot(credentials, inode)) fsFail('EPERM', `${what}: not the owner`);
}

/**
 * EPERM when `dir` is sticky and the caller owns neither `dir` nor the entry (and is not root): only they
 * may remove or rename entries of a sticky directory.
 */
export function requireStickyRight(credentials: Credentials, dir: Owned, entry: Owned): void {
  if ((dir.mode & S_ISVTX) === 0 || credentials.uid === 0) return;
  if (credentials.uid !== dir.uid && credentials.uid !== entry.uid) fsFail('EPERM', 'sticky directory: not the owner');
}

/**
 * EPERM unless the caller may give `inode` these owners: root may set any; the owner may only keep the
 * uid and set the gid to a group of theirs.
 */
export function requireChown(credentials: Credentials, inode: Owned, uid: number | undefined, gid: number | undefined): void {
  if (credentials.uid === 0) return;
  if (uid !== undefined && uid !== inode.uid) fsFail('EPERM', 'only root changes the owner');
  if (gid !== undefined && gid !== inode.gid && (credentials.uid !== inode.uid || !inGroup(credentials, gid))) {
    fsFail('EPERM', `cannot give group ${gid}`);
  }
}

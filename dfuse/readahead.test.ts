import { describe, expect, it } from 'vitest';
import { mountDevice, raiseReadahead } from './readahead.js';

const MOUNTINFO = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/root rw',
  '31 22 0:39 / /tmp/m\\040x rw,nosuid,nodev,relatime shared:20 - fuse.tsdaos tsdaos:tank/posix rw,user_id=0,group_id=0',
  '40 22 0:41 / /tmp/mnt rw,relatime shared:25 - fuse.tsdaos tsdaos:tank/a rw',
  '41 40 0:42 / /tmp/mnt rw,relatime shared:26 - fuse.tsdaos tsdaos:tank/b rw',
  '',
].join('\n');

describe('readahead', () => {
  it('mountDevice: the device of the mount at a path, escapes undone, the topmost of stacked mounts; undefined when absent', () => {
    expect(mountDevice(MOUNTINFO, '/tmp/m x')).toBe('0:39');
    expect(mountDevice(MOUNTINFO, '/tmp/mnt')).toBe('0:42');
    expect(mountDevice(MOUNTINFO, '/tmp/m')).toBeUndefined();
    expect(mountDevice(MOUNTINFO, '/tmp')).toBeUndefined();
  });

  it('raiseReadahead: a path that is no mount point -> not raised, with the reason', () => {
    const outcome = raiseReadahead('/no/such/mount', 1 << 20);
    expect(outcome).toEqual({ raised: false, reason: '/no/such/mount not in /proc/self/mountinfo' });
  });
});

#!/usr/bin/env node
/**
 * `dfuse`: the FUSE daemon. Mounting arrives with the dfuse issue (#5); until then this entry explains
 * that and exits non-zero rather than pretending to mount.
 */
import { runCli } from './command.js';

const USAGE = `usage: dfuse --pool P --cont C --mount DIR\n(not available yet: the FUSE daemon is tracked by issue #5)\n`;

runCli('dfuse', USAGE, async () => {
  throw new Error('the FUSE daemon is not built yet (issue #5); use the object API or `daos` for now');
});

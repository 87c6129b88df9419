/**
 * For DFS suites: the FsError code a promise rejects with. A promise that resolves, or rejects with anything
 * other than an FsError, fails the test.
 */
import { FsError } from '../../dfs/index.js';

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then((value: unknown) => ({ resolved: value }), (caught: unknown) => ({ caught }));
  if (!('caught' in outcome)) throw new Error(`expected an FsError, but the call resolved with ${String(outcome.resolved)}`);
  if (!(outcome.caught instanceof FsError)) throw new Error(`expected an FsError, got ${String(outcome.caught)}`);
  return outcome.caught.code;
}

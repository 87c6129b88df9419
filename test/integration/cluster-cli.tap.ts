/**
 * End to end through the CLIs, as a user drives the local cluster: tsdaos up/down/status, dmg system/pool
 * queries, dmg system stop/start of one engine, daos containers and snapshots, restart persistence, and
 * clear errors for bad input.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ObjType, connectPool } from '../../engine/client/index.js';
import { readSystemFile } from '../../engine/system/system-file.js';
import { cli, cliJson } from '../harness/cli.js';
import { waitFor } from '../harness/local-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdaos-cli-'));
t.teardown(() => {
  cli('tsdaos', ['down', '--dir', dir]);
  rmSync(dir, { recursive: true, force: true });
});

interface UpSummary { pool: string; cont: string; engines: Array<{ rank: number; pid: number }> }
interface PoolQuery { map: { version: number; ranks: Array<{ rank: number; targets: Array<{ state: string }> }> }; redundancy: string; targets: unknown[] }

t.test('tsdaos up --detach: starts engines, pool and POSIX container', async (t) => {
  const up = cliJson<UpSummary>('tsdaos', ['up', '--detach', '--dir', dir, '--engines', '3', '--targets', '2']);
  t.equal(up.engines.length, 3, 'three engines');
  t.equal(up.pool, 'tank');
  t.equal(up.cont, 'posix');
  const again = cli('tsdaos', ['up', '--detach', '--dir', dir]);
  t.not(again.status, 0, 'second up on a running cluster fails');
  t.match(again.stderr, /already running/);
});

t.test('dmg: system query and pool query describe the cluster', async (t) => {
  const system = cliJson<{ engines: Array<{ state: string }> }>('dmg', ['system', 'query', '--dir', dir]);
  t.same(system.engines.map((engine) => engine.state), ['joined', 'joined', 'joined']);
  const query = cliJson<PoolQuery>('dmg', ['pool', 'query', '--dir', dir]);
  t.equal(query.map.ranks.length, 3);
  t.ok(query.map.ranks.every((rank) => rank.targets.length === 2 && rank.targets.every((target) => target.state === 'UPIN')), 'all targets UPIN');
  t.equal(query.redundancy, 'normal');
  t.equal(query.targets.length, 6, 'space reported for every target');
  const human = cli('dmg', ['pool', 'query', '--dir', dir]);
  t.equal(human.status, 0);
  t.match(human.stdout, /Data redundancy: normal/);
  t.match(human.stdout, /reclaim lazy/, 'pools aggregate lazily unless asked otherwise');
  cliJson('dmg', ['pool', 'create', 'timed', '--dir', dir, '--reclaim', 'time']);
  const timedQuery = cliJson<{ props: { reclaim: string; rdFac: number } }>('dmg', ['pool', 'query', 'timed', '--dir', dir]);
  t.equal(timedQuery.props.reclaim, 'time');
  t.equal(timedQuery.props.rdFac, 2, 'the properties not given keep their defaults');
  cliJson('dmg', ['pool', 'destroy', 'timed', '--dir', dir]);
});

t.test('dmg system stop/start: a stopped engine is excluded; started again, it rejoins by itself (UPIN); bad ranks refused', async (t) => {
  const rankState = (rank: number): string | undefined => cliJson<PoolQuery>('dmg', ['pool', 'query', '--dir', dir]).map.ranks[rank]?.targets[0]?.state;
  const stopped = cliJson<{ engines: Array<{ rank: number; how: string }> }>('dmg', ['system', 'stop', '--ranks', '2', '--dir', dir]);
  t.same(stopped.engines.map((engine) => [engine.rank, engine.how]), [[2, 'terminated']], 'rank 2 stopped, the others untouched');
  const status = cliJson<{ engines: Array<{ running: boolean }> }>('tsdaos', ['status', '--dir', dir]);
  t.same(status.engines.map((engine) => engine.running), [true, true, false]);
  await waitFor('rank 2 DOWN', 30_000, async () => rankState(2) === 'DOWN');
  t.equal(rankState(2), 'DOWN', 'the pool service excluded it');
  const up = cli('tsdaos', ['up', '--detach', '--dir', dir]);
  t.equal(up.status, 1, 'up with some engines running still refuses');
  t.match(up.stderr, /\(ranks 0, 1\); start the stopped one with 'dmg system start --dir .*', stop it with 'tsdaos down/, 'and says how to start the stopped one');
  const started = cliJson<{ engines: Array<{ rank: number; how: string }> }>('dmg', ['system', 'start', '--dir', dir]);
  t.same(started.engines.map((engine) => [engine.rank, engine.how]), [[0, 'running'], [1, 'running'], [2, 'started']], 'only the stopped engine is started');
  await waitFor('rank 2 UPIN', 30_000, async () => rankState(2) === 'UPIN');
  t.equal(rankState(2), 'UPIN', 'it resynced and is back in service');
  const unknown = cli('dmg', ['system', 'stop', '--ranks', '7', '--dir', dir]);
  t.equal(unknown.status, 1);
  t.equal(unknown.stderr, 'dmg: no rank 7 in the system (ranks 0, 1, 2)\n', 'an unknown rank: one line naming the ranks there are');
  t.equal(cli('dmg', ['system', 'start', '--ranks', '1,x', '--dir', dir]).status, 2, 'a malformed rank list is a usage error');
});

t.test('daos: containers, snapshots and attributes', async (t) => {
  const created = cliJson<{ uuid: string; props: { oclass: string } }>('daos', ['cont', 'create', '--dir', dir, '--label', 'scratch', '--oclass', 'RP_3G1']);
  t.equal(created.props.oclass, 'RP_3G1');
  const list = cliJson<{ containers: Array<{ label?: string }> }>('daos', ['cont', 'list', '--dir', dir]);
  t.same(list.containers.map((entry) => entry.label).sort(), ['posix', 'scratch']);
  const snap = cliJson<{ name: string; epoch: number }>('daos', ['cont', 'create-snap', '--dir', dir, '--snap', 's1']);
  t.equal(snap.name, 's1');
  t.ok(snap.epoch > 0);
  cliJson('daos', ['cont', 'set-attr', '--dir', dir, '--attrs', 'dfuse-attr-time:5s,owner:ci']);
  const attrs = cliJson<{ attrs: Record<string, string> }>('daos', ['cont', 'get-attr', '--dir', dir]);
  t.equal(attrs.attrs['dfuse-attr-time'], '5s');
});

t.test('bad input: one readable line and a non-zero exit', async (t) => {
  const noPool = cli('dmg', ['pool', 'query', 'no-such-pool', '--dir', dir]);
  t.equal(noPool.status, 1);
  t.match(noPool.stderr, /DER_NONEXIST/);
  t.equal(noPool.stderr.trim().split('\n').length, 1, 'one line');
  const usage = cli('dmg', ['frobnicate', 'now', '--dir', dir]);
  t.equal(usage.status, 2);
  const badReclaim = cli('dmg', ['pool', 'create', 'p2', '--dir', dir, '--reclaim', 'soon']);
  t.equal(badReclaim.status, 2);
  t.match(badReclaim.stderr, /^dmg: --reclaim: expected one of lazy, time, disabled, got "soon"\n/);
  const elsewhere = join(dir, 'help-only');
  const upHelp = cli('tsdaos', ['up', '--dir', elsewhere, '--help']);
  t.equal(upHelp.status, 0, '`tsdaos up --help` prints usage');
  t.match(upHelp.stdout, /^usage: tsdaos/);
  t.notOk(existsSync(elsewhere), '`tsdaos up --help` starts nothing');
  const dfuseHelp = cli('tsdaos', ['dfuse', '-h']);
  t.equal(dfuseHelp.status, 0);
  t.match(dfuseHelp.stdout, /^usage: dfuse --mount DIR/, 'a subcommand with its own usage prints that');
  const badClass = cli('daos', ['cont', 'create', '--dir', dir, '--label', 'x', '--oclass', 'RP_9G9']);
  t.equal(badClass.status, 2);
  t.match(badClass.stderr, /unknown object class/);
  const duplicate = cli('daos', ['cont', 'create', '--dir', dir, '--label', 'scratch']);
  t.equal(duplicate.status, 1);
  t.match(duplicate.stderr, /DER_EXIST/);
  const noSystem = cli('dmg', ['pool', 'query', '--dir', join(dir, 'nowhere')]);
  t.equal(noSystem.status, 1);
  t.match(noSystem.stderr, /no system file/);
});

t.test('tsdaos down then up: everything comes back', async (t) => {
  const system = readSystemFile(join(dir, 'system.json'));
  const before = await connectPool({ system, pool: 'tank' });
  const cont = await before.openContainer('posix');
  const oid = await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'SX' });
  const data = Buffer.from(Array.from({ length: 3 * (1 << 20) + 77 }, (_, index) => (index * 13) & 0xff));
  await cont.array(oid).write(0, data);
  await before.disconnect();

  const down = cliJson<{ stopped: Array<{ how: string }> }>('tsdaos', ['down', '--dir', dir]);
  t.same(down.stopped.map((entry) => entry.how), ['terminated', 'terminated', 'terminated'], 'engines stopped by SIGTERM');
  const status = cliJson<{ engines: Array<{ running: boolean }> }>('tsdaos', ['status', '--dir', dir]);
  t.ok(status.engines.every((engine) => !engine.running));
  cliJson('tsdaos', ['up', '--detach', '--dir', dir]);
  const list = cliJson<{ containers: Array<{ label?: string }> }>('daos', ['cont', 'list', '--dir', dir]);
  t.same(list.containers.map((entry) => entry.label).sort(), ['posix', 'scratch']);
  const snaps = cliJson<{ snapshots: Array<{ name: string }> }>('daos', ['cont', 'list-snap', '--dir', dir]);
  t.same(snaps.snapshots.map((snap) => snap.name), ['s1']);
  const after = await connectPool({ system: readSystemFile(join(dir, 'system.json')), pool: 'tank' });
  const array = (await after.openContainer('posix')).array(oid);
  t.equal(await array.getSize(), data.length, 'array size survives the restart');
  t.ok((await array.read(0, data.length)).equals(data), 'array bytes survive the restart');
  await after.disconnect();
});

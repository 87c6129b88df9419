#!/usr/bin/env node
/**
 * `dmg`: system and pool administration — system query/start/stop, pool create/list/query/destroy,
 * exclude/reintegrate a rank.
 */
import { H2TransportPool } from '../../engine/client/h2-transport.js';
import { ENGINE_PING } from '../../engine/wire/rpc/engine.js';
import { POOL_CREATE, POOL_LIST, RECLAIM_DEFAULT, RECLAIM_POLICIES, type ReclaimPolicy } from '../../engine/wire/rpc/pool.js';
import { RANKS_MAX } from '../../engine/constants.js';
import { resolveSystemFilePath } from '../../engine/system/system-file.js';
import { type EngineAction, startEngines, stopEngines } from '../cluster/local-cluster.js';
import {
  type Parsed, UsageError, formatBytes, intOption, output, parse, parseSize, requireOption, runCli, stringOption,
} from './command.js';
import { loadSystem, poolName, withPool } from './system-context.js';

const USAGE = `usage: dmg <command> [options]

  system query                         engines: rank, address, pid, state
  system start [--ranks 0,2]           start the local cluster's engines that are not running (default: all);
                                       a restarted engine rejoins its pools by itself (resync, then UPIN)
  system stop [--ranks 0,2]            stop engines (SIGTERM: requests drain; default: all)
  pool create LABEL [--size SIZE per target] [--ranks 0,1,2] [--svc N] [--rd-fac N]
              [--reclaim lazy|time|disabled]   when aggregation runs (default lazy: while the pool is idle)
  pool list
  pool query [POOL]                    engines, targets, space, map version, redundancy, reclaim, rebuild
  pool exclude [POOL] --rank N         mark an engine's targets DOWN
  pool reintegrate [POOL] --rank N     bring an excluded engine back (resync, then in service)
  pool destroy [POOL] [--force]

common: --dir DATA (./.tsdaos) or --system FILE or TSDAOS_SYSTEM; --json
`;

async function main(argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  const key = `${group} ${command}`;
  switch (key) {
    case 'system query': return await systemQuery(rest);
    case 'system start': return await systemStartStop(rest, 'start');
    case 'system stop': return await systemStartStop(rest, 'stop');
    case 'pool create': return await poolCreate(rest);
    case 'pool list': return await poolList(rest);
    case 'pool query': return await poolQuery(rest);
    case 'pool exclude': return await poolRankChange(rest, 'exclude');
    case 'pool reintegrate': return await poolRankChange(rest, 'reintegrate');
    case 'pool destroy': return await poolDestroy(rest);
    default: throw new UsageError(`unknown command ${JSON.stringify(key)}`);
  }
}

async function systemQuery(argv: string[]): Promise<void> {
  const parsed = parse(argv, {});
  const system = loadSystem(parsed);
  const transports = new H2TransportPool();
  try {
    const engines = await Promise.all(system.engines.map(async (engine) => {
      try {
        const ping = await transports.get(engine.address).call(ENGINE_PING, {}, { timeoutMs: 2_000 });
        return { rank: engine.rank, address: engine.address, pid: ping.pid, state: 'joined', uptimeMs: ping.uptimeMs };
      } catch {
        return { rank: engine.rank, address: engine.address, pid: null, state: 'unreachable', uptimeMs: null };
      }
    }));
    output(parsed, { engines }, () => [
      'rank  address               pid      state',
      ...engines.map((engine) => `${String(engine.rank).padEnd(5)} ${engine.address.padEnd(21)} ${String(engine.pid ?? '-').padEnd(8)} ${engine.state}`),
    ].join('\n'));
  } finally {
    await transports.close();
  }
}

async function poolCreate(argv: string[]): Promise<void> {
  const parsed = parse(argv, {
    size: { type: 'string' }, ranks: { type: 'string' }, svc: { type: 'string' }, 'rd-fac': { type: 'string' }, reclaim: { type: 'string' },
  });
  const label = parsed.positionals[0] ?? requireOption(parsed, 'label');
  const reclaim = stringOption(parsed, 'reclaim');
  if (reclaim !== undefined && !isReclaimPolicy(reclaim)) throw new UsageError(`--reclaim: expected one of ${RECLAIM_POLICIES.join(', ')}, got ${JSON.stringify(reclaim)}`);
  const system = loadSystem(parsed);
  const ranks = ranksOption(parsed);
  const size = stringOption(parsed, 'size');
  const transports = new H2TransportPool();
  try {
    const result = await transports.get(system.engines[0]!.address).call(POOL_CREATE, {
      label,
      ranks,
      capacityBytesPerTarget: size === undefined ? 0 : parseSize(size, '--size'),
      svcReplicas: stringOption(parsed, 'svc') === undefined ? undefined : intOption(parsed, 'svc', 3, { min: 1, max: 5 }),
      props: {
        rdFac: stringOption(parsed, 'rd-fac') === undefined ? undefined : intOption(parsed, 'rd-fac', 0, { min: 0, max: 4 }),
        reclaim,
      },
    });
    output(parsed, result, () => `pool created: ${result.label} ${result.uuid} (service ranks ${result.svcRanks.join(',')}, ${result.map.ranks.length} engines)`);
  } finally {
    await transports.close();
  }
}

async function poolList(argv: string[]): Promise<void> {
  const parsed = parse(argv, {});
  const system = loadSystem(parsed);
  const transports = new H2TransportPool();
  try {
    const { pools } = await transports.get(system.engines[0]!.address).call(POOL_LIST, {});
    output(parsed, { pools }, () => pools.length === 0 ? 'no pools' : pools.map((pool) => `${pool.label}  ${pool.uuid}  svc ${pool.svcRanks.join(',')}`).join('\n'));
  } finally {
    await transports.close();
  }
}

async function poolQuery(argv: string[]): Promise<void> {
  const parsed = parse(argv, { pool: { type: 'string' } });
  const system = loadSystem(parsed);
  const query = await withPool(system, poolName(parsed, system, parsed.positionals[0]), (pool) => pool.query());
  output(parsed, query, () => {
    const capacity = query.targets.reduce((sum, target) => sum + target.capacityBytes, 0);
    const used = query.targets.reduce((sum, target) => sum + target.usedBytes, 0);
    const lines = [
      `Pool ${query.label} (${query.uuid}), map version ${query.map.version}, service leader rank ${query.leader} (replicas ${query.svcRanks.join(',')})`,
      `Engines: ${query.map.ranks.length}, targets: ${query.map.ranks.reduce((sum, rank) => sum + rank.targets.length, 0)} (${query.targets.length} answered)`,
      `Space: ${formatBytes(used)} used${capacity > 0 ? ` of ${formatBytes(capacity)}` : ' (no quota)'}`,
      `Data redundancy: ${query.redundancy} (rd_fac ${query.props.rdFac}); reclaim ${query.props.reclaim ?? RECLAIM_DEFAULT}`,
      `Rebuild: ${query.rebuild.state}, ${query.rebuild.objects} objects, ${query.rebuild.records} records`,
      ...query.map.ranks.map((rank) => `  rank ${rank.rank} ${rank.address} domain ${rank.faultDomain}: ${rank.targets.map((target) => target.state).join(' ')}`),
    ];
    return lines.join('\n');
  });
}

async function poolRankChange(argv: string[], action: 'exclude' | 'reintegrate'): Promise<void> {
  const parsed = parse(argv, { pool: { type: 'string' }, rank: { type: 'string' } });
  const rank = intOption(parsed, 'rank', -1, { min: 0, max: RANKS_MAX - 1 });
  if (rank < 0) throw new UsageError('--rank is required');
  const system = loadSystem(parsed);
  const map = await withPool(system, poolName(parsed, system, parsed.positionals[0]), (pool) =>
    action === 'exclude' ? pool.exclude(rank) : pool.reintegrate(rank));
  output(parsed, { map }, () => `rank ${rank} ${action === 'exclude' ? 'excluded' : 'reintegrating'}; pool map version ${map.version}`);
}

async function poolDestroy(argv: string[]): Promise<void> {
  const parsed = parse(argv, { pool: { type: 'string' }, force: { type: 'boolean', default: false } });
  const system = loadSystem(parsed);
  const name = poolName(parsed, system, parsed.positionals[0]);
  await withPool(system, name, (pool) => pool.destroy({ force: parsed.values['force'] === true }));
  output(parsed, { destroyed: name }, () => `pool ${name} destroyed`);
}

/** `dmg system start|stop [--ranks 0,2]`: the local cluster's engines of those ranks (default: all). */
async function systemStartStop(argv: string[], action: 'start' | 'stop'): Promise<void> {
  const parsed = parse(argv, { ranks: { type: 'string' } });
  const systemFile = resolveSystemFilePath({ systemFile: stringOption(parsed, 'system'), dataDir: stringOption(parsed, 'dir') });
  const ranks = ranksOption(parsed);
  const engines = action === 'start' ? await startEngines(systemFile, ranks) : await stopEngines(systemFile, ranks);
  output(parsed, { engines }, () => engines.map((engine) => `rank ${engine.rank}: ${ENGINE_ACTION_WORDS[engine.how]}${engine.pid > 0 ? ` (pid ${engine.pid})` : ''}`).join('\n'));
}

const ENGINE_ACTION_WORDS: Readonly<Record<EngineAction['how'], string>> = {
  started: 'started', running: 'already running', terminated: 'stopped', killed: 'killed (did not stop within the grace)', 'not-running': 'not running',
};

/** --ranks 0,2 as numbers; undefined when not given. */
function ranksOption(parsed: Parsed): number[] | undefined {
  return stringOption(parsed, 'ranks')?.split(',').map((text) => {
    const rank = Number(text);
    if (text === '' || !Number.isInteger(rank) || rank < 0 || rank >= RANKS_MAX) throw new UsageError(`--ranks: bad rank ${JSON.stringify(text)}`);
    return rank;
  });
}

function isReclaimPolicy(text: string): text is ReclaimPolicy {
  return (RECLAIM_POLICIES as readonly string[]).includes(text);
}

runCli('dmg', USAGE, main);

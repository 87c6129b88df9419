#!/usr/bin/env node
/**
 * `daos`: containers and their data — create/list/query/destroy, snapshots, user attributes.
 * Pool and container default to the ones `tsdaos up` created.
 */
import { mkfs } from '../../dfs/index.js';
import { isObjClassName } from '../../engine/placement/object-class.js';
import type { ContProps } from '../../engine/wire/rpc/cont.js';
import { UsageError, output, parse, parseSize, runCli, stringOption } from './command.js';
import { contName, loadSystem, poolName, withPool } from './system-context.js';

const USAGE = `usage: daos <command> [options]

  cont create [POOL] --label L [--type POSIX] [--oclass C] [--dir-oclass C] [--file-oclass C]
              [--chunk-size SIZE] [--rd-fac N] [--attrs k:v,k:v]
  cont list [POOL]
  cont query [POOL] [CONT]
  cont destroy [POOL] CONT [--force]
  cont create-snap [POOL] [CONT] [--snap NAME]
  cont list-snap [POOL] [CONT]
  cont destroy-snap [POOL] [CONT] (--snap NAME | --epc EPOCH)
  cont set-attr [POOL] [CONT] --attrs k:v[,k:v]
  cont get-attr [POOL] [CONT] [--names a,b]
  cont del-attr [POOL] [CONT] --names a,b

POOL and CONT default to --pool/--cont or the local cluster's; common: --dir DATA, --system FILE, --json
`;

const CONT_OPTIONS = {
  pool: { type: 'string' }, cont: { type: 'string' }, label: { type: 'string' }, type: { type: 'string' },
  oclass: { type: 'string' }, 'dir-oclass': { type: 'string' }, 'file-oclass': { type: 'string' },
  'chunk-size': { type: 'string' }, 'rd-fac': { type: 'string' }, attrs: { type: 'string' }, names: { type: 'string' },
  snap: { type: 'string' }, epc: { type: 'string' }, force: { type: 'boolean', default: false },
} as const;

async function main(argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  if (group !== 'cont' && group !== 'container') throw new UsageError(`unknown command ${JSON.stringify(`${group} ${command}`)}`);
  const parsed = parse(rest, CONT_OPTIONS);
  const system = loadSystem(parsed);
  const [first, second] = parsed.positionals;
  switch (command) {
    case 'create': {
      const pool = poolName(parsed, system, first);
      const info = await withPool(system, pool, async (handle) => {
        const created = await handle.createContainer({
          label: stringOption(parsed, 'label') ?? second, props: createProps(parsed), attrs: parseAttrs(stringOption(parsed, 'attrs')),
        });
        // A POSIX container is formatted at creation (superblock + root), as dfs_cont_create does.
        if (created.props.layout === 'POSIX') await mkfs(await handle.openContainer(created.uuid));
        return created;
      });
      return output(parsed, info, () => `container created: ${info.label ?? ''} ${info.uuid} (layout ${info.props.layout}, oclass ${info.props.oclass})`);
    }
    case 'list': {
      const list = await withPool(system, poolName(parsed, system, first), (handle) => handle.listContainers());
      return output(parsed, { containers: list }, () => list.length === 0 ? 'no containers' : list.map((entry) => `${entry.label ?? '-'}  ${entry.uuid}`).join('\n'));
    }
    case 'query': {
      const [pool, cont] = poolAndCont(parsed, system, first, second);
      const info = await withPool(system, pool, async (handle) => (await handle.openContainer(cont)).info());
      return output(parsed, info, () => [
        `Container ${info.label ?? ''} ${info.uuid}`,
        ...Object.entries(info.props).map(([name, value]) => `  ${name}: ${String(value)}`),
        `  snapshots: ${info.snapshots.length}, attributes: ${Object.keys(info.attrs).length}`,
      ].join('\n'));
    }
    case 'destroy': {
      const [pool, cont] = first !== undefined && second !== undefined ? [first, second] : [poolName(parsed, system), first ?? stringOption(parsed, 'cont')];
      if (cont === undefined) throw new UsageError('cont destroy needs the container to destroy');
      await withPool(system, pool, (handle) => handle.destroyContainer(cont, { force: parsed.values['force'] === true }));
      return output(parsed, { destroyed: cont }, () => `container ${cont} destroyed`);
    }
    default: return await contData(command, parsed, system, first, second);
  }
}

async function contData(command: string | undefined, parsed: ReturnType<typeof parse>, system: ReturnType<typeof loadSystem>, first?: string, second?: string): Promise<void> {
  const [pool, cont] = poolAndCont(parsed, system, first, second);
  await withPool(system, pool, async (handle) => {
    const container = await handle.openContainer(cont);
    switch (command) {
      case 'create-snap': {
        const snap = await container.createSnapshot(stringOption(parsed, 'snap'));
        return output(parsed, snap, () => `snapshot ${snap.name} created at epoch ${snap.epoch}`);
      }
      case 'list-snap': {
        const snaps = await container.snapshots();
        return output(parsed, { snapshots: snaps }, () => snaps.length === 0 ? 'no snapshots' : snaps.map((snap) => `${snap.epoch}  ${snap.name}  ${new Date(snap.createdMs).toISOString()}`).join('\n'));
      }
      case 'destroy-snap': {
        const name = stringOption(parsed, 'snap');
        const epc = stringOption(parsed, 'epc');
        if ((name === undefined) === (epc === undefined)) throw new UsageError('destroy-snap needs exactly one of --snap or --epc');
        await container.destroySnapshot(name ?? Number(epc));
        return output(parsed, { destroyed: name ?? epc }, () => `snapshot ${name ?? epc} destroyed`);
      }
      case 'set-attr': {
        const attrs = parseAttrs(stringOption(parsed, 'attrs'));
        if (attrs === undefined) throw new UsageError('set-attr needs --attrs k:v[,k:v]');
        await container.setAttrs(attrs);
        return output(parsed, { set: attrs }, () => `set ${Object.keys(attrs).length} attributes`);
      }
      case 'get-attr': case 'list-attr': {
        const names = stringOption(parsed, 'names')?.split(',');
        const attrs = await container.getAttrs(names);
        return output(parsed, { attrs }, () => Object.entries(attrs).map(([name, value]) => `${name}: ${value}`).join('\n') || 'no attributes');
      }
      case 'del-attr': {
        const names = stringOption(parsed, 'names')?.split(',');
        if (names === undefined) throw new UsageError('del-attr needs --names a,b');
        await container.delAttrs(names);
        return output(parsed, { deleted: names }, () => `deleted ${names.length} attributes`);
      }
      default: throw new UsageError(`unknown command ${JSON.stringify(`cont ${command}`)}`);
    }
  });
}

function poolAndCont(parsed: ReturnType<typeof parse>, system: ReturnType<typeof loadSystem>, first?: string, second?: string): [string, string] {
  if (second !== undefined) return [first!, second];
  return [poolName(parsed, system), contName(parsed, system, first)];
}

function createProps(parsed: ReturnType<typeof parse>): Partial<ContProps> {
  const props: { -readonly [K in keyof ContProps]?: ContProps[K] } = {};
  const type = stringOption(parsed, 'type');
  if (type !== undefined) {
    if (type !== 'POSIX' && type !== 'HDF5' && type !== 'UNKNOWN') throw new UsageError(`--type must be POSIX, HDF5 or UNKNOWN`);
    props.layout = type;
  }
  for (const [option, prop] of [['oclass', 'oclass'], ['dir-oclass', 'dirOclass'], ['file-oclass', 'fileOclass']] as const) {
    const value = stringOption(parsed, option);
    if (value === undefined) continue;
    if (!isObjClassName(value)) throw new UsageError(`--${option}: unknown object class ${JSON.stringify(value)}`);
    props[prop] = value;
  }
  const chunk = stringOption(parsed, 'chunk-size');
  if (chunk !== undefined) props.chunkSizeBytes = parseSize(chunk, '--chunk-size');
  const rdFac = stringOption(parsed, 'rd-fac');
  if (rdFac !== undefined) {
    const value = Number(rdFac);
    if (!Number.isInteger(value) || value < 0 || value > 4) throw new UsageError('--rd-fac must be 0..4');
    props.rdFac = value;
  }
  return props;
}

function parseAttrs(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const attrs: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new UsageError(`--attrs: expected name:value, got ${JSON.stringify(pair)}`);
    attrs[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  return attrs;
}

runCli('daos', USAGE, main);

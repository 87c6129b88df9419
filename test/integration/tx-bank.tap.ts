/**
 * The bank: serializable transactions end to end on three engine processes. 16 accounts live in four KV
 * objects (two S1 on different engines, two RP_3G1); 4 workers move money between random accounts with
 * runTx (one account is hot, so transfers conflict and restart), each transfer also writing its record
 * to a log object in the same transaction; meanwhile a reader sums all balances in read-only
 * transactions (every read at the transaction's one epoch). Every sum must equal the constant total;
 * at the end the total is unchanged, the logged transfers are exactly the acknowledged ones, and the
 * balances are the initial ones plus the logged transfers.
 */
import t from 'tap';
import { type ContHandle, ObjType, type PoolHandle, type Tx } from '../../engine/client/index.js';
import { startTestCluster } from '../harness/local-cluster.js';
import { type KvSlot, createSlots, randomInt, seededRandom } from '../harness/tx-keys.js';

const ACCOUNTS = 16;
const WORKERS = 4;
const TRANSFERS_PER_WORKER = 100;
const INITIAL_BALANCE = 1_000;
const TOTAL = ACCOUNTS * INITIAL_BALANCE;
/**
 * A transfer restarts whenever the reader read one of its accounts at a later epoch between its reads and
 * its prepare; the reader never stops, so allow more attempts than the default on a loaded machine.
 */
const RETRIES_MAX = 200;
const SEED = Number(process.env['TSDAOS_TX_BANK_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

interface Transfer { readonly id: string; readonly from: number; readonly to: number; readonly amount: number }

t.setTimeout(600_000);
t.comment(`tx-bank seed ${SEED} (replay: TSDAOS_TX_BANK_SEED=${SEED})`);
const cluster = await startTestCluster({ engines: 3, targets: 2, prefix: 'txbank' });
let pool: PoolHandle | undefined;
t.teardown(async () => {
  await pool?.disconnect().catch(() => undefined);
  await cluster.stop();
});

async function balanceIn(tx: Tx, account: KvSlot): Promise<number> {
  const value = await tx.kv(account.oid).get(account.key);
  if (value === null) throw new Error(`account ${account.oidText}/${account.key} vanished`);
  return Number(value.toString());
}

/** One worker: transfers between random accounts (a quarter of them touch the hot account 0). */
async function worker(cont: ContHandle, accounts: readonly KvSlot[], log: KvSlot, index: number): Promise<{ done: Transfer[]; attempts: number; attemptsMax: number }> {
  const random = seededRandom(SEED + index);
  const done: Transfer[] = [];
  let attempts = 0;
  let attemptsMax = 0;
  for (let n = 0; n < TRANSFERS_PER_WORKER; n++) {
    const before = attempts;
    const from = random() < 0.25 ? 0 : randomInt(random, 0, ACCOUNTS - 1);
    const to = (from + randomInt(random, 1, ACCOUNTS - 1)) % ACCOUNTS;
    const wanted = randomInt(random, 1, 100);
    const id = `w${index}-${n}`;
    const transfer = await cont.runTx(async (tx) => {
      attempts++;
      const [source, target] = [accounts[from]!, accounts[to]!];
      const [fromBalance, toBalance] = await Promise.all([balanceIn(tx, source), balanceIn(tx, target)]);
      const amount = Math.min(wanted, fromBalance);
      tx.kv(source.oid).put(source.key, Buffer.from(String(fromBalance - amount)));
      tx.kv(target.oid).put(target.key, Buffer.from(String(toBalance + amount)));
      tx.kv(log.oid).put(id, Buffer.from(JSON.stringify({ id, from, to, amount })));
      return { id, from, to, amount };
    }, { retriesMax: RETRIES_MAX });
    done.push(transfer);
    attemptsMax = Math.max(attemptsMax, attempts - before);
  }
  return { done, attempts, attemptsMax };
}

/** Sums every balance in read-only transactions until `stop()` says so; returns the sums seen. */
async function reader(cont: ContHandle, accounts: readonly KvSlot[], stop: () => boolean): Promise<number[]> {
  const sums: number[] = [];
  while (!stop()) {
    sums.push(await cont.runTx(async (tx) => {
      const balances = await Promise.all(accounts.map((account) => balanceIn(tx, account)));
      return balances.reduce((sum, balance) => sum + balance, 0);
    }));
  }
  return sums;
}

t.test(`bank: ${WORKERS} workers x ${TRANSFERS_PER_WORKER} transfers with a concurrent summing reader`, async (t) => {
  pool = await cluster.connect();
  await pool.createContainer({ label: 'bank' });
  const cont = await pool.openContainer('bank');
  const accounts = await createSlots(pool, cont, {
    ranks: 2, perRank: 1, replicated: 2, keysPerObject: ACCOUNTS / 4, initial: () => String(INITIAL_BALANCE),
  });
  t.equal(accounts.length, ACCOUNTS);
  t.same(new Set(accounts.map((account) => account.oclass)), new Set(['S1', 'RP_3G1']), 'accounts in S1 and RP_3G1 objects');
  const logOid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' });
  const log: KvSlot = { ...accounts[0]!, oid: logOid, oidText: 'log', kv: cont.kv(logOid), key: '' };

  let running = true;
  const started = Date.now();
  const readerDone = reader(cont, accounts, () => !running);
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(cont, accounts, log, index)))
    .finally(() => { running = false; });
  const sums = await readerDone;
  const elapsedMs = Date.now() - started;
  const transfers = results.flatMap((result) => result.done);
  const attempts = results.reduce((sum, result) => sum + result.attempts, 0);
  const attemptsMax = Math.max(...results.map((result) => result.attemptsMax));
  t.comment(`${transfers.length} transfers in ${elapsedMs} ms, ${attempts - transfers.length} restarts (at most ${attemptsMax} attempts for one); reader summed ${sums.length} times`);

  t.ok(sums.length > 0, 'the reader completed sums while transfers ran');
  t.same(sums.filter((sum) => sum !== TOTAL), [], 'every concurrent sum equals the constant total');
  t.ok(attempts > transfers.length, 'some transfers conflicted and restarted');

  const final = await Promise.all(accounts.map(async (account) => Number((await account.kv.get(account.key))!.toString())));
  t.equal(final.reduce((sum, balance) => sum + balance, 0), TOTAL, 'total unchanged at the end');
  const loggedKeys = await log.kv.keys();
  const logged = await Promise.all(loggedKeys.map(async (key) => JSON.parse((await log.kv.get(key))!.toString()) as Transfer));
  const byId = (a: Transfer, b: Transfer): number => a.id.localeCompare(b.id);
  t.same([...logged].sort(byId), [...transfers].sort(byId), 'the log holds exactly the acknowledged transfers');
  const expected = Array.from({ length: ACCOUNTS }, () => INITIAL_BALANCE);
  for (const transfer of logged) {
    expected[transfer.from]! -= transfer.amount;
    expected[transfer.to]! += transfer.amount;
  }
  t.same(final, expected, 'balances = initial balances + logged transfers');
});

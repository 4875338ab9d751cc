// test/clients/node/knex_app.js: knex against tenant_guard
// (test/clients/run.sh): its migration (migrations/) run by the tables'
// owner with knex.migrate.latest(), then requests in knex.transaction().
// The blocks between "README:" and "END README" are the README's snippets,
// word for word (run.sh checks).
'use strict';

const path = require('path');
const createKnex = require('knex');
const harness = require('./harness');

const args = harness.parseArgs(process.argv);
const connection = harness.parseDsn(args.appDsn);

// README: knex
const knex = createKnex({ client: 'pg', connection, pool: { min: 0, max: 16 } });

function inTenant(tenantId, work) {
  return knex.transaction(async (trx) => {
    await trx.raw('SELECT tenant_guard.set_tenant(?)', [tenantId]);
    return work(trx);
  });
}

function placeOrder(tenantId, item, amount) {
  return inTenant(tenantId, async (trx) => {
    const [order] = await trx('orders').insert({ item }).returning(['id', 'tenant_id']);
    await trx('payments').insert({ order_id: order.id, amount });
    const rows = await trx.select('tenant_id').from('orders')
      .unionAll((q) => q.select('tenant_id').from('payments'));
    return [order.tenant_id, rows.map((r) => r.tenant_id)];
  });
}
// END README

function forgetful() {
  return knex.transaction((trx) => trx.select('tenant_id').from('orders'));
}

function polluting(tenantId) {
  return knex.transaction((trx) => trx.raw(
    "SELECT set_config('app.current_tenant', ?, false)", [String(tenantId)]));
}

async function migrate(dsn) {
  const owner = createKnex({ client: 'pg', connection: harness.parseDsn(dsn) });
  try {
    await owner.migrate.latest({ directory: path.join(__dirname, 'migrations') });
  } finally {
    await owner.destroy();
  }
}

async function main() {
  const name = `knex ${args.endpoint}`;
  let ok = true;
  if (args.migrateDsn) {
    try {
      await migrate(args.migrateDsn);
      harness.check('knex migration', true, "knex.migrate.latest() as the tables' owner");
    } catch (err) {
      harness.check('knex migration', false, `${err.code} ${harness.firstLine(err)}`);
      return 1;
    }
  }
  try {
    ok = await harness.checkPattern(name, (t) => placeOrder(t, 'apple', 5), forgetful, [1, '2']) && ok;
    ok = await harness.runLoad(name, {
      request: (t) => placeOrder(t, 'pear', 7), forgetful, polluting,
    }, args.perWorker, 16, args.monitorDsn, args.dbname) && ok;
  } finally {
    await knex.destroy();
  }
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; },
  (err) => { console.log(`FAILED: knex: ${err.stack}`); process.exitCode = 1; });

// test/clients/node/pg_app.js: node-postgres against tenant_guard
// (test/clients/run.sh).  The migration is test/clients/migration.sql, run
// by the tables' owner.  The blocks between "README:" and "END README" are
// the README's snippets, word for word (run.sh checks).
'use strict';

const fs = require('fs');
const path = require('path');
const pg = require('pg');
const harness = require('./harness');

const args = harness.parseArgs(process.argv);
const connection = harness.parseDsn(args.appDsn);

// README: node-postgres
const pool = new pg.Pool({ ...connection, max: 16 });

async function inTenant(tenantId, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT tenant_guard.set_tenant($1)', [tenantId]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

function placeOrder(tenantId, item, amount) {
  return inTenant(tenantId, async (client) => {
    const { rows: [order] } = await client.query(
      'INSERT INTO orders (item) VALUES ($1) RETURNING id, tenant_id', [item]);
    await client.query('INSERT INTO payments (order_id, amount) VALUES ($1, $2)',
      [order.id, amount]);
    const { rows } = await client.query(
      'SELECT tenant_id FROM orders UNION ALL SELECT tenant_id FROM payments');
    return [order.tenant_id, rows.map((r) => r.tenant_id)];
  });
}
// END README

async function forgetful() {
  const { rows } = await pool.query('SELECT tenant_id FROM orders');
  return rows;
}

// The same transaction as inTenant(), with a session-level tenant.
async function polluting(tenantId) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('app.current_tenant', $1, false)", [String(tenantId)]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function migrate(dsn) {
  const client = new pg.Client(harness.parseDsn(dsn));
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(fs.readFileSync(path.join(__dirname, '..', 'migration.sql'), 'utf8'));
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

async function main() {
  const name = `node-postgres ${args.endpoint}`;
  let ok = true;
  if (args.migrateDsn) {
    try {
      await migrate(args.migrateDsn);
      harness.check('node-postgres migration', true, "migration.sql as the tables' owner");
    } catch (err) {
      harness.check('node-postgres migration', false, `${err.code} ${harness.firstLine(err)}`);
      return 1;
    }
  }
  try {
    ok = await harness.checkPattern(name, (t) => placeOrder(t, 'apple', 5), forgetful, [7, '8']) && ok;
    ok = await harness.runLoad(name, {
      request: (t) => placeOrder(t, 'pear', 7), forgetful, polluting,
    }, args.perWorker, 16, args.monitorDsn, args.dbname) && ok;
  } finally {
    await pool.end();
  }
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; },
  (err) => { console.log(`FAILED: node-postgres: ${err.stack}`); process.exitCode = 1; });

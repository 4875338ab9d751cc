// test/clients/node/harness.js: the load every Node framework test runs
// (test/clients/run.sh), as test/clients/python/harness.py does for Python:
// 16 workers, one request in ten forgetful (must fail with SQLSTATE 42501),
// one in ten polluting (a session-level set_config() with a bind parameter,
// then COMMIT: must fail with 42501 and leave the connection usable), the
// rest the documented pattern, which must see only its tenant's rows.  Then
// one more documented request per pooled connection, and a count of the
// application role's sessions left inside a transaction.  Prints one line
// per check.
'use strict';

const pg = require('pg');

const WORKERS = 16;
const TENANTS = 8;

// "host=/dir port=5432 dbname=db user=u options='-c role=r'" as a
// node-postgres configuration.
function parseDsn(dsn) {
  const config = {};
  const re = /(\w+)=('([^']*)'|\S+)/g;
  let m;
  while ((m = re.exec(dsn)) !== null) {
    const value = m[3] !== undefined ? m[3] : m[2];
    const key = { dbname: 'database' }[m[1]] || m[1];
    config[key] = key === 'port' ? Number(value) : value;
  }
  return config;
}

function parseArgs(argv) {
  const args = { perWorker: 40 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    args[key] = argv[i + 1];
  }
  args.perWorker = Number(args.perWorker);
  return args;
}

function firstLine(err) {
  return String(err && err.message).split('\n')[0];
}

// What a request that should have failed returned, in short.
function describe(rows) {
  if (Array.isArray(rows)) return `${rows.length} rows`;
  const text = JSON.stringify(rows);
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

function check(name, cond, what) {
  console.log(`${cond ? 'ok' : 'FAILED'}: ${name}: ${what}`);
  return Boolean(cond);
}

async function expectRefused(name, fn, what) {
  let rows;
  try {
    rows = await fn();
  } catch (err) {
    return check(name, err.code === '42501',
      `${what}: refused with ${err.code} (${firstLine(err)})`);
  }
  return check(name, false, `${what}: served ${describe(rows)} instead of an error`);
}

async function stuckSessions(monitorDsn, dbname) {
  const client = new pg.Client(parseDsn(monitorDsn));
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE usename = 'tg_app' AND datname = $1
          AND state LIKE 'idle in transaction%'`, [dbname]);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

// A small deterministic generator, so that runs are repeatable.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 4294967296;
  };
}

async function oneRequest(i, random, fns, c) {
  const tenant = 1 + Math.floor(random() * TENANTS);
  if (i % 10 === 3) {
    c.forgetful += 1;
    try {
      const rows = await fns.forgetful();
      c.forgetfulServed += 1;
      c.unexpected.push(`forgetful request served ${describe(rows)}`);
    } catch (err) {
      if (err.code !== '42501') c.unexpected.push(`forgetful: ${err.code} ${firstLine(err)}`);
    }
  } else if (i % 10 === 7) {
    c.polluting += 1;
    try {
      await fns.polluting(tenant);
      c.pollutingAccepted += 1;
    } catch (err) {
      if (err.code !== '42501') c.unexpected.push(`polluting: ${err.code} ${firstLine(err)}`);
    }
  } else {
    c.tenant += 1;
    try {
      const [mine, seen] = await fns.request(tenant);
      c.cross += seen.filter((t) => Number(t) !== tenant).length + (Number(mine) !== tenant);
    } catch (err) {
      c.unexpected.push(`tenant ${tenant}: ${err.code} ${firstLine(err)}`);
    }
  }
}

async function runLoad(name, fns, perWorker, poolSize, monitorDsn, dbname) {
  const c = {
    tenant: 0, forgetful: 0, polluting: 0, cross: 0,
    forgetfulServed: 0, pollutingAccepted: 0, unexpected: [],
  };
  const start = Date.now();
  const workers = [];
  for (let w = 0; w < WORKERS; w++) {
    workers.push((async () => {
      const random = rng(10000 + w);
      for (let i = 0; i < perWorker; i++) await oneRequest(w + i, random, fns, c);
    })());
  }
  await Promise.all(workers);
  const random = rng(10);
  for (let i = 0; i < 2 * poolSize; i++) await oneRequest(0, random, fns, c);
  const stuck = await stuckSessions(monitorDsn, dbname);
  const elapsed = (Date.now() - start) / 1000;
  const total = c.tenant + c.forgetful + c.polluting;
  const ok = c.cross === 0 && c.forgetfulServed === 0 && c.pollutingAccepted === 0
    && c.unexpected.length === 0 && stuck === 0 && c.tenant > 0;
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}: ${total} requests by ${WORKERS} workers `
    + `(${c.tenant} of a tenant, ${c.forgetful} forgetful, ${c.polluting} polluting) `
    + `in ${elapsed.toFixed(1)} s: ${c.cross} cross-tenant rows, forgetful served ${c.forgetfulServed}, `
    + `polluting accepted ${c.pollutingAccepted}, unexpected errors ${c.unexpected.length}, `
    + `stuck sessions ${stuck}`);
  for (const line of [...new Set(c.unexpected)].sort().slice(0, 10)) console.log(`    ${line}`);
  return ok;
}

// The documented request twice, for two tenants, then a forgetful one.
async function checkPattern(name, request, forgetful, tenants) {
  let ok = true;
  for (const tenant of tenants) {
    try {
      const [mine, seen] = await request(tenant);
      const kinds = [...new Set(seen.map(Number))].sort();
      ok = check(name, Number(mine) === Number(tenant)
        && kinds.length === 1 && kinds[0] === Number(tenant),
      `documented request of tenant ${JSON.stringify(tenant)} gets tenant_id ${mine} `
        + `and sees tenants ${JSON.stringify(kinds)}`) && ok;
    } catch (err) {
      ok = check(name, false, `documented request of tenant ${JSON.stringify(tenant)}: `
        + `${err.code} ${firstLine(err)}`) && ok;
    }
  }
  return (await expectRefused(name, forgetful, 'forgetful request')) && ok;
}

module.exports = {
  parseDsn, parseArgs, check, checkPattern, runLoad, firstLine,
};

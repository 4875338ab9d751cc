-- bench/sql/setup_base.sql - data for the per-transaction benchmarks
-- (bench/callgrind.sh and bench/throughput.sh).
--
-- Run by psql as the superuser with variables
--   :rows       rows of rls_accounts (tenant of row id: (id - 1) % :tenants + 1)
--   :tenants    number of tenants
--   :join_rows  rows of each of the 20 join tables rls_j01 .. rls_j20
--
-- Every RLS table gets the same "classic" policy, one that does not need
-- tenant_guard, so that the configurations without tenant_guard preloaded
-- run the very same statements:
--   USING (tenant_id = current_setting('app.current_tenant')::int)
-- and row-level security is FORCEd.  The pgbench tables (pgbench -i) are
-- the statement that touches no RLS table; they are created by the caller.

\set ON_ERROR_STOP on

-- The role the application connects as: no superuser, no BYPASSRLS, so
-- row-level security and tenant_guard both apply to it.
CREATE ROLE app LOGIN;

-- Point lookups: one table, :rows rows spread evenly over :tenants tenants.
CREATE TABLE rls_accounts (
	id			int PRIMARY KEY,
	tenant_id	int NOT NULL,
	balance		int NOT NULL,
	note		text NOT NULL
);
INSERT INTO rls_accounts
SELECT g, (g - 1) % :tenants + 1, g % 9973, 'account ' || g
FROM generate_series(1, :rows) g;
CREATE INDEX ON rls_accounts (tenant_id);
ALTER TABLE rls_accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rls_accounts
	USING (tenant_id = current_setting('app.current_tenant')::int);
GRANT SELECT ON rls_accounts TO app;

-- Many tables in one statement: rls_j01 .. rls_j20, same shape and policy.
SELECT format($f$
	CREATE TABLE rls_j%1$s (id int PRIMARY KEY, tenant_id int NOT NULL, val int NOT NULL);
	INSERT INTO rls_j%1$s SELECT g, (g - 1) %% %2$s + 1, g %% 1000 FROM generate_series(1, %3$s) g;
	CREATE INDEX ON rls_j%1$s (tenant_id);
	ALTER TABLE rls_j%1$s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
	CREATE POLICY tenant_isolation ON rls_j%1$s
		USING (tenant_id = current_setting('app.current_tenant')::int);
	GRANT SELECT ON rls_j%1$s TO app;
	$f$, lpad(i::text, 2, '0'), :tenants, :join_rows)
FROM generate_series(1, 20) i
\gexec

-- bench/sql/setup_scale.sql - data for the policy-cost-at-scale benchmark
-- (bench/scale.sh).
--
-- Run by psql as the superuser with variables :rows and :tenants.  Creates
-- two identical tables:
--   docs_plain      no row-level security; the application filters with
--                   WHERE tenant_id = $1
--   docs_protected  the same rows; scale.sh then puts it under the standard
--                   policy (tenant_guard.protect() or its emulation)
-- Rows are interleaved across tenants the way they arrive in a shared
-- table (tenant of id: (id - 1) % :tenants + 1), so a tenant's rows are
-- spread over the whole table.
--
-- Indexes, the same on both tables: the primary key on id, an index on
-- tenant_id (the standard policy creates it on docs_protected; created here
-- on docs_plain), and (tenant_id, id), which scale.sh adds to both after the
-- policy is in place (protect() creates its tenant index only if no index
-- leads with tenant_id yet).  The composite index is what makes the range
-- scan fair: "id BETWEEN ..." within one tenant would otherwise walk the
-- primary key over every tenant's rows in the range, or the tenant index
-- over all of the tenant's rows, and the two variants could end up with
-- different plans.  With (tenant_id, id) both go straight to the tenant's
-- rows in the range, the plain one through its WHERE clause, the protected
-- one through the policy's tenant_id = (SELECT tenant_guard.tenant()::bigint),
-- whose sub-select is evaluated once per statement and becomes an index key.

\set ON_ERROR_STOP on

-- Created and filled in one transaction: with wal_level = minimal the data
-- is not written to WAL, which roughly halves the load time.
BEGIN;
CREATE TABLE docs_plain (
	id			bigint NOT NULL,
	tenant_id	bigint NOT NULL,
	amount		int NOT NULL,
	title		text NOT NULL
);
INSERT INTO docs_plain
SELECT g, (g - 1) % :tenants + 1, (g::bigint * 7919 % 100000)::int, 'document ' || g
FROM generate_series(1, :rows) g;
COMMIT;

BEGIN;
CREATE TABLE docs_protected (LIKE docs_plain);
INSERT INTO docs_protected SELECT * FROM docs_plain;
COMMIT;

ALTER TABLE docs_plain ADD PRIMARY KEY (id);
ALTER TABLE docs_protected ADD PRIMARY KEY (id);
CREATE INDEX ON docs_plain (tenant_id);

GRANT SELECT ON docs_plain, docs_protected TO app;

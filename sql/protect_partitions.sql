--
-- protect() on partitioned tables: existing partitions, sub-partitions,
-- partitions created or attached later, and detached ones.
--
CREATE ROLE regress_tg_app;

CREATE TABLE events (id bigint, tenant_id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- a sub-partitioned partition
CREATE TABLE events_2026 PARTITION OF events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY LIST (tenant_id);
CREATE TABLE events_2026_small PARTITION OF events_2026 FOR VALUES IN (1, 2);
CREATE TABLE events_2026_other PARTITION OF events_2026 DEFAULT;
INSERT INTO events VALUES (1, 1, '2025-06-01'), (2, 2, '2025-06-01'),
                          (3, 1, '2026-06-01'), (4, 3, '2026-06-01');
GRANT SELECT, INSERT ON events, events_2025, events_2026, events_2026_small,
  events_2026_other TO regress_tg_app;

SELECT tenant_guard.protect('events');

-- Every partition is protected on its own, so naming it directly is safe.
SELECT relation, partition_of, rls_enabled, rls_forced, isolation_intact
  FROM tenant_guard.protected_tables ORDER BY relation::text;
SELECT indexrelid::regclass AS index, indrelid::regclass AS "table"
  FROM pg_index
 WHERE indrelid IN (SELECT relation FROM tenant_guard.registry)
 ORDER BY 2::text, 1::text;

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM events ORDER BY id;
SELECT id FROM events_2026_small ORDER BY id;
SELECT id FROM events_2026_other ORDER BY id;
INSERT INTO events (id, at) VALUES (5, '2026-07-01');
SELECT tableoid::regclass, id, tenant_id FROM events WHERE id = 5;
COMMIT;
RESET ROLE;

-- A partition created later is protected as it is created ...
CREATE TABLE events_2027 PARTITION OF events
  FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
-- ... and so is one attached later, with its own partitions.
CREATE TABLE events_2028 (id bigint, tenant_id bigint NOT NULL, at date)
  PARTITION BY LIST (tenant_id);
CREATE TABLE events_2028_all PARTITION OF events_2028 DEFAULT;
ALTER TABLE events ATTACH PARTITION events_2028
  FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
-- and a partition created under a protected sub-partitioned partition
CREATE TABLE events_2026_big PARTITION OF events_2026 FOR VALUES IN (1000);
SELECT relation, partition_of, rls_enabled, rls_forced, isolation_intact
  FROM tenant_guard.protected_tables ORDER BY relation::text;

-- Calling protect() again changes nothing; on a partition too.
SELECT tenant_guard.protect('events');
SELECT tenant_guard.protect('events_2027');

-- A protected partition may be detached: it stays protected on its own.
ALTER TABLE events DETACH PARTITION events_2025;
SELECT relation, partition_of FROM tenant_guard.registry
 WHERE relation = 'events_2025'::regclass;

-- A partition whose protection was taken away (tenant_guard.mode = off
-- lets a superuser do that) may not be detached: it would leave its rows
-- without row-level security.
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER TABLE events_2027 DISABLE ROW LEVEL SECURITY;
COMMIT;
ALTER TABLE events DETACH PARTITION events_2027;
-- protect() repairs it, and then it may go.
SELECT tenant_guard.protect('events');
BEGIN;
ALTER TABLE events DETACH PARTITION events_2027;
ROLLBACK;

-- A partition protected through its parent is unprotected through it.
SELECT tenant_guard.unprotect('events_2027');
SELECT tenant_guard.unprotect('events');
SELECT relation FROM tenant_guard.registry ORDER BY relation::text;
SELECT relname, relrowsecurity, relforcerowsecurity
  FROM pg_class WHERE relname LIKE 'events%' AND relkind IN ('r', 'p')
 ORDER BY relname;

-- Renaming the tenant column follows it through the partitions.
SELECT tenant_guard.protect('events');
ALTER TABLE events RENAME COLUMN tenant_id TO org_id;
SELECT relation, tenant_column FROM tenant_guard.registry ORDER BY relation::text;
SELECT tenant_guard.protect('events', 'org_id');

-- A foreign table created as a partition cannot have row-level security:
-- it is reachable only through its parent, and is not registered (the
-- registry holds tables with the standard policies).
CREATE FOREIGN DATA WRAPPER regress_tg_dummy;
CREATE SERVER regress_tg_nowhere FOREIGN DATA WRAPPER regress_tg_dummy;
CREATE FOREIGN TABLE events_remote PARTITION OF events
  FOR VALUES FROM ('2030-01-01') TO ('2031-01-01') SERVER regress_tg_nowhere;
SELECT relation, partition_of FROM tenant_guard.registry
 WHERE relation = 'events_remote'::regclass;
DROP FOREIGN TABLE events_remote;
DROP SERVER regress_tg_nowhere;
DROP FOREIGN DATA WRAPPER regress_tg_dummy;

-- Dropping tables forgets them, however they are dropped.
DROP TABLE events_2027;
SELECT count(*) FROM tenant_guard.registry WHERE partition_of = 'events'::regclass;
DROP TABLE events, events_2025;
SELECT count(*) AS registry_rows_left FROM tenant_guard.registry;

DROP ROLE regress_tg_app;

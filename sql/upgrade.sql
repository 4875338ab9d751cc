--
-- The upgrade path: installing 1.0 and updating gives the same objects as
-- installing the current version, and the library serves a database still
-- at 1.0.
--
DROP EXTENSION tenant_guard;
CREATE EXTENSION tenant_guard VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'tenant_guard';

-- 1.0 has no registry: DDL that the drift guard looks at simply runs.
CREATE TABLE upgrade_probe (id int, tenant_id int) PARTITION BY LIST (tenant_id);
CREATE TABLE upgrade_probe_1 PARTITION OF upgrade_probe FOR VALUES IN (1);
ALTER TABLE upgrade_probe RENAME COLUMN tenant_id TO org_id;
DROP TABLE upgrade_probe;

ALTER EXTENSION tenant_guard UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'tenant_guard';

CREATE TEMP TABLE upgraded AS
SELECT classid, objid, pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenant_guard');
-- Listed without the row types of the tables and views (and their array
-- types), which PostgreSQL 17 and later record as members too; the
-- comparison below includes them.
SELECT object FROM upgraded u
 WHERE NOT (classid = 'pg_type'::regclass AND EXISTS (
              SELECT FROM pg_type t LEFT JOIN pg_type elem ON elem.oid = t.typelem
               WHERE t.oid = u.objid AND (t.typrelid <> 0 OR elem.typrelid <> 0)))
 ORDER BY object;
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'tenant_guard';

DROP EXTENSION tenant_guard;
CREATE EXTENSION tenant_guard;
CREATE TEMP TABLE fresh AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenant_guard');
(SELECT object FROM fresh EXCEPT SELECT object FROM upgraded)
UNION ALL
(SELECT object FROM upgraded EXCEPT SELECT object FROM fresh);

-- What PUBLIC may use.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
       p.prosecdef AS security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'tenant_guard'::regnamespace
 ORDER BY p.oid::regprocedure::text;
SELECT c.relname, has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       has_table_privilege('public', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE') AS public_write
  FROM pg_class c
 WHERE c.relnamespace = 'tenant_guard'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

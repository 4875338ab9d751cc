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

-- What an object of the extension is, whichever script made it: a
-- function's whole CREATE statement (body, settings, volatility) and
-- privileges; a table's or view's columns with their defaults and
-- comments, constraints, indexes, query and privileges; and its comment.
-- Fresh installs run tenant_guard--VERSION.sql, written from src/sql/,
-- while updated databases ran the scripts of every release: the two must
-- agree object by object, not only by name.
CREATE FUNCTION pg_temp.member_definition(cls regclass, obj oid)
RETURNS text LANGUAGE sql STABLE AS $$
SELECT concat_ws(E'\n',
	CASE cls
		WHEN 'pg_proc'::regclass THEN
			(SELECT pg_get_functiondef(p.oid) || 'acl ' || coalesce(p.proacl::text, 'default')
			   FROM pg_proc p WHERE p.oid = obj)
		WHEN 'pg_class'::regclass THEN
			(SELECT concat_ws(E'\n', 'relkind ' || c.relkind::text,
					'acl ' || coalesce(c.relacl::text, 'default'),
					'rls ' || c.relrowsecurity || ' ' || c.relforcerowsecurity,
					CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
					(SELECT string_agg(format('column %s %s not null %s default %s comment %s',
											  a.attname, format_type(a.atttypid, a.atttypmod),
											  a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
											  col_description(c.oid, a.attnum)),
									   E'\n' ORDER BY a.attnum)
					   FROM pg_attribute a
					   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
					  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
					(SELECT string_agg(format('constraint %s %s', k.conname, pg_get_constraintdef(k.oid)),
									   E'\n' ORDER BY k.conname)
					   FROM pg_constraint k WHERE k.conrelid = c.oid),
					(SELECT string_agg(pg_get_indexdef(i.indexrelid), E'\n' ORDER BY 1)
					   FROM pg_index i WHERE i.indrelid = c.oid))
			   FROM pg_class c WHERE c.oid = obj)
		WHEN 'pg_type'::regclass THEN format_type(obj, NULL)
		ELSE 'a kind of object this comparison does not know'
	END,
	'comment ' || obj_description(obj, cls::text))
$$;

-- The extension's members, and what else its scripts set: the schema's
-- comment and privileges, and what pg_dump dumps of its configuration.
CREATE FUNCTION pg_temp.extension_objects()
RETURNS TABLE (classid oid, objid oid, object text, definition text)
LANGUAGE sql STABLE AS $$
SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, d.objsubid),
	   pg_temp.member_definition(d.classid, d.objid)
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenant_guard')
UNION ALL
SELECT NULL, NULL, 'schema tenant_guard',
	   concat_ws(E'\n', 'acl ' || n.nspacl::text,
				 'comment ' || obj_description(n.oid, 'pg_namespace'))
  FROM pg_namespace n WHERE n.nspname = 'tenant_guard'
UNION ALL
SELECT NULL, NULL, 'configuration of extension tenant_guard',
	   concat_ws(E'\n', e.extconfig::regclass[]::text, e.extcondition::text)
  FROM pg_extension e WHERE e.extname = 'tenant_guard'
$$;

CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.extension_objects();
-- Listed without the row types of the tables and views (and their array
-- types), which PostgreSQL 17 and later record as members too; the
-- comparison below includes them.
SELECT object FROM upgraded u
 WHERE classid IS NOT NULL
   AND NOT (classid = 'pg_type'::regclass AND EXISTS (
              SELECT FROM pg_type t LEFT JOIN pg_type elem ON elem.oid = t.typelem
               WHERE t.oid = u.objid AND (t.typrelid <> 0 OR elem.typrelid <> 0)))
 ORDER BY object;
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'tenant_guard';

DROP EXTENSION tenant_guard;
CREATE EXTENSION tenant_guard;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.extension_objects();
(SELECT object FROM fresh EXCEPT SELECT object FROM upgraded)
UNION ALL
(SELECT object FROM upgraded EXCEPT SELECT object FROM fresh);
-- Object by object: the objects whose definitions differ.
SELECT object FROM fresh f JOIN upgraded u USING (object)
 WHERE f.definition IS DISTINCT FROM u.definition
 ORDER BY object;
-- (and the comparison saw what it compares)
SELECT count(*) FILTER (WHERE definition LIKE 'CREATE OR REPLACE FUNCTION%') AS functions,
	   count(*) FILTER (WHERE definition LIKE '%SELECT r.relation%') AS views,
	   count(*) FILTER (WHERE definition LIKE '%column protected_at timestamp with time zone not null t default now()%') AS tables_with_columns,
	   count(*) FILTER (WHERE definition LIKE '%comment %') AS with_comment
  FROM fresh;

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

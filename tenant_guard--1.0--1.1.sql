/* tenant_guard--1.0--1.1.sql: protect(), unprotect(), the registry, audit() */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenant_guard UPDATE TO '1.1'" to load this file. \quit

--
-- The registry of protected tables.  protect() and unprotect() write it (as
-- its owner, see src/registry.c); everyone may read it.  Relations are
-- regclass so that pg_dump writes their names, and the table is marked as
-- configuration so that pg_dump carries its rows.
--
CREATE TABLE @extschema@.registry (
	relation regclass PRIMARY KEY,
	tenant_column name NOT NULL,
	partition_of regclass,
	set_not_null boolean NOT NULL,
	previous_default text,
	enabled_rls boolean NOT NULL,
	forced_rls boolean NOT NULL,
	created_index name,
	protected_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	protected_by name NOT NULL DEFAULT CURRENT_USER
);

COMMENT ON TABLE @extschema@.registry IS
'tables protected by tenant_guard.protect(), with what protect() changed so that unprotect() can undo it';
COMMENT ON COLUMN @extschema@.registry.partition_of IS
'protected table this partition is protected through; NULL if protected on its own';
COMMENT ON COLUMN @extschema@.registry.set_not_null IS
'protect() made the tenant column NOT NULL';
COMMENT ON COLUMN @extschema@.registry.previous_default IS
'default of the tenant column that protect() replaced';
COMMENT ON COLUMN @extschema@.registry.enabled_rls IS
'protect() enabled row-level security';
COMMENT ON COLUMN @extschema@.registry.forced_rls IS
'protect() forced row-level security';
COMMENT ON COLUMN @extschema@.registry.created_index IS
'index on the tenant column that protect() created, in the table''s schema (a name, since pg_dump restores indexes after data)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.registry', '');
GRANT SELECT ON @extschema@.registry TO PUBLIC;

--
-- protect() and unprotect(): run as the caller, who must own the table.
--
CREATE FUNCTION @extschema@.protect(tbl regclass, tenant_column name DEFAULT 'tenant_id')
RETURNS void
AS 'MODULE_PATHNAME', 'tenant_guard_protect'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.protect(regclass, name) IS
'make a table (and its partitions) a tenant table: forced row-level security, the tenant_guard policies, a tenant default and index';

CREATE FUNCTION @extschema@.unprotect(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'tenant_guard_unprotect'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.unprotect(regclass) IS
'undo what tenant_guard.protect() did to a table and its partitions';

--
-- policy_enforces_tenant(): does a policy require the tenant column to
-- match the tenant, whatever else it says?  (src/policy_analysis.c)
--
CREATE FUNCTION @extschema@.policy_enforces_tenant(policy oid, tenant_column name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'tenant_guard_policy_enforces_tenant'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.policy_enforces_tenant(oid, name) IS
'whether a row-level security policy lets a row through only if its tenant column matches the tenant setting';

--
-- protected_tables: the registry with the state of each table.
--
CREATE VIEW @extschema@.protected_tables AS
SELECT r.relation,
	   n.nspname AS schema_name,
	   c.relname AS table_name,
	   r.tenant_column,
	   pg_catalog.format_type(a.atttypid, a.atttypmod) AS tenant_type,
	   r.partition_of,
	   c.relrowsecurity AS rls_enabled,
	   c.relforcerowsecurity AS rls_forced,
	   EXISTS (SELECT FROM pg_catalog.pg_policy p
				WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid
				  AND p.polname OPERATOR(pg_catalog.=) 'tenant_guard_isolation'
				  AND NOT p.polpermissive
				  AND p.polcmd OPERATOR(pg_catalog.=) '*'
				  AND p.polroles OPERATOR(pg_catalog.=) '{0}'
				  AND @extschema@.policy_enforces_tenant(p.oid, r.tenant_column))
		 AS isolation_intact,
	   r.created_index,
	   r.protected_at,
	   r.protected_by
  FROM @extschema@.registry r
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relation
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) c.oid
   AND a.attname OPERATOR(pg_catalog.=) r.tenant_column;

COMMENT ON VIEW @extschema@.protected_tables IS
'tables protected by tenant_guard.protect(), and whether their protection is intact';
GRANT SELECT ON @extschema@.protected_tables TO PUBLIC;

--
-- audit(): every tenant isolation problem tenant_guard can see, one row per
-- finding, worst first, in a stable order.  "Tenant tables" are the
-- protected tables and every other table with a column named
-- tenant_column, in all schemas but the system's and extensions' own.
--
CREATE FUNCTION @extschema@.audit(tenant_column name DEFAULT 'tenant_id')
RETURNS TABLE (severity text, finding text, object_type text,
			   object_name text, detail text, fix text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $audit$
WITH user_tables AS (
	SELECT c.oid, c.relkind, c.relowner, c.relispartition,
		   c.relrowsecurity, c.relforcerowsecurity,
		   c.oid::regclass::text AS name
	  FROM pg_class c
	  JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.relkind IN ('r', 'p')
	   AND n.nspname NOT IN ('pg_catalog', 'information_schema', '@extschema@')
	   AND n.nspname NOT LIKE 'pg\_toast%'
	   AND n.nspname NOT LIKE 'pg\_temp\_%'
	   AND NOT EXISTS (SELECT FROM pg_depend d
						WHERE d.classid = 'pg_class'::regclass
						  AND d.objid = c.oid AND d.deptype = 'e')
),
tenant_tables AS (
	SELECT t.*, a.attnum AS tenant_attnum, a.attname AS tenant_column,
		   r.relation IS NOT NULL AS protected,
		   -- a partition of another tenant table: findings about the
		   -- whole tree are reported once, on its root
		   t.relispartition AND EXISTS (
			   SELECT FROM pg_inherits i
				 JOIN pg_attribute pa ON pa.attrelid = i.inhparent
				WHERE i.inhrelid = t.oid AND pa.attname = a.attname
				  AND NOT pa.attisdropped) AS in_tenant_tree
	  FROM user_tables t
	  LEFT JOIN @extschema@.registry r ON r.relation = t.oid
	  JOIN pg_attribute a ON a.attrelid = t.oid
						 AND a.attname = COALESCE(r.tenant_column, $1)
						 AND a.attnum > 0 AND NOT a.attisdropped
),
isolated AS (
	-- tables with a restrictive policy for every command and role that
	-- enforces the tenant condition: no permissive policy can widen them
	SELECT t.oid
	  FROM tenant_tables t
	 WHERE EXISTS (SELECT FROM pg_policy p
					WHERE p.polrelid = t.oid AND NOT p.polpermissive
					  AND p.polcmd = '*' AND p.polroles = '{0}'
					  AND @extschema@.policy_enforces_tenant(p.oid, t.tenant_column))
),
bypass_roles AS (
	SELECT oid, rolname FROM pg_roles WHERE rolsuper OR rolbypassrls
),
findings AS (
	SELECT 'critical' AS severity, 'rls_disabled' AS finding,
		   'table' AS object_type, t.name AS object_name,
		   format('Table has tenant column %I but no row-level security: every role that may read it sees every tenant''s rows.',
				  t.tenant_column) AS detail,
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column) AS fix
	  FROM tenant_tables t
	 WHERE NOT t.relrowsecurity AND NOT t.in_tenant_tree

	UNION ALL
	SELECT 'critical', 'rls_not_forced', 'table', t.name,
		   'Row-level security is enabled but not forced: the table''s owner bypasses every policy.',
		   format('ALTER TABLE %s FORCE ROW LEVEL SECURITY;', t.name)
	  FROM tenant_tables t
	 WHERE t.relrowsecurity AND NOT t.relforcerowsecurity

	UNION ALL
	SELECT 'critical', 'partition_without_rls', 'table', t.name,
		   format('Partition has no row-level security while its parent %s has: naming the partition directly skips the parent''s policies.',
				  (SELECT a.relid::regclass::text
					 FROM pg_partition_ancestors(t.oid) a
					 JOIN pg_class ac ON ac.oid = a.relid
					WHERE a.relid <> t.oid AND ac.relrowsecurity
					LIMIT 1)),
		   CASE WHEN tt.oid IS NOT NULL
				THEN format('SELECT tenant_guard.protect(%L, %L);', t.name, tt.tenant_column)
				ELSE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; -- and give it the policies of its parent', t.name)
		   END
	  FROM user_tables t
	  LEFT JOIN tenant_tables tt ON tt.oid = t.oid
	 WHERE t.relispartition AND NOT t.relrowsecurity
	   AND EXISTS (SELECT FROM pg_partition_ancestors(t.oid) a
					 JOIN pg_class ac ON ac.oid = a.relid
					WHERE a.relid <> t.oid AND ac.relrowsecurity)

	UNION ALL
	SELECT 'critical', 'policy_without_tenant', 'policy',
		   format('%I ON %s', p.polname, t.name),
		   format('Permissive policy %I does not require %I to match the tenant (%s) on its own (an OR, a constant true, or no reference to the tenant), and no restrictive policy does.',
				  p.polname, t.tenant_column,
				  coalesce(current_setting('tenant_guard.tenant_setting', true), 'app.current_tenant')),
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t
	  JOIN pg_policy p ON p.polrelid = t.oid
	 WHERE t.relrowsecurity AND p.polpermissive
	   AND NOT @extschema@.policy_enforces_tenant(p.oid, t.tenant_column)
	   AND t.oid NOT IN (SELECT oid FROM isolated)

	UNION ALL
	SELECT 'critical', 'protection_changed', 'table', t.name,
		   'Table is protected, but its policy tenant_guard_isolation was dropped or changed: it no longer restricts every command to the tenant.',
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t
	 WHERE t.protected
	   AND NOT EXISTS (SELECT FROM pg_policy p
						WHERE p.polrelid = t.oid
						  AND p.polname = 'tenant_guard_isolation'
						  AND NOT p.polpermissive AND p.polcmd = '*'
						  AND p.polroles = '{0}'
						  AND @extschema@.policy_enforces_tenant(p.oid, t.tenant_column))

	UNION ALL
	SELECT 'critical', 'view_bypasses_rls', 'view', v.oid::regclass::text,
		   format('View reads %s as its owner %I, who bypasses row-level security, so every role that may read the view sees every tenant''s rows.',
				  string_agg(DISTINCT t.name, ', '), o.rolname),
		   format('ALTER VIEW %s SET (security_invoker = true);', v.oid::regclass)
	  FROM pg_rewrite rw
	  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
					  AND d.refclassid = 'pg_class'::regclass
	  JOIN tenant_tables t ON t.oid = d.refobjid
	  JOIN pg_class v ON v.oid = rw.ev_class
	  JOIN bypass_roles o ON o.oid = v.relowner
	 WHERE v.relkind = 'v' AND v.oid <> t.oid
	   AND NOT coalesce((SELECT option_value::boolean
						   FROM pg_options_to_table(v.reloptions)
						  WHERE option_name = 'security_invoker'), false)
	 GROUP BY v.oid, o.rolname

	UNION ALL
	SELECT 'high', 'foreign_key_without_tenant', 'constraint',
		   format('%I ON %s', con.conname, ct.name),
		   format('Foreign key to %s does not include the tenant column: a row of one tenant can reference a row of another, and the key check tells whether another tenant''s key exists.',
				  pt.name),
		   format('ALTER TABLE %s ADD UNIQUE (%I, %s); ALTER TABLE %s DROP CONSTRAINT %I, ADD FOREIGN KEY (%I, %s) REFERENCES %s (%I, %s);',
				  pt.name, pt.tenant_column, refcols.list,
				  ct.name, con.conname, ct.tenant_column, cols.list,
				  pt.name, pt.tenant_column, refcols.list)
	  FROM pg_constraint con
	  JOIN tenant_tables ct ON ct.oid = con.conrelid
	  JOIN tenant_tables pt ON pt.oid = con.confrelid
	 CROSS JOIN LATERAL (
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS list
		  FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
		  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS cols
	 CROSS JOIN LATERAL (
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS list
		  FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
		  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS refcols
	 WHERE con.contype = 'f' AND con.conparentid = 0
	   AND NOT EXISTS (SELECT FROM generate_subscripts(con.conkey, 1) AS i
						WHERE con.conkey[i] = ct.tenant_attnum
						  AND con.confkey[i] = pt.tenant_attnum)

	UNION ALL
	SELECT 'high', 'materialized_view', 'materialized view', v.oid::regclass::text,
		   format('Materialized view stores rows of %s without row-level security, which materialized views cannot have: every role that may read it sees them.',
				  string_agg(DISTINCT t.name, ', ')),
		   format('DROP MATERIALIZED VIEW %s; -- or allow only roles outside the rules to read it', v.oid::regclass)
	  FROM pg_rewrite rw
	  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
					  AND d.refclassid = 'pg_class'::regclass
	  JOIN tenant_tables t ON t.oid = d.refobjid
	  JOIN pg_class v ON v.oid = rw.ev_class
	 WHERE v.relkind = 'm'
	 GROUP BY v.oid

	UNION ALL
	SELECT 'high', 'security_definer_function', 'function', p.oid::regprocedure::text,
		   format('SECURITY DEFINER function runs as %I, who bypasses row-level security, for every caller.',
				  o.rolname),
		   format('ALTER FUNCTION %s SECURITY INVOKER; -- or, if the bypass is deliberate: ALTER FUNCTION %s SET tenant_guard.mode = off;',
				  p.oid::regprocedure, p.oid::regprocedure)
	  FROM pg_proc p
	  JOIN bypass_roles o ON o.oid = p.proowner
	  JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE p.prosecdef
	   AND n.nspname NOT IN ('pg_catalog', 'information_schema', '@extschema@')
	   AND NOT EXISTS (SELECT FROM pg_depend d
						WHERE d.classid = 'pg_proc'::regclass
						  AND d.objid = p.oid AND d.deptype = 'e')
	   AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS c
						WHERE lower(c) = 'tenant_guard.mode=off')

	UNION ALL
	SELECT 'high', 'login_role_owns_table', 'table', t.name,
		   format('Role %I owns the table and can log in: a session as that role can turn off row-level security or drop the policies.',
				  o.rolname),
		   format('ALTER TABLE %s OWNER TO table_owner_role; -- a role that cannot log in', t.name)
	  FROM tenant_tables t
	  JOIN pg_roles o ON o.oid = t.relowner
	 WHERE o.rolcanlogin AND NOT o.rolsuper AND NOT o.rolbypassrls
	   AND NOT t.in_tenant_tree

	UNION ALL
	SELECT 'medium', 'rls_without_policy', 'table', t.name,
		   'Row-level security is enabled but the table has no policy, so it denies every row to every role inside the rules.',
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t
	 WHERE t.relrowsecurity
	   AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = t.oid)

	UNION ALL
	SELECT 'medium', 'baseline_policy_changed', 'table', t.name,
		   'Table is protected, but its policy tenant_guard_baseline was dropped or changed, so the table denies rows it should allow.',
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t
	 WHERE t.protected
	   AND NOT EXISTS (SELECT FROM pg_policy p
						WHERE p.polrelid = t.oid
						  AND p.polname = 'tenant_guard_baseline'
						  AND p.polpermissive AND p.polcmd = '*'
						  AND p.polroles = '{0}'
						  AND pg_get_expr(p.polqual, p.polrelid) = 'true'
						  AND pg_get_expr(p.polwithcheck, p.polrelid) = 'true')

	UNION ALL
	SELECT 'medium', 'tenant_column_not_indexed', 'table', t.name,
		   format('No index leads with tenant column %I, so every query scans the rows of all tenants to find one tenant''s.',
				  t.tenant_column),
		   format('CREATE INDEX ON %s (%I);', t.name, t.tenant_column)
	  FROM tenant_tables t
	 WHERE NOT t.in_tenant_tree
	   AND NOT EXISTS (SELECT FROM pg_index i
						WHERE i.indrelid = t.oid AND i.indisvalid
						  AND i.indkey[0] = t.tenant_attnum
						  AND i.indpred IS NULL)
)
SELECT f.severity, f.finding, f.object_type, f.object_name, f.detail, f.fix
  FROM findings f
 ORDER BY CASE f.severity WHEN 'critical' THEN 1 WHEN 'high' THEN 2
						  WHEN 'medium' THEN 3 ELSE 4 END,
		  f.finding, f.object_name, f.detail
$audit$;

COMMENT ON FUNCTION @extschema@.audit(name) IS
'tenant isolation problems in this database: one row per finding with its severity, the object, what is wrong and the SQL that fixes it';

GRANT EXECUTE ON FUNCTION @extschema@.protect(regclass, name) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.unprotect(regclass) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.policy_enforces_tenant(oid, name) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.audit(name) TO PUBLIC;

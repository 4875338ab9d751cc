--
-- audit(): see README, "audit()".  Also reads nothing that takes a lock on a
-- user table, so it never waits behind a migration or protect().
--
CREATE OR REPLACE FUNCTION @extschema@.audit(tenant_column name DEFAULT 'tenant_id')
RETURNS TABLE (severity text, finding text, object_type text,
			   object_name text, detail text, fix text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- a catalog report: compiling it would take longer than running it
SET jit = off
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
tenant_ancestors AS (
	-- each tenant table's ancestors, and whether each isolates tenants
	SELECT t.oid, t.name, t.tenant_column, t.relrowsecurity AS child_rls,
		   ac.oid AS parent,
		   ac.oid::regclass::text AS parent_name, ac.relrowsecurity AS parent_rls,
		   (NOT ac.relrowsecurity OR NOT ac.relforcerowsecurity
			 OR (EXISTS (SELECT FROM pg_catalog.pg_policy p
						   WHERE p.polrelid OPERATOR(pg_catalog.=) ac.oid AND NOT p.polpermissive
							 AND p.polcmd OPERATOR(pg_catalog.=) '*'
							 AND p.polroles OPERATOR(pg_catalog.=) '{0}'
							 AND @extschema@.policy_enforces_tenant(p.oid, t.tenant_column))
				  -- without permissive policies nothing passes
				  OR NOT EXISTS (SELECT FROM pg_catalog.pg_policy p
								  WHERE p.polrelid OPERATOR(pg_catalog.=) ac.oid AND p.polpermissive
									AND NOT coalesce(@extschema@.policy_enforces_tenant(p.oid, t.tenant_column), false)))) AS parent_isolates
	  FROM tenant_tables t
	 CROSS JOIN LATERAL (WITH RECURSIVE up(relid) AS (
			SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = t.oid
			UNION
			SELECT i.inhparent FROM pg_inherits i JOIN up ON i.inhrelid = up.relid)
		SELECT relid FROM up) an
	  JOIN pg_class ac ON ac.oid = an.relid
),
inside_login_roles AS (
	-- login roles inside the rules that may read or write a tenant table
	SELECT r.oid, r.rolname
	  FROM pg_roles r
	 WHERE r.rolcanlogin AND NOT r.rolsuper AND NOT r.rolbypassrls
	   AND r.rolname !~ '^pg_'
	   AND EXISTS (SELECT FROM tenant_tables t
					WHERE has_table_privilege(r.oid, t.oid,
											  'SELECT, INSERT, UPDATE, DELETE'))
),
role_search_path AS (
	-- each such role's configured search_path: ALTER ROLE ... IN DATABASE,
	-- ALTER ROLE, ALTER DATABASE, else the server's default
	SELECT r.oid, r.rolname,
		   coalesce((SELECT substr(c, length('search_path=') + 1)
					   FROM pg_db_role_setting s, unnest(s.setconfig) AS c
					  WHERE c LIKE 'search_path=%'
						AND (s.setrole, s.setdatabase) IN
							((r.oid, d.oid), (r.oid, 0), (0, d.oid))
					  ORDER BY s.setrole = 0, s.setdatabase = 0
					  LIMIT 1),
					(SELECT boot_val FROM pg_settings WHERE name = 'search_path')) AS path
	  FROM inside_login_roles r
	 CROSS JOIN (SELECT oid FROM pg_database WHERE datname = current_database()) d
),
role_creatable_schemas AS (
	SELECT rp.rolname, n.nspname
	  FROM role_search_path rp
	 CROSS JOIN LATERAL unnest(string_to_array(rp.path, ',')) AS e(entry)
	 CROSS JOIN LATERAL (SELECT btrim(btrim(e.entry), '"') AS name) AS s
	  JOIN pg_namespace n
		ON n.nspname = CASE WHEN s.name = '$user' THEN rp.rolname::text ELSE s.name END
	 WHERE has_schema_privilege(rp.oid, n.oid, 'CREATE')
),
type_code AS (
	-- code that a user type reaches (rule 6), through domains, arrays,
	-- ranges, multiranges and composite types: the checks of domains
	-- ('check': functions that are not built in), which run where values
	-- are converted to the type, and the support functions of ranges
	-- ('support': subtype_diff and canonical functions owned by a role
	-- inside the rules), which ANALYZE and index builds run
	WITH RECURSIVE parts(root, typ) AS (
		SELECT oid, oid FROM pg_type WHERE oid >= 16384
		UNION
		SELECT p.root, c.typ
		  FROM parts p
		  JOIN pg_type t ON t.oid = p.typ
		 CROSS JOIN LATERAL (
			SELECT t.typbasetype WHERE t.typtype = 'd'
			UNION ALL
			SELECT t.typelem WHERE t.typelem <> 0 AND t.typlen = -1
			UNION ALL
			SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid
			UNION ALL
			SELECT r.rngtypid FROM pg_range r WHERE r.rngmultitypid = t.oid
			UNION ALL
			SELECT a.atttypid FROM pg_attribute a
			 WHERE t.typtype = 'c' AND a.attrelid = t.typrelid
			   AND a.attnum > 0 AND NOT a.attisdropped) AS c(typ)
	)
	SELECT p.root, 'check' AS kind, d.refobjid AS func
	  FROM parts p
	  JOIN pg_constraint con ON con.contypid = p.typ
	  JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = con.oid
					  AND d.refclassid = 'pg_proc'::regclass
	 WHERE d.refobjid >= 16384
	UNION
	SELECT p.root, 'support', f.oid
	  FROM parts p
	  JOIN pg_range r ON r.rngtypid = p.typ
	  JOIN pg_proc f ON f.oid IN (r.rngsubdiff, r.rngcanonical)
	 WHERE f.oid >= 16384 AND f.proowner NOT IN (SELECT oid FROM bypass_roles)
),
code_funcs AS (
	-- the functions that stored code (classid, objid) runs (rule 6):
	-- those it calls, the checks of domains it converts values to, and
	-- the functions of an index's operator classes that a role inside the
	-- rules owns
	SELECT d.classid, d.objid, d.objsubid, d.refobjid AS func
	  FROM pg_depend d
	 WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid >= 16384
	UNION
	-- an operator's function (PostgreSQL records the operator)
	SELECT d.classid, d.objid, d.objsubid, op.oprcode::oid
	  FROM pg_depend d
	  JOIN pg_operator op ON op.oid = d.refobjid
	 WHERE d.refclassid = 'pg_operator'::regclass
	   AND op.oprcode::oid >= 16384
	UNION
	SELECT d.classid, d.objid, d.objsubid, tc.func
	  FROM pg_depend d
	  JOIN type_code tc ON tc.root = d.refobjid
	 WHERE d.refclassid = 'pg_type'::regclass
	UNION
	SELECT d.classid, d.objid, d.objsubid, f.oid
	  FROM pg_depend d
	  JOIN pg_opclass oc ON oc.oid = d.refobjid
	  JOIN pg_amproc ap ON ap.amprocfamily = oc.opcfamily
	  JOIN pg_proc f ON f.oid = ap.amproc
	 WHERE d.refclassid = 'pg_opclass'::regclass AND f.oid >= 16384
	   AND f.proowner NOT IN (SELECT oid FROM bypass_roles)
),
owner_code AS (
	-- code that DDL runs over every row, or that runs on every write,
	-- written by someone: functions that are not built in (rule 6)
	SELECT t.name, 'constraint' AS kind, con.conname::text AS object, f.func,
		   NULL::text AS ref
	  FROM tenant_tables t
	  JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'c'
	  JOIN code_funcs f ON f.classid = 'pg_constraint'::regclass AND f.objid = con.oid
	 WHERE t.relrowsecurity
	UNION
	SELECT t.name, 'index', ic.relname::text, f.func, i.indexrelid::regclass::text
	  FROM tenant_tables t
	  JOIN pg_index i ON i.indrelid = t.oid
	  JOIN pg_class ic ON ic.oid = i.indexrelid
	  JOIN code_funcs f ON f.classid = 'pg_class'::regclass AND f.objid = i.indexrelid
	 WHERE t.relrowsecurity
	UNION
	SELECT t.name, 'generated column', a.attname::text, f.func, NULL
	  FROM tenant_tables t
	  JOIN pg_attrdef ad ON ad.adrelid = t.oid
	  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ad.adnum
						 AND a.attgenerated <> ''
	  JOIN code_funcs f ON f.classid = 'pg_attrdef'::regclass AND f.objid = ad.oid
	 WHERE t.relrowsecurity
	UNION
	SELECT t.name, 'statistics', st.stxname::text, f.func,
		   format('%I.%I', sn.nspname, st.stxname)
	  FROM tenant_tables t
	  JOIN pg_statistic_ext st ON st.stxrelid = t.oid
	  JOIN pg_namespace sn ON sn.oid = st.stxnamespace
	  JOIN code_funcs f ON f.classid = 'pg_statistic_ext'::regclass AND f.objid = st.oid
	 WHERE t.relrowsecurity
	UNION
	-- a column whose type's support code ANALYZE and index builds run
	SELECT t.name, 'column', a.attname::text, tc.func, NULL
	  FROM tenant_tables t
	  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0
						 AND NOT a.attisdropped
	  JOIN type_code tc ON tc.root = a.atttypid AND tc.kind = 'support'
	 WHERE t.relrowsecurity
	UNION
	-- a partitioned table's key, which runs over every row of a table
	-- attached as a partition (the table's own dependencies, not its
	-- columns')
	SELECT t.name, 'partition key', NULL, f.func, NULL
	  FROM tenant_tables t
	  JOIN code_funcs f ON f.classid = 'pg_class'::regclass AND f.objid = t.oid
					   AND f.objsubid = 0
	 WHERE t.relrowsecurity AND t.relkind = 'p'
	UNION
	SELECT t.name, 'rule', rw.rulename::text, NULL::oid, NULL
	  FROM tenant_tables t
	  JOIN pg_rewrite rw ON rw.ev_class = t.oid AND rw.rulename <> '_RETURN'
	 WHERE t.relrowsecurity
	UNION
	SELECT t.name, 'trigger', tg.tgname::text, tg.tgfoid, NULL
	  FROM tenant_tables t
	  JOIN pg_trigger tg ON tg.tgrelid = t.oid AND NOT tg.tgisinternal
	 WHERE t.relrowsecurity AND tg.tgfoid >= 16384
	   -- tenant_guard's own trigger (fill_tenant(), installed by protect())
	   AND NOT EXISTS (SELECT FROM pg_depend e
					   WHERE e.classid = 'pg_proc'::regclass AND e.objid = tg.tgfoid
						 AND e.refclassid = 'pg_extension'::regclass
						 AND e.deptype = 'e'
						 AND e.refobjid = (SELECT x.oid FROM pg_extension x
										   WHERE x.extname = 'tenant_guard'))
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
	SELECT 'critical', 'parent_without_rls', 'table', a.name,
		   format('Table has row-level security but is a partition or child of %s, which has none: a query on the parent reads and changes this table''s rows without its policies (refused to roles inside the rules, rule 5).',
				  string_agg(a.parent_name, ', ' ORDER BY a.parent_name)),
		   string_agg(format('SELECT tenant_guard.protect(%L, %L);', a.parent_name, a.tenant_column),
					  ' ' ORDER BY a.parent_name)
	  FROM tenant_ancestors a
	 WHERE NOT a.parent_rls AND a.child_rls
	 GROUP BY a.name

	UNION ALL
	SELECT 'critical', 'parent_without_isolation', 'table', a.name,
		   format('Table is a partition or child of %s, whose policies do not enforce the tenant on %I: a query on the parent reads and changes every tenant''s rows of this table.',
				  string_agg(a.parent_name, ', ' ORDER BY a.parent_name), a.tenant_column),
		   string_agg(format('SELECT tenant_guard.protect(%L, %L);', a.parent_name, a.tenant_column),
					  ' ' ORDER BY a.parent_name)
	  FROM tenant_ancestors a
	 WHERE a.parent_rls AND NOT a.parent_isolates
	 GROUP BY a.name, a.tenant_column

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
	 WHERE t.protected AND NOT @extschema@.isolation_intact(t.oid)

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
	SELECT 'high', 'login_role_can_create_in_search_path', 'role', quote_ident(s.rolname),
		   format('Role can log in, is inside the rules and may create objects in schema %s of its search_path: a request that runs SQL of its choosing can leave a view or function there that the next request on the same pooled connection runs.',
				  string_agg(quote_ident(s.nspname), ', ' ORDER BY s.nspname)),
		   string_agg(format('REVOKE CREATE ON SCHEMA %I FROM %I; -- and from PUBLIC or the roles it is a member of',
							 s.nspname, s.rolname), ' ' ORDER BY s.nspname)
	  FROM role_creatable_schemas s
	 GROUP BY s.rolname

	UNION ALL
	SELECT 'medium', 'login_role_can_create_temp', 'role', quote_ident(r.rolname),
		   'Role can log in, is inside the rules and may create temporary objects, which outlive a request on a pooled connection (tenant_guard refuses to set a tenant while they exist, rule 2).',
		   format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, %I;', current_database(), r.rolname)
	  FROM inside_login_roles r
	 WHERE has_database_privilege(r.oid, current_database(), 'TEMPORARY')

	UNION ALL
	SELECT CASE WHEN o.kind IN ('rule', 'trigger') THEN 'medium' ELSE 'high' END,
		   'owner_code_on_table', o.kind,
		   CASE WHEN o.kind = 'partition key' THEN o.name
				ELSE format('%I ON %s', o.object, o.name) END,
		   CASE WHEN o.kind = 'rule'
				THEN 'Rule runs on every write of every tenant and can copy the rows anywhere.'
				WHEN o.kind = 'trigger'
				THEN format('Trigger runs function %s, which is not built in, on every write of every tenant.', o.func::regprocedure)
				WHEN o.kind = 'partition key'
				THEN format('The partition key runs function %s, which is not built in, over every row of a table attached as a partition, without row-level security, and on every row written.',
							o.func::regprocedure)
				WHEN o.kind = 'column'
				THEN format('The column''s type runs function %s, owned by a role inside the rules, over every tenant''s rows whenever ANALYZE (autovacuum''s too) or an index build reads the column, without row-level security.',
							o.func::regprocedure)
				ELSE format('The %s runs function %s, which is not built in, over every tenant''s rows whenever DDL validates or rebuilds it, without row-level security.',
							o.kind, o.func::regprocedure)
		   END,
		   CASE o.kind
				WHEN 'rule' THEN format('DROP RULE %I ON %s;', o.object, o.name)
				WHEN 'trigger' THEN format('-- review function %s; DROP TRIGGER %I ON %s; if it should not be there', o.func::regprocedure, o.object, o.name)
				WHEN 'constraint' THEN format('ALTER TABLE %s DROP CONSTRAINT %I; -- or use built-in functions only', o.name, o.object)
				WHEN 'index' THEN format('DROP INDEX %s; -- or use built-in functions only', o.ref)
				WHEN 'statistics' THEN format('DROP STATISTICS %s; -- or use built-in functions only', o.ref)
				WHEN 'partition key' THEN format('ALTER FUNCTION %s OWNER TO a_role_outside_the_rules; -- after reviewing it; a partition key cannot be changed',
												 o.func::regprocedure)
				WHEN 'column' THEN format('ALTER FUNCTION %s OWNER TO a_role_outside_the_rules; -- after reviewing it, or change the type of column %I of %s',
										  o.func::regprocedure, o.object, o.name)
				ELSE format('ALTER TABLE %s ALTER COLUMN %I DROP EXPRESSION; -- or use built-in functions only', o.name, o.object)
		   END
	  FROM owner_code o

	UNION ALL
	SELECT 'medium', 'owner_cast', 'cast',
		   format('%s AS %s', c.castsource::regtype, c.casttarget::regtype),
		   format('Cast runs function %s, owned by role %I, which is inside the rules: PostgreSQL calls casts where no statement names them (the || operator with text, quote_literal(), to_json(), foreign key checks), also in DDL that reads every tenant''s rows without row-level security.',
				  c.castfunc::regprocedure, o.rolname),
		   format('ALTER FUNCTION %s OWNER TO a_role_outside_the_rules; -- after reviewing it, or: DROP CAST (%s AS %s);',
				  c.castfunc::regprocedure, c.castsource::regtype, c.casttarget::regtype)
	  FROM pg_cast c
	  JOIN pg_proc f ON f.oid = c.castfunc
	  JOIN pg_roles o ON o.oid = f.proowner
	 WHERE c.oid >= 16384 AND f.oid >= 16384
	   AND NOT o.rolsuper AND NOT o.rolbypassrls
	   AND NOT EXISTS (SELECT FROM pg_depend d
						WHERE d.classid = 'pg_cast'::regclass
						  AND d.objid = c.oid AND d.deptype = 'e')

	UNION ALL
	SELECT 'medium', 'referential_action_without_tenant', 'constraint',
		   format('%I ON %s', con.conname, ct.name),
		   format('The foreign key''s ON UPDATE or ON DELETE action changes the rows of every tenant that reference a changed key of %s, which is not protected, without row-level security: tenant_guard refuses it to sessions inside the rules when rows of another tenant hold the key.',
				  con.confrelid::regclass),
		   format('-- carry the tenant column in foreign key %I (FOREIGN KEY (%I, ...) REFERENCES %s (its tenant column, ...)), or change the keys of %s as a role outside the rules',
				  con.conname, ct.tenant_column, con.confrelid::regclass, con.confrelid::regclass)
	  FROM pg_constraint con
	  JOIN tenant_tables ct ON ct.oid = con.conrelid
	 WHERE con.contype = 'f' AND con.conparentid = 0 AND ct.relrowsecurity
	   AND (con.confupdtype IN ('c', 'n', 'd') OR con.confdeltype IN ('c', 'n', 'd'))
	   AND NOT ct.tenant_attnum = ANY (con.conkey)
	   -- a protected table's policies keep the changed key the tenant's own
	   AND NOT EXISTS (SELECT FROM @extschema@.registry r
						 JOIN pg_class pc ON pc.oid = r.relation
						WHERE r.relation = con.confrelid
						  AND pc.relforcerowsecurity)

	UNION ALL
	SELECT 'medium', 'rls_without_policy', 'table', t.name,
		   'Row-level security is enabled but the table has no policy, so it denies every row to every role inside the rules.',
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t
	 WHERE t.relrowsecurity
	   AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = t.oid)

	UNION ALL
	SELECT CASE WHEN citus.installed THEN 'critical' ELSE 'medium' END,
		   'baseline_policy_changed', 'table', t.name,
		   CASE WHEN citus.installed
				THEN 'Table is protected, but its policy tenant_guard_baseline does not enforce the tenant: Citus copies policies to the shards as permissive ones, so on the shards it lets every tenant''s rows through.'
				ELSE 'Table is protected, but its policy tenant_guard_baseline was dropped or changed, so the table denies rows it should allow.'
		   END,
		   format('SELECT tenant_guard.protect(%L, %L);', t.name, t.tenant_column)
	  FROM tenant_tables t,
		   LATERAL (SELECT EXISTS (SELECT FROM pg_extension
									WHERE extname = 'citus') AS installed) citus
	 WHERE t.protected
	   AND NOT EXISTS (SELECT FROM pg_policy p
						WHERE p.polrelid = t.oid
						  AND p.polname = 'tenant_guard_baseline'
						  AND p.polpermissive AND p.polcmd = '*'
						  AND p.polroles = '{0}'
						  -- pg_get_expr() with the table would lock it, and
						  -- wait behind a migration: deparse without it
						  -- (only an expression without columns can be true)
						  -- or the tenant condition itself, which protect()
						  -- makes where Citus is installed (the shards get
						  -- both policies as permissive ones, and a baseline
						  -- of true there would let every tenant's rows in)
						  AND CASE WHEN @extschema@.policy_enforces_tenant(p.oid, t.tenant_column)
								   THEN true
								   WHEN citus.installed
									 OR p.polqual::text LIKE '%{VAR %'
									 OR p.polwithcheck::text LIKE '%{VAR %'
								   THEN false
								   ELSE pg_get_expr(p.polqual, 0) = 'true'
									AND pg_get_expr(p.polwithcheck, 0) = 'true'
							  END)

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

	UNION ALL
	-- on a Citus coordinator, the shards on every node (shard_audit.sql)
	SELECT s.severity, s.finding, s.object_type, s.object_name, s.detail, s.fix
	  FROM @extschema@.shard_findings() s
)
SELECT f.severity, f.finding, f.object_type, f.object_name, f.detail, f.fix
  FROM findings f
 ORDER BY CASE f.severity WHEN 'critical' THEN 1 WHEN 'high' THEN 2
						  WHEN 'medium' THEN 3 ELSE 4 END,
		  f.finding, f.object_name, f.detail
$audit$;

COMMENT ON FUNCTION @extschema@.audit(name) IS
'tenant isolation problems in this database: one row per finding with its severity, the object, what is wrong and the SQL that fixes it';

GRANT EXECUTE ON FUNCTION @extschema@.audit(name) TO PUBLIC;

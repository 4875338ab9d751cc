--
-- protected_tables: the registry with the state of each table.
-- isolation_intact: the table's own isolation is intact (isolation_intact(),
-- as the drift guard judges it), and no partition or inheritance parent lets
-- every tenant's rows through.
--
CREATE OR REPLACE VIEW @extschema@.protected_tables AS
WITH RECURSIVE up(child, relid) AS (
	-- every partition or inheritance parent, at any depth, computed once
	SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i
	UNION
	SELECT up.child, i.inhparent FROM pg_catalog.pg_inherits i
	  JOIN up ON i.inhrelid OPERATOR(pg_catalog.=) up.relid
),
open_parent AS (
	-- protected tables with an ancestor that lets every tenant's rows
	-- through: row-level security enabled and forced, but neither a
	-- restrictive policy for everyone nor every permissive policy enforces
	-- the tenant (drift_guard.c)
	SELECT r.relation
	  FROM @extschema@.registry r
	  JOIN up ON up.child OPERATOR(pg_catalog.=) r.relation
	  JOIN pg_catalog.pg_class ac ON ac.oid OPERATOR(pg_catalog.=) up.relid
	 WHERE ac.relrowsecurity AND ac.relforcerowsecurity
	   AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p
					    WHERE p.polrelid OPERATOR(pg_catalog.=) ac.oid AND NOT p.polpermissive
						  AND p.polcmd OPERATOR(pg_catalog.=) '*'
						  AND p.polroles OPERATOR(pg_catalog.=) '{0}'
						  AND @extschema@.policy_enforces_tenant(p.oid, r.tenant_column))
	   AND EXISTS (SELECT FROM pg_catalog.pg_policy p
					WHERE p.polrelid OPERATOR(pg_catalog.=) ac.oid AND p.polpermissive
					  AND NOT coalesce(@extschema@.policy_enforces_tenant(p.oid, r.tenant_column), false))
)
SELECT r.relation,
	   n.nspname AS schema_name,
	   c.relname AS table_name,
	   r.tenant_column,
	   pg_catalog.format_type(a.atttypid, a.atttypmod) AS tenant_type,
	   r.partition_of,
	   c.relrowsecurity AS rls_enabled,
	   c.relforcerowsecurity AS rls_forced,
	   @extschema@.isolation_intact(r.relation)
	   AND NOT r.relation OPERATOR(pg_catalog.=) ANY (SELECT relation FROM open_parent)
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

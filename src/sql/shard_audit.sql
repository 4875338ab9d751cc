--
-- shard_state() and shard_findings(): audit() on a Citus coordinator also
-- reports the shards of protected tables on every node (README, "Scaling
-- out with Citus").  shard_findings() runs on the coordinator and asks
-- every placement's node, through Citus's master_run_on_worker(), for
-- shard_state() of the shard; neither names an object of Citus at create
-- time, so the extension installs where Citus is not.
--

-- shard_state(): what is wrong with a shard of a protected table, on the
-- node that holds it: '' if nothing.  tenant_default is the coordinator's
-- default of the tenant column, as pg_get_expr() writes it.
CREATE OR REPLACE FUNCTION @extschema@.shard_state(shard text, tenant_column name,
												 tenant_default text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $shard_state$
SELECT coalesce((
	SELECT concat_ws('; ',
		CASE WHEN NOT c.relrowsecurity THEN 'row-level security is disabled' END,
		CASE WHEN NOT c.relforcerowsecurity THEN 'row-level security is not forced' END,
		CASE WHEN a.attnum IS NULL THEN format('tenant column %I is missing', $2) END,
		-- Citus makes every policy of a shard permissive: each must
		-- enforce the tenant, and protect()'s two must be there
		(SELECT format('policy %s missing', string_agg(m.name, ' and policy ' ORDER BY m.name))
		   FROM unnest(ARRAY['tenant_guard_baseline', 'tenant_guard_isolation']) AS m(name)
		  WHERE NOT EXISTS (SELECT FROM pg_policy p
							 WHERE p.polrelid = c.oid AND p.polname = m.name)
		 HAVING count(*) > 0),
		(SELECT format('policy %s does not enforce the tenant for every command and role',
					   string_agg(quote_ident(p.polname), ', ' ORDER BY p.polname))
		   FROM pg_policy p
		  WHERE p.polrelid = c.oid
			AND (p.polpermissive OR p.polname IN ('tenant_guard_baseline', 'tenant_guard_isolation'))
			AND NOT (coalesce(@extschema@.policy_enforces_tenant(p.oid, $2), false)
					 AND (p.polcmd = '*' AND p.polroles = '{0}'
						  OR p.polname NOT IN ('tenant_guard_baseline', 'tenant_guard_isolation')))
		 HAVING count(*) > 0),
		CASE WHEN a.attnum IS NOT NULL AND pg_get_expr(d.adbin, 0) IS DISTINCT FROM $3
			 THEN format('the default of tenant column %I is %s, not %s', $2,
						 coalesce(pg_get_expr(d.adbin, 0), 'missing'), coalesce($3, 'none'))
		END)
	  FROM pg_class c
	  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2
							  AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	 -- the name rebuilt from its parts: to_regclass() of a malformed name
	 -- fails on PostgreSQL 15 and is NULL from 16 on
	 WHERE c.oid = (SELECT to_regclass(format('%I.%I', n[1], n[2]))
					  FROM parse_ident($1, false) AS n
					 WHERE cardinality(n) = 2)), 'the shard does not exist')
$shard_state$;

COMMENT ON FUNCTION @extschema@.shard_state(text, name, text) IS
'what is wrong with a shard of a protected Citus table on this node: row-level security, policies, tenant default; empty if nothing';

GRANT EXECUTE ON FUNCTION @extschema@.shard_state(text, name, text) TO PUBLIC;

-- shard_findings(): audit()'s findings about the shards of protected Citus
-- tables on every node; none where Citus is not installed or on a node
-- other than the coordinator.  A node that cannot be asked is a finding.
CREATE OR REPLACE FUNCTION @extschema@.shard_findings()
RETURNS TABLE (severity text, finding text, object_type text,
			   object_name text, detail text, fix text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $shard_findings$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RETURN;
	END IF;
	-- Citus's objects are named only in statements run here, where it is
	RETURN QUERY EXECUTE $findings$
	WITH placements AS (
		SELECT r.tenant_column, r.relation::regclass::text AS tbl, n.nodename,
			   n.nodeport, s.shardid,
			   shard_name(s.logicalrelid, s.shardid, false) AS shard,
			   (SELECT pg_get_expr(d.adbin, 0)
				  FROM pg_attribute a
				  JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
				 WHERE a.attrelid = r.relation AND a.attname = r.tenant_column) AS tenant_default,
			   row_number() OVER (ORDER BY s.shardid, n.nodename, n.nodeport) AS i
		  FROM @extschema@.registry r
		  JOIN pg_dist_shard s ON s.logicalrelid = r.relation
		  JOIN pg_dist_placement p ON p.shardid = s.shardid
		  JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
		 WHERE (SELECT groupid FROM pg_dist_local_group) = 0
	),
	answers AS (
		SELECT w.*
		  FROM master_run_on_worker(
				ARRAY(SELECT nodename FROM placements ORDER BY i),
				ARRAY(SELECT nodeport FROM placements ORDER BY i),
				ARRAY(SELECT format('SELECT @extschema@.shard_state(%L, %L, %L)',
									shard, tenant_column, tenant_default)
						FROM placements ORDER BY i),
				true) WITH ORDINALITY AS w(node_name, node_port, success, result, i)
		 WHERE EXISTS (SELECT FROM placements)
	)
	SELECT CASE WHEN a.success THEN 'critical' ELSE 'high' END,
		   CASE WHEN a.success THEN 'shard_protection_changed' ELSE 'shard_not_checked' END,
		   'shard',
		   format('%s on %s:%s', p.shard, p.nodename, p.nodeport),
		   CASE WHEN a.success
				THEN format('Shard %s of protected table %s on node %s:%s: %s.  Citus sends every query of the table on this shard to it, where its own policies decide what a tenant sees.',
							p.shard, p.tbl, p.nodename, p.nodeport, a.result)
				ELSE format('Shard %s of protected table %s on node %s:%s could not be checked: %s',
							p.shard, p.tbl, p.nodename, p.nodeport, a.result)
		   END,
		   CASE WHEN a.success
				THEN format('-- recreate the shard from the coordinator''s table: SELECT citus_move_shard_placement(%s, %L, %s, ''other_node'', other_port); or repair it on %s:%s as a superuser with SET LOCAL tenant_guard.mode = off',
							p.shardid, p.nodename, p.nodeport, p.nodename, p.nodeport)
				ELSE format('-- make node %s:%s reachable and run audit() again', p.nodename, p.nodeport)
		   END
	  FROM placements p
	  JOIN answers a ON a.i = p.i
	 WHERE NOT a.success OR a.result <> ''
	$findings$;
END
$shard_findings$;

COMMENT ON FUNCTION @extschema@.shard_findings() IS
'audit()''s findings about the shards of protected tables on the nodes of a Citus cluster, on its coordinator';

GRANT EXECUTE ON FUNCTION @extschema@.shard_findings() TO PUBLIC;

--
-- Per-tenant statistics and the violations of the rules, kept in shared
-- memory by the preloaded library (tenant_stats.c, violations.c).  The
-- functions fail with a clear error when the library is not in
-- shared_preload_libraries.  Who sees what is decided in C: members of
-- pg_read_all_stats (and superusers) every row; any other role its
-- transaction's current tenant only, and its own violations under that
-- tenant, without their sample statements.
--
CREATE OR REPLACE FUNCTION @extschema@.tenant_stats(
	OUT dbid oid,
	OUT tenant text,
	OUT transactions bigint,
	OUT statements bigint,
	OUT rows_returned bigint,
	OUT rows_written bigint,
	OUT total_time double precision,
	OUT refusals_rule1 bigint,
	OUT refusals_rule2 bigint,
	OUT refusals_rule3 bigint,
	OUT refusals_rule4 bigint,
	OUT refusals_rule5 bigint,
	OUT refusals_rule6 bigint,
	OUT refusals_drift bigint,
	OUT first_activity timestamp with time zone,
	OUT last_activity timestamp with time zone)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tenant_guard_tenant_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.tenant_stats() IS
'per-tenant statistics of each database since the last reset; the view tenant_stats adds names';

CREATE OR REPLACE VIEW @extschema@.tenant_stats AS
SELECT s.dbid,
	   d.datname,
	   s.tenant,
	   s.transactions,
	   s.statements,
	   s.rows_returned,
	   s.rows_written,
	   s.total_time,
	   s.total_time OPERATOR(pg_catalog./)
		   NULLIF(s.transactions, 0)::double precision AS mean_time,
	   s.refusals_rule1,
	   s.refusals_rule2,
	   s.refusals_rule3,
	   s.refusals_rule4,
	   s.refusals_rule5,
	   s.refusals_rule6,
	   s.refusals_drift,
	   s.first_activity,
	   s.last_activity
  FROM @extschema@.tenant_stats() s
  LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid;

COMMENT ON VIEW @extschema@.tenant_stats IS
'one row per database and tenant: transactions, top-level statements, rows, transaction time in milliseconds, refusals by rule';

CREATE OR REPLACE FUNCTION @extschema@.violations(
	OUT dbid oid,
	OUT userid oid,
	OUT tenant text,
	OUT rule text,
	OUT refusal text,
	OUT sqlstate text,
	OUT object text,
	OUT queryid bigint,
	OUT mode text,
	OUT occurrences bigint,
	OUT first_seen timestamp with time zone,
	OUT last_seen timestamp with time zone,
	OUT sample text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tenant_guard_violations'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.violations() IS
'each distinct violation of the rules since the last reset; the view violations adds names';

CREATE OR REPLACE VIEW @extschema@.violations AS
SELECT v.dbid,
	   d.datname,
	   v.userid,
	   pg_catalog.pg_get_userbyid(v.userid) AS role_name,
	   v.tenant,
	   v.rule,
	   v.refusal,
	   v.sqlstate,
	   v.object,
	   v.queryid,
	   v.mode,
	   v.occurrences,
	   v.first_seen,
	   v.last_seen,
	   v.sample
  FROM @extschema@.violations() v
  LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) v.dbid;

COMMENT ON VIEW @extschema@.violations IS
'one row per distinct violation (rule, refusal, SQLSTATE, role, tenant, table or setting, query id, mode), with counts, first and last seen, and a sample statement';

CREATE OR REPLACE FUNCTION @extschema@.stats_info(
	OUT tenants bigint,
	OUT tenant_evictions bigint,
	OUT violations bigint,
	OUT violation_evictions bigint,
	OUT max_tenants integer,
	OUT stats_reset timestamp with time zone)
RETURNS record
AS 'MODULE_PATHNAME', 'tenant_guard_stats_info'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.stats_info() IS
'tenants and violations kept and evicted, the bound tenant_guard.stats_max_tenants, and the last reset';

CREATE OR REPLACE FUNCTION @extschema@.stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'tenant_guard_stats_reset'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.stats_reset() IS
'forgets every tenant''s statistics and every violation; superusers and roles granted EXECUTE';

GRANT EXECUTE ON FUNCTION @extschema@.tenant_stats() TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.violations() TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.stats_info() TO PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.stats_reset() FROM PUBLIC;
GRANT SELECT ON @extschema@.tenant_stats TO PUBLIC;
GRANT SELECT ON @extschema@.violations TO PUBLIC;

--
-- status(): the guard as this session sees it.
--
CREATE OR REPLACE FUNCTION @extschema@.status(
	OUT version text,
	OUT active boolean,
	OUT preloaded boolean,
	OUT loaded_via text,
	OUT mode text,
	OUT tenant_setting text,
	OUT tenant text,
	OUT tenant_origin text,
	OUT exempt boolean,
	OUT signed boolean,
	OUT key_id text)
RETURNS record
AS 'MODULE_PATHNAME', 'tenant_guard_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.status() IS
'version, whether the guard is active and preloaded, its mode, the tenant setting, and the current tenant with where it came from, whether it is signed and by which key';

--
-- tenant(): the tenant of the current transaction, NULL without a valid
-- tenant context.  Meant for row-level security policies.  PARALLEL
-- RESTRICTED: a parallel worker cannot judge where the setting came from.
--
CREATE OR REPLACE FUNCTION @extschema@.tenant()
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_tenant'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.tenant() IS
'tenant of the current transaction: the tenant setting if it was set with SET LOCAL in this transaction, else NULL';

GRANT EXECUTE ON FUNCTION @extschema@.status() TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tenant() TO PUBLIC;

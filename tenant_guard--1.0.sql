/* tenant_guard--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION tenant_guard" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS 'tenant_guard: tenant isolation guard for row-level security';

--
-- status(): the guard as this session sees it.
--
CREATE FUNCTION @extschema@.status(
	OUT version text,
	OUT active boolean,
	OUT preloaded boolean,
	OUT loaded_via text,
	OUT mode text,
	OUT tenant_setting text,
	OUT tenant text,
	OUT tenant_origin text,
	OUT exempt boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'tenant_guard_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.status() IS
'version, whether the guard is active and preloaded, its mode, the tenant setting, and the current tenant with where it came from';

--
-- tenant(): the tenant of the current transaction, NULL without a valid
-- tenant context.  Meant for row-level security policies.  PARALLEL
-- RESTRICTED: a parallel worker cannot judge where the setting came from.
--
CREATE FUNCTION @extschema@.tenant()
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_tenant'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.tenant() IS
'tenant of the current transaction: the tenant setting if it was set with SET LOCAL in this transaction, else NULL';

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status() TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tenant() TO PUBLIC;

-- The guard works from hooks that only a preloaded library installs in every
-- session.  Creating the extension loads the library into this session only;
-- say so if that is all there is.
DO $$
BEGIN
	IF NOT (SELECT preloaded FROM @extschema@.status()) THEN
		RAISE WARNING 'tenant_guard is not preloaded, so it guards this session only'
			USING DETAIL = 'Sessions that do not load the library are not protected by its rules.',
				  HINT = 'Add tenant_guard to shared_preload_libraries in postgresql.conf and restart the server.';
	END IF;
END
$$;

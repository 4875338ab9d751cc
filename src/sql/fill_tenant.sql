--
-- fill_tenant(): the trigger protect() installs on each protected table
-- that holds rows, so that an INSERT sending an explicit NULL for the
-- tenant column (as ORMs do) gets the transaction's tenant, as the column
-- default would give it.  (The update from 1.1 added it to the tables
-- protected before; protect() called again adds it too.)
--
CREATE OR REPLACE FUNCTION @extschema@.fill_tenant()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tenant_guard_fill_tenant'
LANGUAGE C VOLATILE SECURITY INVOKER;

COMMENT ON FUNCTION @extschema@.fill_tenant() IS
'trigger installed by protect(): gives a row inserted with a NULL tenant column the transaction''s tenant';

GRANT EXECUTE ON FUNCTION @extschema@.fill_tenant() TO PUBLIC;

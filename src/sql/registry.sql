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

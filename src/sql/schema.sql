-- The extension's schema: everyone may look up its functions; what each
-- may do is granted with it.

COMMENT ON SCHEMA @extschema@ IS 'tenant_guard: tenant isolation guard for row-level security';
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

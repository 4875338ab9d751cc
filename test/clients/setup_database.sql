-- test/clients/setup_database.sql: one application database (created
-- with OWNER tg_owner), as an administrator prepares it: the extension, and
-- the application role's privileges on whatever the migrations create
-- (README: Migrations).
-- README: database
CREATE EXTENSION tenant_guard;
ALTER DEFAULT PRIVILEGES FOR ROLE tg_owner
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tg_app;
ALTER DEFAULT PRIVILEGES FOR ROLE tg_owner
    GRANT USAGE, SELECT ON SEQUENCES TO tg_app;
-- END README

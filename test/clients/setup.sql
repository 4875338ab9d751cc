-- test/clients/setup.sql: the roles of the client-library tests, as a
-- database administrator creates them once (README: Migrations).
-- README: roles
CREATE ROLE tg_owner NOLOGIN;                  -- owns the tables
CREATE ROLE tg_migrator LOGIN IN ROLE tg_owner; -- runs migrations as tg_owner
CREATE ROLE tg_app LOGIN;                      -- the application
-- END README

-- For data migrations that span tenants (backfill.sql).
-- README: backfill-role
CREATE ROLE tg_backfill NOLOGIN BYPASSRLS;     -- outside the rules
GRANT tg_backfill TO tg_migrator;
-- END README

-- test/clients/setup.sql: the roles of the client-library tests, as a
-- database administrator creates them once (README: Migrations).
-- README: roles
CREATE ROLE tg_owner NOLOGIN;                  -- owns the tables
CREATE ROLE tg_migrator LOGIN IN ROLE tg_owner; -- runs migrations as tg_owner
CREATE ROLE tg_app LOGIN;                      -- the application
-- END README

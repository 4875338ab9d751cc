-- test/clients/setup.sql: the roles of the client-library tests, as a
-- database administrator would create them once.
--   tg_owner     owns the tables; cannot log in, so no application session
--                can act as the owner (audit(): login_role_owns_table)
--   tg_migrator  the login migrations use; a member of tg_owner, it
--                connects with "-c role=tg_owner" to create tables as it
--   tg_app       the application's login: neither owner, superuser nor
--                BYPASSRLS
CREATE ROLE tg_owner NOLOGIN;
CREATE ROLE tg_migrator LOGIN IN ROLE tg_owner;
CREATE ROLE tg_app LOGIN;

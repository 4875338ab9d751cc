--
-- Rule 5: no cursor outlives a transaction that read a table with
-- row-level security.  A cursor kept past COMMIT (WITH HOLD, or the FOR
-- loop of a procedure that commits) keeps rows computed in the transaction,
-- and they may carry what it read at any nesting level: in a function whose
-- own loop reads the table, while planning, or into a temporary table or a
-- setting that the cursor reads.  The application role here has
-- PostgreSQL's default privileges and SELECT on the tables.
--
CREATE ROLE regress_tg_hc_app;
CREATE TABLE hc_orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
INSERT INTO hc_orders VALUES (1, 1, 'apple'), (2, 1, 'pear'), (3, 2, 'SECRET-2');
ALTER TABLE hc_orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY hc_orders_tenant ON hc_orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
CREATE TABLE hc_colours (name text);
INSERT INTO hc_colours VALUES ('red'), ('green');
GRANT SELECT ON hc_orders, hc_colours TO regress_tg_hc_app;

-- A function whose FOR loop reads the table: the loop runs under a portal
-- of its own, not the cursor's.
CREATE FUNCTION hc_loop_items() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT item FROM hc_orders ORDER BY id LOOP
    RETURN NEXT r.item;
  END LOOP;
END$$;
-- The same with an explicit cursor, opened and fetched.
CREATE FUNCTION hc_cursor_items() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE c CURSOR FOR SELECT item FROM hc_orders ORDER BY id; t text;
BEGIN
  OPEN c;
  LOOP
    FETCH c INTO t;
    EXIT WHEN NOT FOUND;
    RETURN NEXT t;
  END LOOP;
  CLOSE c;
END$$;
-- A function wrongly marked IMMUTABLE: planning evaluates it.
CREATE FUNCTION hc_folded_items() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE t text;
BEGIN
  FOR t IN SELECT string_agg(item, ',' ORDER BY id) FROM hc_orders LOOP
    RETURN t;
  END LOOP;
END$$;
-- A volatile function reading a temporary table at the time it runs.
CREATE FUNCTION hc_scratch_items() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'SELECT item FROM pg_temp.hc_scratch';
END$$;

SET ROLE regress_tg_hc_app;

-- WITH HOLD over a function that loops over the table, committed before any
-- FETCH: refused when COMMIT keeps the cursor.
BEGIN;
SET LOCAL app.current_tenant = '1';
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_loop_items();
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- The same after a FETCH in the transaction: the rows fetched there are
-- the transaction's; the rest is not kept.
BEGIN;
SET LOCAL app.current_tenant = '1';
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_loop_items();
FETCH 1 FROM held;
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- An explicit cursor in the function, likewise.
BEGIN;
SET LOCAL app.current_tenant = '1';
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_cursor_items();
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- Rows copied into a temporary table that vanishes at COMMIT, read by the
-- cursor itself or through a function.
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE hc_scratch ON COMMIT DROP AS SELECT item FROM hc_orders;
DECLARE held CURSOR WITH HOLD FOR SELECT item FROM hc_scratch;
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE hc_scratch (item text) ON COMMIT DROP;
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_scratch_items();
INSERT INTO hc_scratch SELECT item FROM hc_orders;
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- A transaction-local setting that carries the rows.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT set_config('hc.loot', string_agg(item, ','), true) IS NOT NULL AS copied FROM hc_orders;
DECLARE held CURSOR WITH HOLD FOR SELECT current_setting('hc.loot');
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- An immutable function folded into the plan while planning the cursor.
BEGIN;
SET LOCAL app.current_tenant = '1';
DECLARE held CURSOR WITH HOLD FOR SELECT hc_folded_items();
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- A read in a savepoint rolled back still counts: its results may live on.
BEGIN;
SET LOCAL app.current_tenant = '1';
SAVEPOINT s;
SELECT count(*) FROM hc_orders;
ROLLBACK TO SAVEPOINT s;
DECLARE held CURSOR WITH HOLD FOR SELECT name FROM hc_colours;
COMMIT;
FETCH ALL FROM held;
CLOSE ALL;

-- A cursor declared WITH HOLD from a DO block through dynamic SQL.
DO $$
BEGIN
  PERFORM set_config('app.current_tenant', '1', true);
  EXECUTE 'DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_loop_items()';
END$$;
FETCH ALL FROM held;
CLOSE ALL;

-- A WITH HOLD cursor in a transaction that read no table with row-level
-- security is kept: the earlier transactions' reads do not count.
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT name FROM hc_colours ORDER BY name;
COMMIT;
FETCH ALL FROM held;
CLOSE held;
RESET ROLE;

-- A procedure's FOR loop over a function that reads the table, committing
-- inside the loop: PostgreSQL keeps the loop's portal past each COMMIT.
CREATE PROCEDURE hc_walk_items() LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
  PERFORM set_config('app.current_tenant', '1', true);
  FOR t IN SELECT * FROM hc_loop_items() LOOP
    COMMIT;
    RAISE NOTICE 'item %, tenant "%"', t, current_setting('app.current_tenant');
  END LOOP;
END$$;
-- A loop over a table without row-level security whose body reads one and
-- commits: the loop's portal is kept by a transaction that read the table.
CREATE PROCEDURE hc_walk_colours() LANGUAGE plpgsql AS $$
DECLARE c text; n bigint;
BEGIN
  FOR c IN SELECT name FROM hc_colours ORDER BY name LOOP
    PERFORM set_config('app.current_tenant', '1', true);
    SELECT count(*) INTO n FROM hc_orders;
    COMMIT;
    RAISE NOTICE 'colour %: % orders', c, n;
  END LOOP;
END$$;
-- The same loop, reading nothing with row-level security, commits freely.
CREATE PROCEDURE hc_walk_colours_only() LANGUAGE plpgsql AS $$
DECLARE c text;
BEGIN
  FOR c IN SELECT name FROM hc_colours ORDER BY name LOOP
    COMMIT;
    RAISE NOTICE 'colour %', c;
  END LOOP;
END$$;
-- A refcursor opened in a procedure does not survive its COMMIT (PostgreSQL
-- closes it), nor does one returned by a function survive the transaction.
CREATE PROCEDURE hc_fetch_after_commit() LANGUAGE plpgsql AS $$
DECLARE c refcursor := 'hc_ref'; t text;
BEGIN
  PERFORM set_config('app.current_tenant', '1', true);
  OPEN c FOR SELECT item FROM hc_orders ORDER BY id;
  COMMIT;
  FETCH c INTO t;
  RAISE NOTICE 'fetched %', t;
END$$;
CREATE FUNCTION hc_open_items() RETURNS refcursor LANGUAGE plpgsql AS $$
DECLARE c refcursor := 'hc_ret';
BEGIN
  OPEN c FOR SELECT item FROM hc_orders ORDER BY id;
  RETURN c;
END$$;
SET ROLE regress_tg_hc_app;
CALL hc_walk_items();
CALL hc_walk_colours();
CALL hc_walk_colours_only();
CALL hc_fetch_after_commit();
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT hc_open_items();
FETCH 1 FROM hc_ret;
COMMIT;
FETCH ALL FROM hc_ret;
RESET ROLE;

-- Roles outside the rules are not guarded.
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM hc_loop_items();
COMMIT;
FETCH ALL FROM held;
CLOSE held;

DROP PROCEDURE hc_walk_items(), hc_walk_colours(), hc_walk_colours_only(),
  hc_fetch_after_commit();
DROP FUNCTION hc_loop_items(), hc_cursor_items(), hc_folded_items(),
  hc_scratch_items(), hc_open_items();
DROP TABLE hc_orders, hc_colours;
DROP ROLE regress_tg_hc_app;

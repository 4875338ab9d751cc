--
-- Rule 6 through types: the table owner, a role inside the rules, may not
-- make DDL run its own code over every tenant's rows by way of a domain
-- inside an array, range, multirange or composite type, nor through the
-- support functions of a type or an operator class (a range's
-- subtype_diff, which ANALYZE calls; an index's comparison function).
-- leak() shows each row it is given: a NOTICE in this output is a leak.
--
CREATE ROLE regress_tg_owner;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text,
                     amount int);
SELECT tenant_guard.protect('orders');
CREATE FUNCTION leak(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', v; RETURN v; END$$;
CREATE DOMAIN loud AS text CHECK (leak(VALUE) IS NOT NULL);
-- a volatile built-in function carries values elsewhere
CREATE DOMAIN noisy AS text CHECK (set_config('loot.item', VALUE, false) <> '');
CREATE DOMAIN louder AS loud;
CREATE TYPE wrap AS (v loud);
CREATE TYPE wraps AS (v loud[]);
CREATE TYPE loudrange AS RANGE (subtype = loud);
RESET ROLE;
INSERT INTO orders VALUES (1, 1, 'apple', 10), (2, 2, 'pear', 20);
SET ROLE regress_tg_owner;

-- (a) a domain inside a container type, in a check constraint ...
ALTER TABLE orders ADD CONSTRAINT c1 CHECK (ARRAY[item]::loud[] IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c2 CHECK (('{' || item || '}')::loud[] IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c3 CHECK (ROW(item)::wrap IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c4 CHECK (('(' || item || ')')::wrap IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c5
  CHECK (('[' || item || ',' || item || ']')::loudrange IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c6
  CHECK (('{[' || item || ',' || item || ']}')::loudmultirange IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c7 CHECK (('{' || item || '}')::noisy[] IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c8 CHECK (('{' || item || '}')::louder[] IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c9
  CHECK (('("{' || item || '}")')::wraps IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c10
  CHECK (jsonb_populate_record(NULL::wrap, jsonb_build_object('v', item)) IS NOT NULL);
-- the input functions of arrays, records, ranges and domains, called
-- directly, convert to the type they are given
ALTER TABLE orders ADD CONSTRAINT c11
  CHECK (domain_in(item::cstring, 'loud'::regtype, -1) IS NOT NULL);
ALTER TABLE orders ADD CONSTRAINT c12
  CHECK (array_in(('{' || item || '}')::cstring, 'loud'::regtype, -1) IS NOT NULL);
-- JSON_VALUE() ... RETURNING converts without a cast node (PostgreSQL 17
-- and later; earlier releases have no JSON_VALUE() and print the same)
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 170000 THEN
    BEGIN
      EXECUTE $q$ALTER TABLE orders ADD CONSTRAINT c13
        CHECK (JSON_VALUE(to_jsonb(item), '$' RETURNING loud) IS NOT NULL)$q$;
      RAISE NOTICE 'JSON_VALUE() RETURNING a domain: not refused';
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'JSON_VALUE() RETURNING a domain: refused';
    END;
  ELSE
    RAISE NOTICE 'JSON_VALUE() RETURNING a domain: refused';
  END IF;
END$$;
-- ... an index ...
CREATE INDEX orders_leak ON orders ((ARRAY[item]::loud[]));
CREATE INDEX orders_leak2 ON orders (id) WHERE ROW(item)::wrap IS NOT NULL;
-- ... a generated column ...
ALTER TABLE orders ADD COLUMN copy text
  GENERATED ALWAYS AS ((ARRAY[item]::loud[])[1]) STORED;
-- ... statistics ...
CREATE STATISTICS orders_stats ON (('{' || item || '}')::loud[]) FROM orders;
-- ... a new column type, or ALTER COLUMN ... TYPE ... USING ...
ALTER TABLE orders ALTER COLUMN item TYPE loud[] USING ARRAY[item];
ALTER TABLE orders ALTER COLUMN item TYPE wrap USING ROW(item);
ALTER TABLE orders ALTER COLUMN item TYPE text USING (('{' || item || '}')::loud[])[1];
-- what a superuser made, the owner may not run again
RESET ROLE;
CREATE INDEX orders_loud ON orders ((ARRAY[item]::loud[]));
SET ROLE regress_tg_owner;
REINDEX INDEX orders_loud;
CREATE OR REPLACE FUNCTION leak(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', v; RETURN v; END$$;
RESET ROLE;
DROP INDEX orders_loud;
SET ROLE regress_tg_owner;
-- ... or a column whose domain check is validated later
CREATE DOMAIN later AS text;
ALTER DOMAIN later ADD CONSTRAINT leaks CHECK (length(leak(VALUE)) >= 0) NOT VALID;
ALTER TABLE orders ADD COLUMN tag later;
RESET ROLE;
UPDATE orders SET tag = id;
SET ROLE regress_tg_owner;
ALTER DOMAIN later VALIDATE CONSTRAINT leaks;
-- or an index that converts to a domain that gets a check later
CREATE DOMAIN quiet AS text;
CREATE INDEX orders_quiet ON orders ((ARRAY[item]::quiet[]));
ALTER DOMAIN quiet ADD CONSTRAINT loud CHECK (leak(VALUE) IS NOT NULL);
-- ... or a policy, restrictive or permissive
CREATE POLICY spy1 ON orders AS RESTRICTIVE
  USING (('{' || item || '}')::loud[] IS NOT NULL);
CREATE POLICY spy2 ON orders USING (ROW(item)::wrap IS NOT NULL);
CREATE POLICY spy3 ON orders USING (item::loud IS NOT NULL);
CREATE POLICY spy4 ON orders
  USING (EXISTS (SELECT FROM jsonb_populate_recordset(NULL::wrap,
                                                      jsonb_build_array(jsonb_build_object('v', item)))));
CREATE POLICY spy5 ON orders
  USING (EXISTS (SELECT FROM jsonb_to_record(jsonb_build_object('v', item)) AS r(v loud)));
CREATE POLICY spy6 ON orders
  USING (EXISTS (SELECT FROM XMLTABLE('/a' PASSING xmlelement(name a, item)
                                      COLUMNS v loud PATH '.')));
-- a policy may still convert values that are not the row's
CREATE POLICY fine ON orders AS RESTRICTIVE
  USING (tenant_id IS NOT NULL AND ARRAY['x']::loud[] IS NOT NULL);
RESET ROLE;
SELECT polname FROM pg_policy WHERE polrelid = 'orders'::regclass ORDER BY 1;
DROP POLICY fine ON orders;
SET ROLE regress_tg_owner;

-- (b) a range's subtype_diff, which ANALYZE (and a GiST index build) calls
-- on every row of a column of the range type
CREATE FUNCTION spy_diff(a float8, b float8) RETURNS float8 LANGUAGE plpgsql
  IMMUTABLE AS $$BEGIN RAISE NOTICE 'diff % %', a, b; RETURN b - a; END$$;
CREATE TYPE spyrange AS RANGE (subtype = float8, subtype_diff = spy_diff);
CREATE TYPE spywrap AS (r spyrange);
ALTER TABLE orders ADD COLUMN span spyrange;
ALTER TABLE orders ADD COLUMN spans spyrange[];
ALTER TABLE orders ADD COLUMN spanw spywrap;
ALTER TABLE orders ALTER COLUMN amount TYPE spyrange
  USING ('[' || amount || ',' || amount + 1 || ')')::spyrange;
ALTER TABLE orders ALTER COLUMN amount TYPE spyrange USING NULL;
-- through a domain over it, or its multirange
CREATE DOMAIN spydomain AS spyrange;
ALTER TABLE orders ADD COLUMN spand spydomain;
ALTER TABLE orders ADD COLUMN spanm spymultirange;
-- a superuser may; the owner may not make PostgreSQL run it again
RESET ROLE;
ALTER TABLE orders DROP COLUMN IF EXISTS span, DROP COLUMN IF EXISTS spans,
  DROP COLUMN IF EXISTS spanw;
ALTER TABLE orders ADD COLUMN span spyrange;
UPDATE orders SET span = spyrange(id, id * 100);
SET ROLE regress_tg_owner;
ANALYZE orders;
VACUUM (ANALYZE) orders;
CREATE INDEX orders_span ON orders USING gist (span);
CREATE STATISTICS orders_stats ON span, id FROM orders;
CREATE OR REPLACE FUNCTION spy_diff(a float8, b float8) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'diff % %', a, b; RETURN b - a; END$$;
RESET ROLE;
ALTER TABLE orders DROP COLUMN span;

-- (b) an operator class a superuser made over the owner's function
SET ROLE regress_tg_owner;
CREATE FUNCTION spy_cmp(a int, b int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'cmp % %', a, b; RETURN btint4cmp(a, b); END$$;
RESET ROLE;
CREATE OPERATOR CLASS spy_ops FOR TYPE int USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
  FUNCTION 1 spy_cmp(int, int);
SET ROLE regress_tg_owner;
CREATE INDEX orders_spy ON orders (amount spy_ops);
RESET ROLE;
DROP INDEX IF EXISTS orders_spy;
CREATE INDEX orders_spy ON orders (amount spy_ops);
SET ROLE regress_tg_owner;
REINDEX INDEX orders_spy;
CLUSTER orders USING orders_spy;
CREATE OR REPLACE FUNCTION spy_cmp(a int, b int) RETURNS int LANGUAGE plpgsql
  IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'cmp % %', a, b; RETURN btint4cmp(a, b); END$$;
RESET ROLE;
DROP INDEX orders_spy;

-- (b) a default operator class a superuser made for a type that had none,
-- over the owner's function: ANALYZE sorts a column's values with it
SET ROLE regress_tg_owner;
CREATE FUNCTION spy_pcmp(a point, b point) RETURNS int LANGUAGE plpgsql
  IMMUTABLE AS $$BEGIN RAISE NOTICE 'pcmp % %', a, b;
  RETURN CASE WHEN a[0] < b[0] THEN -1 WHEN a[0] > b[0] THEN 1 ELSE 0 END; END$$;
RESET ROLE;
CREATE OPERATOR CLASS spy_point_ops DEFAULT FOR TYPE point USING btree AS
  OPERATOR 1 <<, OPERATOR 2 <^, OPERATOR 3 ~=, OPERATOR 4 >^, OPERATOR 5 >>,
  FUNCTION 1 spy_pcmp(point, point);
SET ROLE regress_tg_owner;
ALTER TABLE orders ADD COLUMN pt point;
RESET ROLE;
ALTER TABLE orders ADD COLUMN pt point;
UPDATE orders SET pt = point(id, id);
SET ROLE regress_tg_owner;
ANALYZE orders;
RESET ROLE;
ALTER TABLE orders DROP COLUMN pt;
DROP OPERATOR CLASS spy_point_ops USING btree;
DROP OPERATOR FAMILY spy_point_ops USING btree;

-- ordinary migrations still go through: built-in ranges, arrays and
-- composites of plain types, built-in operator classes
SET ROLE regress_tg_owner;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b positive);
ALTER TABLE orders ADD CONSTRAINT ok CHECK (ARRAY[amount]::positive[] IS NOT NULL);
ALTER TABLE orders ADD COLUMN tags text[];
ALTER TABLE orders ADD COLUMN period int4range;
ALTER TABLE orders ADD COLUMN p pair;
CREATE INDEX orders_period ON orders USING gist (period);
CREATE INDEX orders_tags ON orders USING gin (tags);
ALTER TABLE orders ADD COLUMN n int;
ALTER TABLE orders ALTER COLUMN n TYPE positive[] USING ARRAY[n];
ANALYZE orders;
REINDEX TABLE orders;
RESET ROLE;

-- audit() reports what a superuser made (or what was there before the
-- table had row-level security)
ALTER TABLE orders ADD COLUMN span spyrange;
CREATE INDEX orders_spy ON orders (id spy_ops);
CREATE INDEX orders_loud ON orders ((ARRAY[item]::loud[]));
SELECT severity, object_type, object_name, detail, fix FROM tenant_guard.audit()
 WHERE finding = 'owner_code_on_table' ORDER BY object_name;
-- nor may the owner run it again with statements that name no table
CREATE SCHEMA regress_tg_owned AUTHORIZATION regress_tg_owner;
ALTER TABLE orders SET SCHEMA regress_tg_owned;
CLUSTER regress_tg_owned.orders USING orders_spy;
SET ROLE regress_tg_owner;
ANALYZE;
VACUUM (ANALYZE);
REINDEX SCHEMA regress_tg_owned;
CLUSTER;
RESET ROLE;

DROP TABLE regress_tg_owned.orders CASCADE;
DROP SCHEMA regress_tg_owned;

--
-- Ways around found by an attack review of the above.
--
RESET ROLE;
CREATE TABLE orders2 (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
ALTER TABLE orders2 OWNER TO regress_tg_owner;
SET ROLE regress_tg_owner;
SELECT tenant_guard.protect('orders2');
RESET ROLE;
INSERT INTO orders2 VALUES (1, 1, 'apple'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
-- a cast the owner writes is called where no statement names it: the ||
-- operator with text, quote_literal(), to_json(), foreign key checks
CREATE FUNCTION row_text(o orders2) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', o; RETURN 'x'; END$$;
CREATE CAST (orders2 AS text) WITH FUNCTION row_text(orders2);
-- PostgreSQL's own refusal comes first
CREATE CAST (text AS int8) WITH FUNCTION leak(text);
CREATE TYPE box2 AS (v text);
CREATE CAST (box2 AS text) WITH INOUT;
DROP CAST (box2 AS text);
-- a policy: an aggregate over the row, and the operator a simple CASE
-- gives the row's value to
CREATE FUNCTION leak_acc(s text, v text) RETURNS text LANGUAGE plpgsql
  IMMUTABLE AS $$BEGIN RAISE NOTICE 'row %', v; RETURN v; END$$;
CREATE AGGREGATE leakagg(text) (sfunc = leak_acc, stype = text);
CREATE POLICY p_agg ON orders2 AS RESTRICTIVE
  USING ((SELECT leakagg(x) FROM (SELECT orders2.item x) s) IS NOT NULL);
CREATE FUNCTION leak_eq(a text, b box2) RETURNS boolean LANGUAGE plpgsql
  IMMUTABLE AS $$BEGIN RAISE NOTICE 'row %', a; RETURN false; END$$;
CREATE OPERATOR = (LEFTARG = text, RIGHTARG = box2, FUNCTION = leak_eq);
CREATE POLICY p_case ON orders2 AS RESTRICTIVE
  USING (CASE item WHEN ROW('x')::box2 THEN false ELSE true END);
-- ATTACH PARTITION checks the partition constraint on every row, with the
-- parent's partition key
CREATE TABLE all_orders (id int, tenant_id int NOT NULL, item text)
  PARTITION BY RANGE (leak(item));
CREATE TABLE orders3 (id int, tenant_id int NOT NULL, item text);
RESET ROLE;
INSERT INTO orders3 VALUES (1, 1, 'apple'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
SELECT tenant_guard.protect('orders3');
ALTER TABLE all_orders ATTACH PARTITION orders3
  FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
-- ALTER TYPE ... ALTER ATTRIBUTE ... TYPE ... CASCADE rewrites the tables
-- of the type
CREATE TYPE orow AS (id int, tenant_id int, item text);
RESET ROLE;
CREATE TABLE orders4 OF orow (PRIMARY KEY (id));
ALTER TABLE orders4 OWNER TO regress_tg_owner;
INSERT INTO orders4 VALUES (1, 1, 'apple'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
SELECT tenant_guard.protect('orders4');
ALTER TYPE orow ALTER ATTRIBUTE item TYPE loud CASCADE;
-- a rewrite by ADD COLUMN with a default runs the existing indexes again,
-- as REINDEX would, and so does ANALYZE of a partitioned parent
RESET ROLE;
CREATE INDEX orders2_leak ON orders2 ((leak(item)));
SET ROLE regress_tg_owner;
ALTER TABLE orders2 ADD COLUMN z float8 DEFAULT random();
ALTER TABLE orders2 ADD COLUMN w int GENERATED ALWAYS AS IDENTITY;
RESET ROLE;
CREATE TABLE parted (id int, tenant_id int NOT NULL, item text)
  PARTITION BY LIST (tenant_id);
ALTER TABLE parted OWNER TO regress_tg_owner;
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1, 2);
ALTER TABLE parted_1 OWNER TO regress_tg_owner;
INSERT INTO parted VALUES (1, 1, 'apple'), (2, 2, 'pear');
ALTER TABLE parted_1 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY parted_1_tenant ON parted_1
  USING (tenant_id = tenant_guard.tenant()::int);
CREATE INDEX parted_1_leak ON parted_1 ((leak(item)));
SET ROLE regress_tg_owner;
ANALYZE parted;
REINDEX TABLE parted;
RESET ROLE;
-- an index made before the table had row-level security calls an operator
-- of the owner's: PostgreSQL records the operator, not its function, which
-- the owner may then neither replace nor have run again, and audit() sees
SET ROLE regress_tg_owner;
CREATE FUNCTION op_f(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS 'SELECT a = b';
CREATE OPERATOR ### (LEFTARG = text, RIGHTARG = text, FUNCTION = op_f);
CREATE TABLE orders5 (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
CREATE INDEX orders5_op ON orders5 ((item ### 'x'));
SELECT tenant_guard.protect('orders5');
RESET ROLE;
INSERT INTO orders5 VALUES (1, 1, 'apple'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
CREATE OR REPLACE FUNCTION op_f(a text, b text) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', a; RETURN a = b; END$$;
REINDEX TABLE orders5;
RESET ROLE;
SELECT object_type, object_name FROM tenant_guard.audit()
 WHERE finding = 'owner_code_on_table' AND object_name LIKE '%orders5%';
-- audit() reports a partition key and a cast that run a function of a
-- role inside the rules, made before the rules applied (here by a
-- superuser)
SET ROLE regress_tg_owner;
CREATE FUNCTION row_text5(o orders5) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', o; RETURN 'x'; END$$;
RESET ROLE;
CREATE CAST (orders5 AS text) WITH FUNCTION row_text5(orders5);
SELECT tenant_guard.protect('all_orders');
SELECT severity, finding, object_type, object_name, detail, fix
  FROM tenant_guard.audit()
 WHERE finding = 'owner_cast'
    OR (finding = 'owner_code_on_table' AND object_type = 'partition key')
 ORDER BY finding;
DROP CAST (orders5 AS text);
-- a superuser's function whose body names a function without its schema
-- runs whatever a role inside the rules put first in the search_path.
-- Up to PostgreSQL 16 REINDEX, ANALYZE and CLUSTER run it with the
-- session's search_path; from 17 with one of their own, but a rewriting
-- ALTER TABLE (shown here, on every version) still uses the session's.
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE
  AS 'SELECT lower(t)';
CREATE TABLE orders6 (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
CREATE INDEX orders6_norm ON orders6 (norm(item));
ALTER TABLE orders6 OWNER TO regress_tg_owner;
INSERT INTO orders6 VALUES (1, 1, 'apple'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
SELECT tenant_guard.protect('orders6');
CREATE FUNCTION public.lower(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', t; RETURN t; END$$;
BEGIN;
SET LOCAL search_path = public, pg_catalog;
ALTER TABLE orders6 ADD COLUMN z float8 DEFAULT random();
ROLLBACK;
ALTER TABLE orders6 ADD COLUMN z float8 DEFAULT random();	-- "$user", public
-- "$user" names the schema of the role the code runs as: index builds run
-- it as the table's owner, whose schema it is for a member role too
RESET ROLE;
CREATE ROLE regress_tg_migrator IN ROLE regress_tg_owner;
CREATE SCHEMA regress_tg_owner AUTHORIZATION regress_tg_owner;
SET ROLE regress_tg_migrator;
BEGIN;
SET LOCAL search_path = "$user", pg_catalog;
ALTER TABLE public.orders6 ADD COLUMN z float8 DEFAULT random();
ROLLBACK;
RESET ROLE;
DROP SCHEMA regress_tg_owner;
DROP ROLE regress_tg_migrator;
-- with a search_path of schemas the owner cannot create objects in, or a
-- function with its own, the code is the superuser's
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL search_path = pg_catalog, pg_temp;
ALTER TABLE public.orders6 ADD COLUMN z float8 DEFAULT random();
ROLLBACK;
RESET ROLE;
ALTER FUNCTION norm(text) SET search_path = pg_catalog;
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL search_path = public, pg_catalog;
ALTER TABLE orders6 ADD COLUMN z float8 DEFAULT random();
REINDEX TABLE orders6;
ROLLBACK;
RESET ROLE;
DROP TABLE orders6;
DROP FUNCTION norm(text), public.lower(text);
-- built-in conversions are allowed, but their errors quote the value they
-- failed on, another tenant's: the owner gets the error without it (the
-- server log keeps the message)
SET ROLE regress_tg_owner;
CREATE TABLE orders7 (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
SELECT tenant_guard.protect('orders7');
RESET ROLE;
INSERT INTO orders7 VALUES (1, 1, '10'), (2, 2, 'pear');
SET ROLE regress_tg_owner;
ALTER TABLE orders7 ADD CONSTRAINT c
  CHECK (CASE WHEN id = 2 THEN item::int ELSE 0 END = 0);
CREATE INDEX ON orders7 ((CASE WHEN id = 2 THEN item::int END));
ALTER TABLE orders7 ALTER COLUMN item TYPE int USING item::int;
CREATE TABLE orders7_2 (id int, tenant_id int NOT NULL, item text)
  PARTITION BY LIST ((item::int));
SELECT tenant_guard.protect('orders7_2');
ALTER TABLE orders7_2 ATTACH PARTITION orders7 FOR VALUES IN (10);
-- nor through REINDEX INDEX, an error class other than data exceptions,
-- or a table attached under a parent without row-level security
RESET ROLE;
CREATE FUNCTION as_int(t text) RETURNS int LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog AS 'SELECT 0';
CREATE INDEX orders7_item ON orders7 (as_int(item));
CREATE OR REPLACE FUNCTION as_int(t text) RETURNS int LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog AS 'SELECT t::int';
SET ROLE regress_tg_owner;
REINDEX INDEX orders7_item;
RESET ROLE;
DROP INDEX orders7_item;
DROP FUNCTION as_int(text);
SET ROLE regress_tg_owner;
ALTER TABLE orders7 ADD CONSTRAINT c3
  CHECK (CASE WHEN id = 2 THEN item::regclass IS NULL ELSE true END);
CREATE TABLE plain_parent (id int, tenant_id int NOT NULL, item text)
  PARTITION BY LIST ((item::int));
ALTER TABLE plain_parent ATTACH PARTITION orders7 FOR VALUES IN (10);
DROP TABLE plain_parent;
-- table_to_xml() and its kin are not volatile, but run the views a
-- relation name chosen by the row points at
ALTER TABLE orders7 ADD CONSTRAINT c4
  CHECK (table_to_xml('orders7', true, false, '') IS NOT NULL);
-- an undefined column is withheld too: has_column_privilege(t, item, ...)
-- reports the value as a column that does not exist
ALTER TABLE orders7 ADD CONSTRAINT c2 CHECK (no_such_column > 0);
CREATE INDEX ON orders7 (no_such_column);
-- a role outside the rules sees the message
RESET ROLE;
ALTER TABLE orders7 ALTER COLUMN item TYPE int USING item::int;
DROP TABLE orders7, orders7_2;
DROP TABLE parted, all_orders, orders2, orders3, orders4, orders5 CASCADE;
DROP TYPE orow, box2 CASCADE;
DROP OPERATOR CLASS spy_ops USING btree;
DROP OPERATOR FAMILY spy_ops USING btree;
DROP OWNED BY regress_tg_owner CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner;

# tenant_guard: an adversarial suite.  A malicious tenant with a valid login
# tries every way we could think of to read, write or infer another
# tenant's rows, or to run without a tenant context.
#
# Threat model.  The attacker is tenant 1.  It logs in as the application's
# role (regress_attacker: LOGIN, neither superuser nor BYPASSRLS, owner of no
# tenant table) with the grants such a role typically has: SELECT, INSERT,
# UPDATE and DELETE on every table and view of schema public (GRANT ... ON
# ALL TABLES), TRUNCATE on some (so that the guard, not a missing privilege,
# is what refuses it), the default TEMP privilege on the database, and
# CREATE on a schema of its own (attacker), so it can own tables, views and
# functions: an application role that runs migrations has DDL rights, and
# those are part of the threat.  It has no TRIGGER or REFERENCES privilege
# on the tenant tables and is a member of no other role.  It runs arbitrary
# SQL (injected, or its own), either inside a transaction the application
# has already pinned to tenant 1 (BEGIN; SET LOCAL app.current_tenant =
# '1'; then the attacker's statements), or outside any transaction with a
# tenant.  Tenant 2's rows all contain the marker SECRET-2, tenant 1's
# own-1.
#
# Every attack is a test that fails if the attack succeeds: it asserts the
# exact refusal (SQLSTATE and message) where the guard or PostgreSQL must
# refuse, or the exact rows of tenant 1 where the statement may run; in
# both cases that the marker SECRET-2 appears nowhere in what the attacker
# gets back (rows, notices, errors, DETAIL and CONTEXT lines), and that
# tenant 2's rows and the schema are unchanged afterwards (a superuser
# compares a digest of tenant 2's rows in every table, and of the tables and
# policies of schema public, before and after each attack).
#
# Covered:
#  - the core rules: no tenant; SET, SET SESSION, SET LOCAL of another
#    tenant, set_config(..., true/false), RESET, RESET ALL, DISCARD ALL,
#    SET ... TO DEFAULT, clearing then setting another, other spellings of
#    the setting's name and of the tenant value; savepoints, RELEASE and
#    ROLLBACK TO; PL/pgSQL exception blocks; functions with SET clauses;
#    tenant switches row by row in one statement; COMMIT inside DO or a
#    procedure (cannot escape the pinned transaction); configured tenants
#    (PGOPTIONS; ALTER ROLE ... SET by the attacker on itself, refused
#    for any setting);
#    tenant_guard.mode and tenant_guard.tenant_setting from every place a
#    role can set them; row_security = off; SET ROLE, SET SESSION
#    AUTHORIZATION, session_replication_role;
#  - reading: filters, leaky functions that RAISE their arguments, division
#    by zero oracles (RLS quals run first), LEAKPROOF (superuser only),
#    views and SECURITY DEFINER functions owned by the attacker, CTEs,
#    PL/pgSQL dynamic SQL and DO blocks, query_to_xml(), cursors (WITH HOLD,
#    through a function, FETCH after COMMIT), prepared statements whose
#    cached generic plan was made for another tenant or none, COPY TO,
#    EXPLAIN ANALYZE, EXPLAIN whose planning runs a function, CREATE TABLE
#    AS, SELECT INTO, materialized views, partitions and inheritance
#    children named directly, pg_stats, pg_stats_ext, pg_statistic;
#  - writing: INSERT, UPDATE ... SET tenant_id, RETURNING, DELETE
#    RETURNING, data-modifying CTEs, MERGE, INSERT ... ON CONFLICT,
#    through views, through partition routing, COPY FROM, TRUNCATE
#    (protected table, partition, unprotected partition and child, CASCADE,
#    without a tenant);
#  - what a careless DBA leaves behind: a view owned by a superuser without
#    security_invoker, SECURITY DEFINER functions owned by a superuser (one
#    reads, one writes), a partition without row-level security, an
#    inheritance child without row-level security: all refused, also when
#    reached from a trigger that a referential action fires;
#  - DDL by the attacker on objects it does not own: DISABLE/NO FORCE ROW
#    LEVEL SECURITY, DROP/CREATE POLICY, CREATE TRIGGER, CREATE RULE,
#    INHERITS, PARTITION OF, foreign keys to tenant tables, replacing or
#    adding functions in schema tenant_guard, writing its registry;
#  - SQL-injection-shaped arguments to every function the extension exposes
#    (protect, unprotect, audit, policy_enforces_tenant, isolation_intact,
#    status, tenant, and the tenant value they echo), names with quotes, semicolons, spaces,
#    unicode, very long names, NULL; protect()/unprotect() of tables the
#    attacker does not own; protect() of the attacker's own table with such
#    names, and audit()'s fix for such a table run by a superuser;
#  - session state a pooled connection hands to the next request: a
#    temporary view, and a session-level search_path, that put the
#    attacker's code in front of the next tenant's unqualified table name.
#    A transaction cannot set its tenant while the session holds either
#    (temporary objects; a session-level search_path from an earlier
#    transaction naming a schema the role can create objects in).
#
# PostgreSQL's own behaviour, asserted as it is and out of scope (the
# extension does not claim to stop it; what mitigates it is said where it
# is tested):
#  - key existence oracles.  A unique or primary key that does not lead with
#    the tenant column is checked across tenants: inserting another tenant's
#    key fails with unique_violation, INSERT ... ON CONFLICT DO UPDATE fails
#    and DO NOTHING inserts nothing, EXPLAIN ANALYZE of a key lookup shows
#    the row "removed by filter".  That is schema design: keys that lead
#    with the tenant column, e.g. PRIMARY KEY (tenant_id, id), leave nothing
#    to probe, as the tests show.  (On tables with row-level security
#    PostgreSQL leaves the key values out of these errors' DETAIL, which is
#    tested too: the errors say that a key exists, never what a row holds.)
#  - foreign keys.  PostgreSQL checks a foreign key as the referenced
#    table's owner without row-level security, and tenant_guard lets those
#    checks through, so a key without the tenant column tells whether
#    another tenant's key exists, and lets a row reference another tenant's
#    row.  audit() reports such a key (foreign_key_without_tenant); a
#    composite key (tenant_id, customer_id) makes the probe fail exactly as
#    for a key that does not exist;
#  - an exclusion constraint across tenants reveals that a conflicting row
#    exists (not its values);
#  - planner statistics.  pg_stats hides tables with row-level security
#    from non-owners and pg_statistic is superuser-only (tested), but
#    pg_class.reltuples is public and EXPLAIN, which needs no tenant, uses
#    the most common values of every tenant's rows in its row estimates
#    (through leakproof operators), which tells whether a value is common
#    in the table;
#  - pg_stat_activity shows every session of the same role its last query's
#    text: with a single application role, each tenant can read the
#    literals in the other tenants' queries.  Send values as bind
#    parameters;
#  - materialized views cannot have row-level security; one over a tenant
#    table stores every tenant's rows.  audit() reports it.
#
# Out of scope, not tested:
#  - the attacker choosing the first tenant of a transaction: whoever
#    controls the first SET LOCAL is the tenant as far as the database can
#    tell; authenticating it is the application's job.  That includes
#    injected SQL that ends the application's transaction (COMMIT; BEGIN;
#    SET LOCAL ...), which needs a multi-statement injection through the
#    simple query protocol;
#  - roles outside the rules (superusers, BYPASSRLS), and an attacker who
#    holds them, or TRIGGER, REFERENCES or ownership of tenant tables;
#  - code the attacker plants for later requests through persistent DDL in
#    places the application resolves names (a schema on its search_path,
#    functions or views it calls): with one role for all tenants, such code
#    runs in the victims' transactions as their own.  Give the application
#    role no CREATE, or a role per purpose.  The pooled-connection variants
#    of this (temporary objects, session search_path, and ALTER ROLE ... SET
#    search_path on the shared role) are tested below, and refused;
#  - timing side channels, large objects, logical decoding, files,
#    sequences shared by all tenants (nextval reveals others' insert rate),
#    table sizes (pg_relation_size, pg_stat_user_tables);
#  - a superuser's deliberate exemptions (ALTER FUNCTION ... SET
#    tenant_guard.mode = off);
#  - hand-written policies that audit() already reports as not enforcing
#    the tenant (policy_without_tenant), such as one that lets every row
#    through when the tenant is empty: clearing the tenant, which is always
#    allowed, in the middle of a statement or of an open cursor would widen
#    it.  protect()'s policy reads the tenant once per statement and fails
#    closed (tested).
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('adversarial');

my $superuser = $node->safe_psql('postgres', 'SELECT current_user');

my $T1U = '00000000-0000-0000-0000-000000000001';
my $T2U = '00000000-0000-0000-0000-000000000002';

$node->safe_psql(
	'postgres', qq{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_owner NOLOGIN;
	CREATE ROLE regress_attacker LOGIN;
	CREATE SCHEMA attacker AUTHORIZATION regress_attacker;

	-- integer, text and uuid tenant columns
	CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text NOT NULL);
	INSERT INTO orders VALUES (11, 1, 'own-1 a'), (12, 1, 'own-1 b'),
	  (21, 2, 'SECRET-2 a'), (22, 2, 'SECRET-2 b');
	SELECT tenant_guard.protect('orders');
	CREATE TABLE notes (id int PRIMARY KEY, tenant_id text NOT NULL, body text NOT NULL);
	INSERT INTO notes VALUES (11, '1', 'own-1'), (21, '2', 'SECRET-2');
	SELECT tenant_guard.protect('notes');
	CREATE TABLE docs (id int PRIMARY KEY, org uuid NOT NULL, body text NOT NULL);
	INSERT INTO docs VALUES (11, '$T1U', 'own-1'), (21, '$T2U', 'SECRET-2');
	SELECT tenant_guard.protect('docs', 'org');

	-- a protected partitioned table: both partitions hold both tenants
	CREATE TABLE events (id int NOT NULL, tenant_id int NOT NULL, item text NOT NULL)
	  PARTITION BY RANGE (id);
	CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (100);
	CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (100) TO (200);
	INSERT INTO events VALUES (11, 1, 'own-1'), (21, 2, 'SECRET-2'),
	  (111, 1, 'own-1'), (121, 2, 'SECRET-2');
	SELECT tenant_guard.protect('events');

	-- careless DBA: hand-written row-level security on a parent whose
	-- partitions have none
	CREATE TABLE legacy (id int NOT NULL, tenant_id int NOT NULL, item text NOT NULL)
	  PARTITION BY LIST (tenant_id);
	CREATE TABLE legacy_1 PARTITION OF legacy FOR VALUES IN (1);
	CREATE TABLE legacy_2 PARTITION OF legacy FOR VALUES IN (2);
	INSERT INTO legacy VALUES (11, 1, 'own-1'), (21, 2, 'SECRET-2');
	ALTER TABLE legacy ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
	CREATE POLICY legacy_tenant ON legacy
	  USING (tenant_id = (SELECT tenant_guard.tenant()::int));

	-- inheritance: a protected parent, a child nobody protected (careless
	-- DBA) and a protected child
	CREATE TABLE ledger (id int NOT NULL, tenant_id int NOT NULL, item text NOT NULL);
	SELECT tenant_guard.protect('ledger');
	CREATE TABLE ledger_old () INHERITS (ledger);
	CREATE TABLE ledger_new () INHERITS (ledger);
	SELECT tenant_guard.protect('ledger_new');
	INSERT INTO ledger_old VALUES (11, 1, 'own-1'), (21, 2, 'SECRET-2');
	INSERT INTO ledger_new VALUES (12, 1, 'own-1'), (22, 2, 'SECRET-2');

	-- foreign keys: invoices references customers by id alone, payments by
	-- (tenant_id, customer_id)
	CREATE TABLE customers (tenant_id int NOT NULL, id int NOT NULL, name text NOT NULL,
	  PRIMARY KEY (tenant_id, id), UNIQUE (id));
	INSERT INTO customers VALUES (1, 11, 'own-1'), (2, 21, 'SECRET-2');
	SELECT tenant_guard.protect('customers');
	CREATE TABLE invoices (id int PRIMARY KEY, tenant_id int NOT NULL,
	  customer_id int NOT NULL REFERENCES customers (id), note text NOT NULL);
	INSERT INTO invoices VALUES (11, 1, 11, 'own-1'), (21, 2, 21, 'SECRET-2');
	SELECT tenant_guard.protect('invoices');
	CREATE TABLE payments (tenant_id int NOT NULL, id int NOT NULL,
	  customer_id int NOT NULL, note text NOT NULL,
	  PRIMARY KEY (tenant_id, id),
	  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id));
	INSERT INTO payments VALUES (1, 11, 11, 'own-1'), (2, 21, 21, 'SECRET-2');
	SELECT tenant_guard.protect('payments');

	-- one resource booked by every tenant: an exclusion constraint across
	-- tenants
	CREATE TABLE bookings (id int PRIMARY KEY, tenant_id int NOT NULL,
	  during int4range NOT NULL, note text NOT NULL,
	  EXCLUDE USING gist (during WITH &&));
	INSERT INTO bookings VALUES (11, 1, '[1,5)', 'own-1'), (21, 2, '[10,20)', 'SECRET-2');
	SELECT tenant_guard.protect('bookings');

	-- a table whose statistics the planner uses
	CREATE TABLE visits (id int PRIMARY KEY, tenant_id int NOT NULL, status text NOT NULL);
	INSERT INTO visits SELECT g, 1, 'own-1 ' || g FROM generate_series(1, 100) g;
	INSERT INTO visits SELECT 1000 + g, 2, 'overdue' FROM generate_series(1, 30) g;
	SELECT tenant_guard.protect('visits');
	ANALYZE visits;

	-- careless DBA: objects owned by the superuser
	CREATE VIEW all_orders AS SELECT * FROM orders;
	CREATE FUNCTION count_orders() RETURNS bigint LANGUAGE sql
	  SECURITY DEFINER SET search_path = public
	  AS 'SELECT count(*) FROM orders';
	CREATE FUNCTION rename_order(o int, s text) RETURNS void LANGUAGE sql
	  SECURITY DEFINER SET search_path = public
	  AS 'UPDATE orders SET item = s WHERE id = o';

	DO \$\$
	DECLARE t text;
	BEGIN
	  FOR t IN SELECT c.relname FROM pg_class c
	            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
	  LOOP
	    EXECUTE format('ALTER TABLE %I OWNER TO regress_owner', t);
	  END LOOP;
	END\$\$;

	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO regress_attacker;
	GRANT TRUNCATE ON orders, events, events_a, legacy, legacy_2, ledger, ledger_old,
	  customers TO regress_attacker;

	-- not granted to anyone
	CREATE MATERIALIZED VIEW order_counts AS
	  SELECT tenant_id, count(*) FROM orders GROUP BY tenant_id;

	-- the superuser's view of what the attacker must not change
	CREATE SCHEMA admin;
	CREATE FUNCTION admin.digest() RETURNS text LANGUAGE sql AS \$\$
	SELECT string_agg(t || ' ' || n || ' ' || d, E'\\n' ORDER BY t) FROM (
	  SELECT 'orders' AS t, count(*) AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS d
	    FROM orders x WHERE tenant_id = 2
	  UNION ALL SELECT 'notes', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM notes x WHERE tenant_id = '2'
	  UNION ALL SELECT 'docs', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM docs x WHERE org = '$T2U'
	  UNION ALL SELECT 'events', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM events x WHERE tenant_id = 2
	  UNION ALL SELECT 'legacy', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM legacy x WHERE tenant_id = 2
	  UNION ALL SELECT 'ledger', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM ledger x WHERE tenant_id = 2
	  UNION ALL SELECT 'customers', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM customers x WHERE tenant_id = 2
	  UNION ALL SELECT 'invoices', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM invoices x WHERE tenant_id = 2
	  UNION ALL SELECT 'payments', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM payments x WHERE tenant_id = 2
	  UNION ALL SELECT 'bookings', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM bookings x WHERE tenant_id = 2
	  UNION ALL SELECT 'visits', count(*), md5(string_agg(x::text, '|' ORDER BY x::text))
	    FROM visits x WHERE tenant_id = 2
	  UNION ALL SELECT 'schema public', count(*), md5(string_agg(c.relname || c.relkind::text
	      || c.relrowsecurity || c.relforcerowsecurity, '|' ORDER BY c.relname))
	    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
	  UNION ALL SELECT 'policies', count(*), md5(string_agg(p.polname || ' '
	      || p.polrelid::regclass || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
	      '|' ORDER BY p.polrelid::regclass::text, p.polname))
	    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
	   WHERE c.relnamespace = 'public'::regnamespace
	) s \$\$;
});

# A psql session that goes on after errors and reports them with their
# SQLSTATE.
sub session
{
	my ($user) = @_;
	return psql_session($node, user => $user);
}

my $admin = session($superuser);
my $attacker = session('regress_attacker');

sub digest
{
	my ($out) = run_sql($admin, 'SELECT admin.digest()');
	return $out;
}
my $digest = digest();
like($digest, qr/^orders 2 [0-9a-f]{32}$/m, 'tenant 2 has rows to protect');

# The statements of a request the application pinned to tenant 1, ended by
# ROLLBACK (or, for attacks that must not be undone by it, COMMIT).
sub pinned
{
	my ($sql, $end) = @_;
	return "BEGIN;\nSET LOCAL app.current_tenant = '1';\n$sql\n" . ($end // 'ROLLBACK') . ';';
}

# One attack, run in $expect{session} (default: the attacker's session).  It
# must output exactly $expect{output} (default nothing; or match the pattern
# $expect{output_like}), raise exactly the errors $expect{errors} (a list of
# "SQLSTATE: message", default none; or a pattern that every error matches,
# with at least one error), print on stderr what $expect{stderr_like}
# matches and nothing $expect{stderr_unlike} matches, return SECRET-2
# nowhere, on stdout or stderr, and leave tenant 2's rows and schema public
# as they were.
# EXPLAIN output in one form for every version.  InitPlans as PostgreSQL
# 17 and later write them: up to 16, "InitPlan 1 (returns $0)" and "$0" for
# its result, from 17 on "InitPlan 1" and "(InitPlan 1).col1".  Row counts
# as integers, and without the number of index searches, as up to 17: 18
# writes "rows=2.00" and adds "Index Searches: 1".  (The EXPLAINs ask for
# BUFFERS OFF, which 18 turns on by default.)
sub explain_text
{
	my ($text) = @_;
	$text =~ s/\b(rows=\d+)\.00\b/$1/g;
	$text =~ s/^\s*Index Searches: \d+\n//mg;
	my %param;
	while ($text =~ /InitPlan (\d+) \(returns ([^)]*)\)/g)
	{
		my ($plan, $col) = ($1, 0);
		$param{$_} = "(InitPlan $plan).col" . ++$col
		  foreach $2 =~ /\$(\d+)/g;
	}
	$text =~ s/(InitPlan \d+) \(returns [^)]*\)/$1/g;
	$text =~ s/\$(\d+)\b/$param{$1} \/\/ "\$$1"/ge;
	return $text;
}

sub attack
{
	my ($name, $sql, %expect) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($out, $errors, $stderr) = run_sql($expect{session} // $attacker, $sql);
	$out = explain_text($out) if $expect{explain};
	my %got = (
		output => $out,
		'SECRET-2 returned' => ($out . $stderr) =~ /SECRET-2/ ? 'yes' : 'no',
		'tenant 2 and schema' => digest());
	my %want = (
		output => $expect{output} // '',
		'SECRET-2 returned' => 'no',
		'tenant 2 and schema' => $digest);
	if (ref $expect{errors} eq 'Regexp')
	{
		$got{errors} =
		  (@$errors && !grep { $_ !~ $expect{errors} } @$errors)
		  ? "all match $expect{errors}"
		  : (@$errors ? join(' | ', @$errors) : 'none');
		$want{errors} = "all match $expect{errors}";
	}
	else
	{
		$got{errors} = $errors;
		$want{errors} = $expect{errors} // [];
	}
	if (defined $expect{output_like})
	{
		$got{output} = $out =~ $expect{output_like} ? 'matches' : $out;
		$want{output} = 'matches';
	}
	if (defined $expect{stderr_like})
	{
		$got{stderr_like} = $stderr =~ $expect{stderr_like} ? 'matches' : $stderr;
		$want{stderr_like} = 'matches';
	}
	if (defined $expect{stderr_unlike})
	{
		$got{stderr_unlike} = $stderr !~ $expect{stderr_unlike} ? 'ok' : $stderr;
		$want{stderr_unlike} = 'ok';
	}
	is_deeply(\%got, \%want, $name);
	return ($out, $stderr);
}

my $no_tenant = '42501: tenant context required for table "public.orders"';
my $switch = '42501: cannot change tenant from "1" to "2" within a transaction';
my $session_set = '42501: cannot set "app.current_tenant" at session level';
my $with_check =
  '42501: new row violates row-level security policy "tenant_guard_isolation" for table "orders"';
my $mode_denied = '42501: permission denied to set parameter "tenant_guard.mode"';
my $setting_now =
  '55P02: parameter "tenant_guard.tenant_setting" cannot be changed now';
my $own_orders = "11|own-1 a\n12|own-1 b";
my $select_orders = 'SELECT id, item FROM orders ORDER BY id;';

#
# Positive controls: pinned to tenant 1, the attacker sees exactly its rows
# everywhere, so that the refusals below are not an artefact of a role that
# can read nothing.
#
attack('control: tenant 1 sees its orders', pinned($select_orders),
	output => $own_orders);
attack(
	'control: tenant 1 sees its rows of every protected table',
	pinned(q{SELECT (SELECT string_agg(body, ',') FROM notes),
	  (SELECT string_agg(item, ',') FROM events),
	  (SELECT string_agg(item, ',') FROM events_b),
	  (SELECT string_agg(item, ',') FROM legacy),
	  (SELECT string_agg(item, ',') FROM ledger),
	  (SELECT string_agg(item, ',') FROM ledger_new),
	  (SELECT string_agg(name, ',') FROM customers),
	  (SELECT string_agg(note, ',') FROM invoices),
	  (SELECT string_agg(note, ',') FROM payments),
	  (SELECT string_agg(note, ',') FROM bookings);}),
	output => 'own-1|own-1,own-1|own-1|own-1|own-1,own-1|own-1|own-1|own-1|own-1|own-1');
attack(
	'control: tenant 1 of the uuid table sees its rows',
	"BEGIN;\nSET LOCAL app.current_tenant = '$T1U';\nSELECT id, body FROM docs;\nROLLBACK;",
	output => '11|own-1');
attack(
	'control: the attacker is inside the rules',
	'SELECT exempt, mode FROM tenant_guard.status();',
	output => 'f|enforce');

#
# No tenant at all.
#
attack('no tenant: SELECT', $select_orders, errors => [$no_tenant]);
attack('no tenant: SELECT in a transaction block',
	"BEGIN;\n$select_orders\nROLLBACK;", errors => [$no_tenant]);
attack(
	'no tenant: the text and uuid tables',
	"SELECT count(*) FROM notes;\nSELECT count(*) FROM docs;",
	errors => [
		'42501: tenant context required for table "public.notes"',
		'42501: tenant context required for table "public.docs"'
	]);
attack(
	'no tenant: a protected partition named directly',
	'SELECT count(*) FROM events_a;',
	errors => ['42501: tenant context required for table "public.events_a"']);
attack(
	'no tenant: INSERT, UPDATE, DELETE',
	q{INSERT INTO orders VALUES (31, 2, 'planted');
	  UPDATE orders SET item = 'overwritten';
	  DELETE FROM orders;},
	errors => [ $no_tenant, $no_tenant, $no_tenant ]);
attack(
	'no tenant: SET LOCAL outside a transaction block does not last',
	"SET LOCAL app.current_tenant = '2';\n$select_orders",
	errors => [$no_tenant]);
attack(
	'no tenant: COPY table TO STDOUT, COPY (query) TO STDOUT',
	"COPY orders TO STDOUT;\nCOPY (SELECT * FROM orders) TO STDOUT;",
	errors => [ $no_tenant, $no_tenant ]);
attack(
	'no tenant: EXPLAIN ANALYZE',
	'EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM orders;',
	errors => [$no_tenant]);
attack(
	'no tenant: CREATE TABLE AS and SELECT INTO',
	"CREATE TABLE attacker.stolen AS SELECT * FROM orders;\nSELECT * INTO attacker.stolen2 FROM orders;",
	errors => [ $no_tenant, $no_tenant ]);
attack(
	'no tenant: CREATE MATERIALIZED VIEW',
	'CREATE MATERIALIZED VIEW attacker.mv AS SELECT * FROM orders;',
	errors => [$no_tenant]);
attack(
	'no tenant: query_to_xml and table_to_xml',
	q{SELECT query_to_xml('SELECT item FROM public.orders', false, false, '');
	  SELECT table_to_xml('public.orders', false, false, '');},
	errors => qr/^42501: tenant context required for table "public\.orders"$/);

run_sql(
	$attacker, q{
	CREATE VIEW attacker.my_orders AS SELECT * FROM public.orders;
	CREATE FUNCTION attacker.definer_orders() RETURNS SETOF text LANGUAGE sql
	  SECURITY DEFINER SET search_path = public
	  AS 'SELECT item FROM orders ORDER BY id';
	CREATE FUNCTION attacker.plpgsql_orders() RETURNS SETOF text LANGUAGE plpgsql
	  AS $$BEGIN RETURN QUERY SELECT item FROM public.orders ORDER BY id; END$$;
	CREATE FUNCTION attacker.folded_orders() RETURNS text LANGUAGE plpgsql IMMUTABLE
	  AS $$BEGIN RETURN (SELECT string_agg(item, ',') FROM public.orders); END$$;
	CREATE FUNCTION attacker.leak(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
	  AS $$BEGIN RAISE NOTICE 'saw: %', t; RETURN true; END$$;
	GRANT SELECT ON attacker.my_orders TO PUBLIC;
});
attack(
	'no tenant: through the attacker\'s view, definer and PL/pgSQL functions',
	q{SELECT count(*) FROM attacker.my_orders;
	  SELECT attacker.definer_orders();
	  SELECT attacker.plpgsql_orders();},
	errors => qr/^42501: tenant context required for table "public\.orders"$/);
attack(
	'no tenant: EXPLAIN whose planning folds an immutable function that reads',
	'EXPLAIN SELECT attacker.folded_orders();',
	errors => [$no_tenant]);
attack(
	'no tenant: prepared in tenant 1, executed without a tenant',
	"BEGIN;\nSET LOCAL app.current_tenant = '1';\nPREPARE mine AS $select_orders\nEXECUTE mine;\nCOMMIT;\nEXECUTE mine;\nDEALLOCATE mine;",
	output => $own_orders,
	errors => [
		'42501: cannot execute prepared statement "mine" made with PREPARE in an earlier transaction'
	]);
attack(
	'no tenant: TRUNCATE',
	'TRUNCATE orders;',
	errors => [
		'42501: cannot truncate table "public.orders", which has row-level security'
	]);

# A tenant the attacker puts in its own configuration never counts.
{
	local $ENV{PGOPTIONS} = '-c app.current_tenant=2';
	my ($ret, $out, $err) = $node->psql('postgres', $select_orders,
		extra_params => [ '-U', 'regress_attacker', '-v', 'VERBOSITY=terse' ]);
	is_deeply(
		{ output => $out, error => $err =~ s/^psql:[^:]*:\d+: //r },
		{
			output => '',
			error =>
			  q{ERROR:  tenant context for table "public.orders" comes from the connection's startup options (such as PGOPTIONS)}
		},
		'no tenant: app.current_tenant in PGOPTIONS is refused');
}
# ALTER ROLE ... SET makes the settings of later sessions, which serve
# other tenants' requests: refused to a role inside the rules, for any
# setting (the tenant still gets the warning first).
my $role_settings_denied =
  '42501: role "regress_attacker" cannot change the settings of role "regress_attacker"';
attack('no tenant: ALTER ROLE ... SET by the attacker on itself',
	"ALTER ROLE regress_attacker SET app.current_tenant = '2';",
	errors => [$role_settings_denied],
	stderr_like => qr/WARNING:  01000: a tenant set with ALTER ROLE \.\.\. SET is never a tenant context/);
attack('configured search_path: ALTER ROLE ... SET by the attacker on itself',
	'ALTER ROLE regress_attacker SET search_path = attacker, public;',
	errors => [$role_settings_denied]);
attack('configured search_path: ALTER ROLE ... RESET',
	'ALTER ROLE regress_attacker RESET ALL;',
	errors => [$role_settings_denied]);
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM pg_db_role_setting
		  WHERE setrole = 'regress_attacker'::regrole}),
	'0',
	'no tenant: the attacker\'s role has no settings of its own');
attack(
	'no tenant: a tenant that does not cast fails alike for every row',
	q{BEGIN;
	  SET LOCAL app.current_tenant = 'abc';
	  SELECT count(*) FROM orders;
	  ROLLBACK;
	  BEGIN;
	  SET LOCAL app.current_tenant = 'abc';
	  SELECT count(*) FROM notes;
	  ROLLBACK;},
	output => '0',
	errors => ['22P02: invalid input syntax for type integer: "abc"']);

#
# Switching tenant inside the pinned transaction, in every form.
#
attack('switch: SET', pinned("SET app.current_tenant = '2';"),
	errors => [$session_set]);
attack('switch: SET SESSION', pinned("SET SESSION app.current_tenant = '2';"),
	errors => [$session_set]);
attack('switch: SET LOCAL', pinned("SET LOCAL app.current_tenant = '2';"),
	errors => [$switch]);
attack('switch: SET LOCAL ... TO',
	pinned("SET LOCAL app.current_tenant TO '2';"), errors => [$switch]);
attack('switch: set_config(..., true)',
	pinned("SELECT set_config('app.current_tenant', '2', true);"),
	errors => [$switch]);
attack('switch: set_config(..., false)',
	pinned("SELECT set_config('app.current_tenant', '2', false);"),
	errors => [$switch]);
attack('switch: other spellings of the setting\'s name',
	pinned(q{SET LOCAL "APP"."CURRENT_TENANT" = '2';}), errors => [$switch]);
attack('switch: set_config with the name in capitals',
	pinned(q{SELECT set_config('App.Current_Tenant', '2', true);}),
	errors => [$switch]);
attack(
	'switch: session SET with a quoted name in capitals',
	pinned(q{SET "App"."Current_Tenant" = '2';}),
	errors => ['42501: cannot set "App.Current_Tenant" at session level']);
attack(
	'switch: a value that casts to the same tenant is another tenant',
	pinned("SET LOCAL app.current_tenant = '01';"),
	errors =>
	  ['42501: cannot change tenant from "1" to "01" within a transaction']);
attack(
	'switch: clearing with \'\', then another tenant',
	pinned("SET LOCAL app.current_tenant = '';\nSET LOCAL app.current_tenant = '2';"),
	errors => [$switch]);
attack(
	'switch: RESET, then another tenant',
	pinned("RESET app.current_tenant;\nSELECT set_config('app.current_tenant', '2', true);"),
	errors => [$switch]);
attack(
	'switch: RESET ALL, then another tenant',
	pinned("RESET ALL;\nSET LOCAL app.current_tenant = '2';"),
	errors => [$switch]);
attack(
	'switch: SET ... TO DEFAULT, SET LOCAL ... TO DEFAULT, then another tenant',
	pinned("SET app.current_tenant TO DEFAULT;\nSET LOCAL app.current_tenant TO DEFAULT;\nSET LOCAL app.current_tenant = '2';"),
	errors => [$switch]);
attack(
	'switch: after RESET the transaction has no tenant at all',
	pinned("RESET app.current_tenant;\n$select_orders"),
	errors => [$no_tenant]);
attack(
	'switch: DISCARD ALL inside the transaction',
	pinned('DISCARD ALL;'),
	errors => ['25001: DISCARD ALL cannot run inside a transaction block']);
attack('switch: after DISCARD ALL, no tenant',
	"DISCARD ALL;\n$select_orders", errors => [$no_tenant]);
attack(
	'switch: in a savepoint, then rolled back to it',
	pinned("SAVEPOINT s;\nSET LOCAL app.current_tenant = '2';\nROLLBACK TO SAVEPOINT s;\n$select_orders"),
	output => $own_orders,
	errors => [$switch]);
attack(
	'switch: clear in a savepoint, RELEASE, then another tenant',
	pinned("SAVEPOINT s;\nSET LOCAL app.current_tenant = '';\nRELEASE SAVEPOINT s;\nSET LOCAL app.current_tenant = '2';"),
	errors => [$switch]);
attack(
	'switch: the first tenant set in a savepoint that was rolled back still pins',
	"BEGIN;\nSAVEPOINT s;\nSET LOCAL app.current_tenant = '1';\nROLLBACK TO SAVEPOINT s;\nSET LOCAL app.current_tenant = '2';\nROLLBACK;",
	errors => [$switch]);
attack(
	'switch: refusal swallowed by a PL/pgSQL exception block',
	pinned(
		q{DO $$BEGIN PERFORM set_config('app.current_tenant', '2', true);
		  EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'swallowed'; END$$;
		SELECT current_setting('app.current_tenant');
		} . $select_orders),
	output => "1\n$own_orders",
	stderr_like => qr/NOTICE:  00000: swallowed/);
attack(
	'switch: PL/pgSQL dynamic SQL',
	pinned(q{DO $$BEGIN EXECUTE format('SET LOCAL app.current_tenant = %L', '2'); END$$;}),
	errors => [$switch]);
attack(
	'switch: row by row inside one statement',
	pinned(
		q{SELECT o.item FROM (VALUES ('1'), ('2')) v(t)
		  CROSS JOIN LATERAL (SELECT set_config('app.current_tenant', v.t, true)) s
		  CROSS JOIN LATERAL (SELECT item FROM orders WHERE s.set_config IS NOT NULL) o;}),
	errors => [$switch]);

run_sql(
	$attacker, q{
	CREATE FUNCTION attacker.as_tenant_2() RETURNS SETOF text LANGUAGE sql
	  SET app.current_tenant = '2' AS 'SELECT item FROM public.orders';
	CREATE FUNCTION attacker.as_no_tenant() RETURNS SETOF text LANGUAGE sql
	  SET app.current_tenant = '' AS 'SELECT item FROM public.orders';
	CREATE FUNCTION attacker.definer_as_tenant_2() RETURNS SETOF text LANGUAGE sql
	  SECURITY DEFINER SET app.current_tenant = '2' AS 'SELECT item FROM public.orders';
	CREATE PROCEDURE attacker.escape() LANGUAGE plpgsql AS $$
	BEGIN
	  COMMIT;
	  PERFORM set_config('app.current_tenant', '2', true);
	END$$;
});
attack('switch: a function\'s SET clause',
	pinned('SELECT attacker.as_tenant_2();'), errors => [$switch]);
attack('switch: a SECURITY DEFINER function\'s SET clause',
	pinned('SELECT attacker.definer_as_tenant_2();'), errors => [$switch]);
attack(
	'no tenant: a function\'s SET clause is not a tenant context',
	'SELECT attacker.as_tenant_2();',
	errors => [
		'42501: tenant context for table "public.orders" comes from the SET clause of a function'
	]);
attack('switch: a function\'s SET clause clearing the tenant',
	pinned('SELECT attacker.as_no_tenant();'), errors => [$no_tenant]);
attack(
	'switch: COMMIT in a DO block cannot end the pinned transaction',
	pinned(q{DO $$BEGIN COMMIT; PERFORM set_config('app.current_tenant', '2', true); END$$;}),
	errors => ['2D000: invalid transaction termination']);
attack(
	'switch: COMMIT in a procedure cannot end the pinned transaction',
	pinned('CALL attacker.escape();'),
	errors => ['2D000: invalid transaction termination']);

#
# Turning the guard off or renaming the setting.
#
attack('guard off: SET tenant_guard.mode',
	'SET tenant_guard.mode = off;', errors => [$mode_denied]);
attack('guard off: SET LOCAL tenant_guard.mode = warn',
	pinned("SET LOCAL tenant_guard.mode = 'warn';"), errors => [$mode_denied]);
attack('guard off: set_config(tenant_guard.mode)',
	pinned("SELECT set_config('tenant_guard.mode', 'off', true);"),
	errors => [$mode_denied]);
attack(
	'guard off: a function with SET tenant_guard.mode = off',
	q{CREATE FUNCTION attacker.unguarded() RETURNS SETOF text LANGUAGE sql
	  SET tenant_guard.mode = off AS 'SELECT item FROM public.orders';},
	errors => [$mode_denied]);
attack(
	'guard off: ALTER FUNCTION ... SET tenant_guard.mode = off',
	'ALTER FUNCTION attacker.plpgsql_orders() SET tenant_guard.mode = off;',
	errors => [$mode_denied]);
attack('guard off: ALTER ROLE ... SET tenant_guard.mode',
	'ALTER ROLE regress_attacker SET tenant_guard.mode = off;',
	errors => [$mode_denied]);
{
	local $ENV{PGOPTIONS} = '-c tenant_guard.mode=off';
	my ($ret, $out, $err) = $node->psql('postgres', $select_orders,
		extra_params => [ '-U', 'regress_attacker' ]);
	like(
		$err,
		qr/FATAL:  permission denied to set parameter "tenant_guard\.mode"/,
		'guard off: tenant_guard.mode in PGOPTIONS refuses the connection');
	is($out, '', 'guard off: and returns nothing');
}
attack('rename the setting: SET tenant_guard.tenant_setting',
	"SET tenant_guard.tenant_setting = 'app.mine';", errors => [$setting_now]);
attack('rename the setting: set_config',
	pinned("SELECT set_config('tenant_guard.tenant_setting', 'app.mine', true);"),
	errors => [$setting_now]);
attack('rename the setting: ALTER ROLE ... SET',
	"ALTER ROLE regress_attacker SET tenant_guard.tenant_setting = 'app.mine';",
	errors => [$setting_now]);
attack(
	'row_security = off',
	pinned("SET LOCAL row_security = off;\n$select_orders"),
	errors => [
		'42501: query would be affected by row-level security policy for table "orders"'
	]);
attack(
	'SET ROLE, SET SESSION AUTHORIZATION, session_replication_role',
	"SET ROLE regress_owner;\nSET SESSION AUTHORIZATION $superuser;\nSET session_replication_role = replica;",
	errors => [
		'42501: permission denied to set role "regress_owner"',
		"42501: permission denied to set session authorization \"$superuser\"",
		'42501: permission denied to set parameter "session_replication_role"'
	]);

#
# Reading tenant 2's rows while pinned to tenant 1.
#
attack('read: WHERE tenant_id = 2',
	pinned('SELECT id, item FROM orders WHERE tenant_id = 2;'));
attack(
	'read: a leaky function in WHERE sees only tenant 1\'s rows',
	pinned(
		"SET LOCAL enable_indexscan = off;\nSET LOCAL enable_bitmapscan = off;\n"
		  . 'SELECT count(*) FROM orders WHERE attacker.leak(item);'),
	output => '2',
	stderr_like => qr/saw: own-1 a.*saw: own-1 b/s);
attack(
	'read: a division by zero oracle never sees tenant 2\'s rows',
	pinned(
		"SET LOCAL enable_indexscan = off;\nSET LOCAL enable_bitmapscan = off;\n"
		  . q{SELECT count(*) FROM orders
		  WHERE 1 / (CASE WHEN item LIKE 'SECRET%' THEN 0 ELSE 1 END) = 1;}),
	output => '2');
attack(
	'read: a cast error oracle never sees tenant 2\'s rows',
	pinned(q{SELECT count(*) FROM notes WHERE (CASE WHEN body LIKE 'SECRET%' THEN 'x' ELSE '1' END)::int = 1;}),
	output => '1');
attack(
	'read: the attacker cannot mark its function LEAKPROOF',
	q{CREATE FUNCTION attacker.leakproof(t text) RETURNS boolean LANGUAGE plpgsql LEAKPROOF
	  AS $$BEGIN RAISE NOTICE 'saw: %', t; RETURN true; END$$;},
	errors => ['42501: only superuser can define a leakproof function']);
attack(
	'read: the attacker\'s own view, with a leaky function on top',
	pinned(
		"SET LOCAL enable_indexscan = off;\nSET LOCAL enable_bitmapscan = off;\n"
		  . 'SELECT id, item FROM attacker.my_orders WHERE attacker.leak(item) ORDER BY id;'),
	output => $own_orders);
attack(
	'read: the attacker\'s own SECURITY DEFINER function',
	pinned('SELECT attacker.definer_orders();'),
	output => "own-1 a\nown-1 b");
attack(
	'read: CTE, subquery, UNION',
	pinned(
		q{WITH x AS MATERIALIZED (SELECT * FROM orders)
		  SELECT count(*) FROM x
		  UNION ALL SELECT (SELECT count(*) FROM orders o WHERE o.id IN (21, 22))
		  UNION ALL SELECT count(*) FROM (SELECT * FROM orders UNION SELECT * FROM orders) u;}),
	output => "2\n0\n2");
attack(
	'read: PL/pgSQL dynamic SQL and DO',
	pinned(
		q{DO $$DECLARE s text;
		BEGIN
		  EXECUTE format('SELECT string_agg(item, %L ORDER BY id) FROM %I.%I WHERE %s', ',', 'public', 'orders', 'true') INTO s;
		  RAISE NOTICE 'got: %', s;
		END$$;}),
	stderr_like => qr/NOTICE:  00000: got: own-1 a,own-1 b/);
attack(
	'read: query_to_xml',
	pinned(q{SELECT query_to_xml('SELECT item FROM public.orders WHERE id > 20', false, true, '');}),
	output => '');
attack(
	'read: the text and uuid tables',
	pinned(q{SELECT count(*) FROM notes WHERE tenant_id = '2';
	  SELECT count(*) FROM docs;}),
	output => '0',
	errors => [qq{22P02: invalid input syntax for type uuid: "1"}]);
attack(
	'read: the uuid table pinned to another uuid',
	"BEGIN;\nSET LOCAL app.current_tenant = '$T1U';\nSELECT count(*) FROM docs WHERE org = '$T2U';\nSET LOCAL app.current_tenant = '$T2U';\nROLLBACK;",
	output => '0',
	errors => [qq{42501: cannot change tenant from "$T1U" to "$T2U" within a transaction}]);
attack(
	'read: partitions of a protected table named directly',
	pinned('SELECT id, item FROM events_a UNION ALL SELECT id, item FROM events_b ORDER BY 1;'),
	output => "11|own-1\n111|own-1");
attack(
	'read: a partition without row-level security named directly',
	pinned('SELECT * FROM legacy_2;'),
	errors => [
		'55000: partition "public.legacy_2" of table "public.legacy" has no row-level security'
	]);
attack(
	'read: the partition without row-level security through its parent',
	pinned('SELECT id, item FROM legacy ORDER BY id;'),
	output => '11|own-1');
attack(
	'read: an inheritance child without row-level security named directly',
	pinned('SELECT * FROM ledger_old;'),
	errors => [
		'55000: table "public.ledger_old" inherits from table "public.ledger" but has no row-level security'
	]);
attack(
	'read: inheritance children through the parent, and a protected child',
	pinned('SELECT id, item FROM ledger UNION ALL SELECT id, item FROM ledger_new ORDER BY 1;'),
	output => "11|own-1\n12|own-1\n12|own-1");
attack(
	'read: a superuser\'s view without security_invoker',
	pinned('SELECT * FROM all_orders;'),
	errors => [
		qq{55000: view "public.all_orders" reads table "public.orders" as role "$superuser", which bypasses row-level security}
	]);
attack(
	'read: a superuser\'s SECURITY DEFINER function',
	pinned('SELECT count_orders();'),
	errors => [
		qq{55000: function count_orders() reads table "public.orders" as role "$superuser", which bypasses row-level security}
	]);
attack(
	'write: a superuser\'s SECURITY DEFINER function that updates',
	pinned(q{SELECT rename_order(21, 'overwritten');}, 'COMMIT'),
	errors => [
		qq{55000: function rename_order(integer,text) reads table "public.orders" as role "$superuser", which bypasses row-level security}
	]);
attack(
	'write: through a superuser\'s view',
	pinned(q{UPDATE all_orders SET item = 'overwritten';}, 'COMMIT'),
	errors => [
		qq{55000: view "public.all_orders" reads table "public.orders" as role "$superuser", which bypasses row-level security}
	]);

# Cursors.
attack(
	'cursor: WITH HOLD',
	pinned('DECLARE c CURSOR WITH HOLD FOR SELECT * FROM orders;'),
	errors => [
		'42501: cursor "c" cannot outlive its transaction, because it reads table "public.orders", which has row-level security'
	]);
attack(
	'cursor: WITH HOLD over a function that reads the table',
	pinned("DECLARE c CURSOR WITH HOLD FOR SELECT * FROM attacker.plpgsql_orders();\nFETCH 1 FROM c;", 'COMMIT')
	  . "\nFETCH ALL FROM c;",
	errors => [
		'42501: cursor "c" cannot outlive its transaction, because it reads table "public.orders", which has row-level security',
		'34000: cursor "c" does not exist'
	]);
attack(
	'cursor: WITH HOLD over a function, committed before any FETCH',
	pinned('DECLARE c CURSOR WITH HOLD FOR SELECT * FROM attacker.plpgsql_orders();', 'COMMIT')
	  . "\nFETCH ALL FROM c;",
	errors => [
		'42501: cursor "c" cannot outlive its transaction, because it reads table "public.orders", which has row-level security',
		'34000: cursor "c" does not exist'
	]);
attack(
	'cursor: FETCH after COMMIT',
	pinned("DECLARE c CURSOR FOR SELECT item FROM orders ORDER BY id;\nFETCH 1 FROM c;", 'COMMIT')
	  . "\nFETCH ALL FROM c;",
	output => 'own-1 a',
	errors => ['34000: cursor "c" does not exist']);
attack(
	'cursor: opened in tenant 1, read on after clearing the tenant',
	pinned("DECLARE c CURSOR FOR SELECT item FROM orders ORDER BY id;\nFETCH 1 FROM c;\nRESET app.current_tenant;\nFETCH ALL FROM c;"),
	output => "own-1 a\nown-1 b");
attack(
	'cursor: opened in tenant 1, first read after clearing the tenant',
	pinned("DECLARE c CURSOR FOR SELECT item FROM orders ORDER BY id;\nRESET app.current_tenant;\nFETCH ALL FROM c;"));
attack(
	'clearing the tenant in the middle of a statement',
	pinned(
		"SET LOCAL enable_indexscan = off;\nSET LOCAL enable_bitmapscan = off;\n"
		  . q{SELECT item FROM orders WHERE set_config('app.current_tenant', '', true) = '' ORDER BY id;}),
	output => "own-1 a\nown-1 b");

# Prepared statements.  A statement prepared with SQL outlives its
# transaction: an earlier request of tenant 2 on this connection prepared
# one and ran it, with its generic plan cached, and tenant 1's next request
# cannot even set its tenant while it is there (rule 2: it is SQL an
# earlier request chose); nor does the statement run at all, with a tenant
# or without one.
# (Protocol-level statements, the ones drivers and poolers keep, are judged
# each time they run, by the tenant of the transaction that runs them:
# test/t/011_prepared_hijack.pl.)
my ($t2out) = run_sql(
	$attacker,
	"SET plan_cache_mode = force_generic_plan;\nBEGIN;\nSET LOCAL app.current_tenant = '2';\n"
	  . "PREPARE theirs AS SELECT id, item FROM orders ORDER BY id;\n"
	  . "EXECUTE theirs;\n" x 3
	  . "COMMIT;\n");
is(scalar(() = $t2out =~ /SECRET-2 a/g), 3, 'tenant 2 ran its prepared statement');
attack('prepared: tenant 2\'s statement, with its cached plan, left for tenant 1',
	pinned('EXECUTE theirs;'),
	errors => [
		'42501: cannot set tenant "1" while the session holds prepared statement "theirs"',
		'25P02: current transaction is aborted, commands ignored until end of transaction block'
	]);
attack('prepared: tenant 2\'s cached plan executed without a tenant',
	'EXECUTE theirs;',
	errors => [
		'42501: cannot execute prepared statement "theirs" made with PREPARE in an earlier transaction'
	]);
run_sql($attacker, 'DEALLOCATE theirs;');
attack(
	'prepared: a statement that switches tenants',
	pinned("PREPARE sw AS SELECT set_config('app.current_tenant', '2', true);\nEXECUTE sw;")
	  . "\nDEALLOCATE sw;\nRESET plan_cache_mode;",
	errors => [$switch]);

# COPY TO and other ways out.
attack(
	'COPY: table TO STDOUT, (query) TO STDOUT',
	pinned("COPY orders TO STDOUT;\nCOPY (SELECT id FROM orders WHERE tenant_id = 2) TO STDOUT;"),
	output => "11\t1\town-1 a\n12\t1\town-1 b");
attack(
	'COPY: a protected partition TO STDOUT',
	pinned('COPY events_b TO STDOUT;'),
	output => "111\t1\town-1");
attack(
	'COPY: a partition without row-level security TO STDOUT',
	pinned('COPY legacy_2 TO STDOUT;'),
	errors => [
		'55000: partition "public.legacy_2" of table "public.legacy" has no row-level security'
	]);
attack(
	'COPY: an inheritance child without row-level security TO STDOUT',
	pinned('COPY ledger_old TO STDOUT;'),
	errors => [
		'55000: table "public.ledger_old" inherits from table "public.ledger" but has no row-level security'
	]);
attack(
		'EXPLAIN ANALYZE, VERBOSE, of tenant 1\'s query',
		pinned("SET LOCAL enable_seqscan = off;\nEXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF, VERBOSE) SELECT * FROM orders;"),
		explain => 1,
		output => join("\n",
			'Index Scan using orders_tenant_id_idx on public.orders (actual rows=2 loops=1)',
			'  Output: orders.id, orders.tenant_id, orders.item',
			'  Index Cond: (orders.tenant_id = (InitPlan 1).col1)',
			'  InitPlan 1',
			'    ->  Result (actual rows=1 loops=1)',
			'          Output: (tenant_guard.tenant())::integer'));
attack(
	'CREATE TABLE AS, SELECT INTO, materialized view copy tenant 1\'s rows only',
	pinned(
		q{CREATE TABLE attacker.copy1 AS SELECT * FROM orders;
		  SELECT * INTO attacker.copy2 FROM orders;
		  CREATE MATERIALIZED VIEW attacker.copy3 AS SELECT * FROM orders;
		  SELECT (SELECT count(*) FROM attacker.copy1), (SELECT count(*) FROM attacker.copy2),
		    (SELECT count(*) FROM attacker.copy3);}, 'COMMIT'),
	output => '2|2|2');
attack(
	'REFRESH of the attacker\'s materialized view without a tenant',
	'REFRESH MATERIALIZED VIEW attacker.copy3;',
	errors => [$no_tenant]);
attack(
	'statistics: pg_stats, pg_stats_ext hide the tenant tables; pg_statistic is closed',
	q{SELECT count(*) FROM pg_stats WHERE schemaname = 'public';
	  SELECT count(*) FROM pg_stats_ext WHERE schemaname = 'public';
	  SELECT count(*) FROM pg_statistic;},
	output => "0\n0",
	errors => ['42501: permission denied for table pg_statistic']);

#
# Writing tenant 2's rows while pinned to tenant 1.
#
attack('write: INSERT a row of tenant 2',
	pinned(q{INSERT INTO orders VALUES (31, 2, 'planted');}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: INSERT into the text and uuid tables for tenant 2',
	pinned(q{INSERT INTO notes VALUES (31, '2', 'planted');}, 'COMMIT')
	  . "\nBEGIN;\nSET LOCAL app.current_tenant = '$T1U';\n"
	  . "INSERT INTO docs VALUES (31, '$T2U', 'planted');\nCOMMIT;",
	errors => [
		'42501: new row violates row-level security policy "tenant_guard_isolation" for table "notes"',
		'42501: new row violates row-level security policy "tenant_guard_isolation" for table "docs"'
	]);
attack(
	'write: UPDATE ... SET tenant_id = 2 RETURNING',
	pinned('UPDATE orders SET tenant_id = 2 WHERE id = 11 RETURNING *;', 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: UPDATE and DELETE of tenant 2\'s keys RETURNING',
	pinned(
		q{UPDATE orders SET item = 'overwritten' WHERE id IN (21, 22) RETURNING *;
		  DELETE FROM orders WHERE id IN (21, 22) RETURNING *;
		  UPDATE orders SET item = item RETURNING id;}, 'COMMIT'),
	output => "11\n12");
attack(
	'write: DELETE everything RETURNING, in a CTE',
	pinned(q{WITH gone AS (DELETE FROM orders RETURNING *) SELECT id, item FROM gone ORDER BY id;}),
	output => $own_orders);
attack(
	'write: UPDATE in a CTE RETURNING, moving a row to tenant 2',
	pinned(q{WITH moved AS (UPDATE orders SET tenant_id = 2 RETURNING *) SELECT * FROM moved;}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: INSERT ... SELECT copies only tenant 1\'s rows',
	pinned(q{INSERT INTO orders (id, item) SELECT id + 100, item FROM orders RETURNING id, tenant_id;}),
	output => "111|1\n112|1");
attack(
	'write: ON CONFLICT DO UPDATE on tenant 2\'s key (an existence oracle, see below)',
	pinned(q{INSERT INTO orders (id, item) VALUES (21, 'overwritten')
	  ON CONFLICT (id) DO UPDATE SET item = excluded.item RETURNING *;}, 'COMMIT'),
	errors => [
		'42501: new row violates row-level security policy "tenant_guard_isolation" (USING expression) for table "orders"'
	]);
attack(
	'write: ON CONFLICT DO UPDATE moving tenant 1\'s row to tenant 2',
	pinned(q{INSERT INTO orders (id, item) VALUES (11, 'x')
	  ON CONFLICT (id) DO UPDATE SET tenant_id = 2 RETURNING *;}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: MERGE matching tenant 2\'s keys',
	pinned(q{MERGE INTO payments p USING (VALUES (21), (22)) s(id) ON p.id = s.id
	  WHEN MATCHED THEN UPDATE SET note = 'overwritten'
	  WHEN NOT MATCHED THEN DO NOTHING;
	  MERGE INTO payments p USING (VALUES (21)) s(id) ON p.id = s.id
	  WHEN MATCHED THEN DELETE;
	  SELECT id, note FROM payments ORDER BY id;}, 'COMMIT'),
	output => '11|own-1');
attack(
	'write: MERGE inserting a row of tenant 2',
	pinned(q{MERGE INTO orders o USING (VALUES (31)) s(id) ON o.id = s.id
	  WHEN NOT MATCHED THEN INSERT VALUES (s.id, 2, 'planted');}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: MERGE moving tenant 1\'s row to tenant 2',
	pinned(q{MERGE INTO orders o USING (VALUES (11)) s(id) ON o.id = s.id
	  WHEN MATCHED THEN UPDATE SET tenant_id = 2;}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: through the attacker\'s view',
	pinned(q{INSERT INTO attacker.my_orders VALUES (31, 2, 'planted');}, 'COMMIT'),
	errors => [$with_check]);
attack(
	'write: partition routing and moving rows between partitions',
	pinned(q{INSERT INTO events VALUES (150, 2, 'planted');}, 'COMMIT')
	  . "\n"
	  . pinned(q{UPDATE events SET id = id + 100, tenant_id = 2 WHERE id = 11;}, 'COMMIT')
	  . "\n"
	  . pinned(q{INSERT INTO legacy VALUES (22, 2, 'planted');}, 'COMMIT'),
	errors => [
		'42501: new row violates row-level security policy "tenant_guard_isolation" for table "events"',
		'42501: new row violates row-level security policy "tenant_guard_isolation" for table "events"',
		'42501: new row violates row-level security policy for table "legacy"'
	]);
attack(
	'write: a partition and a child without row-level security named directly',
	pinned(q{INSERT INTO legacy_2 VALUES (22, 2, 'planted');}, 'COMMIT')
	  . "\n"
	  . pinned(q{UPDATE ledger_old SET item = 'overwritten';}, 'COMMIT'),
	errors => [
		'55000: partition "public.legacy_2" of table "public.legacy" has no row-level security',
		'55000: table "public.ledger_old" inherits from table "public.ledger" but has no row-level security'
	]);

# COPY FROM: rows of tenant 2 in a file the attacker sends with \copy.
my $rows_file = $node->basedir . '/tenant2_rows.tsv';
PostgreSQL::Test::Utils::append_to_file($rows_file, "31\t2\tplanted\n");
attack(
	'COPY FROM: a protected table',
	pinned("\\copy orders FROM '$rows_file'", 'COMMIT'),
	errors => ['0A000: COPY FROM not supported with row-level security']);
attack(
	'COPY FROM: a protected partition',
	pinned("\\copy events_a FROM '$rows_file'", 'COMMIT'),
	errors => ['0A000: COPY FROM not supported with row-level security']);
attack(
	'COPY FROM: a partition without row-level security',
	pinned("\\copy legacy_2 FROM '$rows_file'", 'COMMIT'),
	errors => [
		'55000: partition "public.legacy_2" of table "public.legacy" has no row-level security'
	]);
attack(
	'COPY FROM: an inheritance child without row-level security',
	pinned("\\copy ledger_old FROM '$rows_file'", 'COMMIT'),
	errors => [
		'55000: table "public.ledger_old" inherits from table "public.ledger" but has no row-level security'
	]);

# TRUNCATE.
attack('TRUNCATE: a protected table', pinned('TRUNCATE orders;', 'COMMIT'),
	errors => [
		'42501: cannot truncate table "public.orders", which has row-level security'
	]);
attack(
	'TRUNCATE: a protected partition',
	pinned('TRUNCATE events_a;', 'COMMIT'),
	errors => [
		'42501: cannot truncate table "public.events_a", which has row-level security'
	]);
attack(
	'TRUNCATE: a partition without row-level security',
	pinned('TRUNCATE legacy_2;', 'COMMIT'),
	errors => [
		'42501: cannot truncate partition "public.legacy_2" of table "public.legacy", which has row-level security'
	]);
attack(
	'TRUNCATE: an inheritance child without row-level security',
	pinned('TRUNCATE ledger_old;', 'COMMIT'),
	errors => [
		'42501: cannot truncate table "public.ledger_old", a child of table "public.ledger", which has row-level security'
	]);
attack(
	'TRUNCATE: a parent whose children have none, and CASCADE',
	pinned('TRUNCATE ledger;', 'COMMIT') . "\n" . pinned('TRUNCATE customers CASCADE;', 'COMMIT'),
	errors => qr/^42501: cannot truncate (table|partition) "public\.\w+"/);

#
# DDL on objects the attacker does not own.
#
attack(
	'DDL: switching row-level security off, dropping or widening policies',
	q{ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
	  ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
	  DROP POLICY tenant_guard_isolation ON orders;
	  CREATE POLICY open ON orders USING (true);
	  ALTER POLICY tenant_guard_isolation ON orders USING (true);
	  ALTER TABLE legacy DISABLE ROW LEVEL SECURITY;},
	errors => qr/^(42501: must be owner of table (orders|legacy)|55000: cannot (disable row-level security|stop forcing row-level security|drop policy "tenant_guard_isolation"|alter policy "tenant_guard_isolation") of protected table "public\.orders")$/);
attack(
	'DDL: triggers, rules, children, partitions, foreign keys',
	q{CREATE TRIGGER t BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
	  CREATE RULE r AS ON INSERT TO orders DO INSTEAD NOTHING;
	  CREATE TABLE attacker.kid () INHERITS (public.orders);
	  CREATE TABLE attacker.part PARTITION OF public.events FOR VALUES FROM (500) TO (600);
	  CREATE TABLE attacker.fk (c int REFERENCES public.customers (id));
	  ALTER TABLE attacker.my_orders OWNER TO regress_owner;},
	errors => [
		'42501: permission denied for table orders',
		'42501: must be owner of table orders',
		'42501: must be owner of table orders',
		'42501: must be owner of table events',
		'42501: permission denied for table customers',
		# PostgreSQL 16 reworded it when it split role membership
		# into ADMIN, INHERIT and SET
		$node->pg_version >= 16
		? '42501: must be able to SET ROLE "regress_owner"'
		: '42501: must be member of role "regress_owner"'
	]);
attack(
	'DDL: the extension\'s schema, functions and registry',
	q{CREATE OR REPLACE FUNCTION tenant_guard.tenant() RETURNS text LANGUAGE sql AS $$SELECT '2'$$;
	  CREATE FUNCTION tenant_guard.other() RETURNS text LANGUAGE sql AS $$SELECT '2'$$;
	  ALTER FUNCTION tenant_guard.tenant() OWNER TO regress_attacker;
	  INSERT INTO tenant_guard.registry (relation, tenant_column, set_not_null, enabled_rls, forced_rls)
	    VALUES ('attacker.my_orders', 'tenant_id', true, true, true);
	  DELETE FROM tenant_guard.registry;
	  UPDATE tenant_guard.registry SET tenant_column = 'id';
	  DROP EXTENSION tenant_guard CASCADE;},
	errors => [
		'42501: permission denied for schema tenant_guard',
		'42501: permission denied for schema tenant_guard',
		'42501: must be owner of function tenant',
		'42501: permission denied for table registry',
		'42501: permission denied for table registry',
		'42501: permission denied for table registry',
		'2BP01: cannot drop extension tenant_guard while it protects tables'
	]);

#
# SQL-injection-shaped arguments to every function the extension exposes.
#
my ($functions) = run_sql($admin,
	q{SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p
	  WHERE p.pronamespace = 'tenant_guard'::regnamespace});
is($functions,
	'audit,claim,fill_tenant,isolation_intact,policy_enforces_tenant,protect,set_tenant,set_tenant,set_tenant,set_tenant,set_tenant,set_tenant_token,shard_findings,shard_state,stats_info,stats_reset,status,tenant,tenant_stats,unprotect,violations',
	'injection: the functions the extension exposes');
# shard_state() runs on the nodes of a Citus cluster as audit()'s caller;
# without Citus shard_findings() finds nothing
attack(
	'injection: shard_state() with SQL in its arguments reads the catalogs only',
	q{SELECT tenant_guard.shard_state(E'orders\'; DROP TABLE customers; --', 'tenant_id', NULL);
	  SELECT tenant_guard.shard_state('public.no_such_shard', 'tenant_id', NULL),
	    tenant_guard.shard_state('public.orders', E'tenant_id\'; DROP TABLE customers; --',
	      E'x\'); DROP TABLE customers; --') LIKE 'tenant column %',
	    (SELECT count(*) FROM tenant_guard.shard_findings());},
	output => "the shard does not exist\nthe shard does not exist|t|0");
attack(
	'injection: set_tenant() with SQL in the value sets that string, nothing else',
	q{BEGIN;
	  SELECT tenant_guard.set_tenant(E'2\'; DROP TABLE customers; --');
	  SELECT id, item FROM orders ORDER BY id;
	  ROLLBACK;},
	output => "2'; DROP TABLE customers; --",
	errors => [q{22P02: invalid input syntax for type integer: "2'; DROP TABLE customers; --"}]);
attack('set_tenant(): switching to tenant 2 (integer)',
	pinned('SELECT tenant_guard.set_tenant(2);'), errors => [$switch]);
attack('set_tenant(): switching to tenant 2 (bigint)',
	pinned('SELECT tenant_guard.set_tenant(2::bigint);'), errors => [$switch]);
attack('set_tenant(): switching to tenant 2 (text)',
	pinned(q{SELECT tenant_guard.set_tenant('2'::text);}), errors => [$switch]);
attack('set_tenant(): outside a transaction block',
	q{SELECT tenant_guard.set_tenant(2);},
	errors => ['25P01: tenant_guard.set_tenant() can only be used in transaction blocks']);
# set_tenant_token() and claim(): this server has no token keys, so no
# token can set a tenant; an unsigned one naming tenant 2, or SQL in the
# token or the claim's name, sets nothing and reads nothing.
my $unsigned_2 = 'eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiIyIiwiZXhwIjozNDcxMjkyODAwfQ.';
my $hs256_2 = 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiIyIiwiZXhwIjozNDcxMjkyODAwfQ.c2lnbmF0dXJl';
attack(
	'injection: set_tenant_token() with SQL or an unsigned token sets no tenant',
	qq{BEGIN; SELECT tenant_guard.set_tenant_token(E'2\\'; DROP TABLE customers; --'); ROLLBACK;
	  BEGIN; SELECT tenant_guard.set_tenant_token('$unsigned_2'); ROLLBACK;
	  BEGIN; SELECT tenant_guard.set_tenant_token('$hs256_2'); ROLLBACK;
	  BEGIN; SELECT tenant_guard.set_tenant_token(repeat('$unsigned_2', 200)); ROLLBACK;
	  BEGIN;
	  SELECT tenant_guard.claim(E'tenant\\'; DROP TABLE customers; --') IS NULL,
	         tenant_guard.claim('tenant') IS NULL, tenant_guard.claim(NULL) IS NULL;
	  SELECT id, item FROM orders ORDER BY id;
	  ROLLBACK;},
	output => 't|t|t',
	errors => [
		'42501: tenant token is malformed',
		'42501: tenant token algorithm is not accepted',
		'55000: no key is configured for HS256 tenant tokens',
		'42501: tenant token is too long',
		'42501: tenant context required for table "public.orders"'
	]);
attack('fill_tenant(): a NULL tenant column gets the request\'s own tenant',
	pinned(q{INSERT INTO orders VALUES (41, NULL, 'filled') RETURNING id, tenant_id;}),
	output => '41|1');
attack('fill_tenant(): not callable as a function',
	q{SELECT tenant_guard.fill_tenant();},
	errors => ['39P01: tenant_guard.fill_tenant() must be fired BEFORE INSERT FOR EACH ROW']);
attack(
	'injection: protect() with SQL in the table name',
	q{SELECT tenant_guard.protect('orders; DROP TABLE customers');
	  SELECT tenant_guard.protect('"orders"; --');
	  SELECT tenant_guard.protect(E'x\'); DROP TABLE orders; --');
	  SELECT tenant_guard.protect('orders', 'tenant_id); DROP TABLE customers; --');
	  SELECT tenant_guard.unprotect('orders;DROP TABLE customers');},
	errors => [
		'42602: invalid name syntax',
		'42602: invalid name syntax',
		'42602: invalid name syntax',
		'42501: must be owner of table orders',
		'42602: invalid name syntax'
	]);
attack(
	'injection: protect() and unprotect() of tables the attacker does not own',
	q{SELECT tenant_guard.protect('public.orders');
	  SELECT tenant_guard.unprotect('public.orders');
	  SELECT tenant_guard.unprotect('public.events_a');
	  SELECT tenant_guard.protect('public.legacy_2');
	  SELECT tenant_guard.protect('public.ledger_old', 'tenant_id');
	  SELECT tenant_guard.protect('pg_catalog.pg_class', 'relname');},
	errors => [
		'42501: must be owner of table orders',
		'42501: must be owner of table orders',
		'42501: must be owner of table events_a',
		'42501: must be owner of table legacy_2',
		'42501: must be owner of table ledger_old',
		'42501: cannot protect system catalog "pg_catalog.pg_class"'
	]);
attack(
	'injection: NULL and very long names',
	q{SELECT tenant_guard.protect(NULL) IS NULL, tenant_guard.unprotect(NULL) IS NULL,
	    tenant_guard.protect('attacker.my_orders', NULL) IS NULL,
	    tenant_guard.policy_enforces_tenant(NULL, NULL) IS NULL,
	    tenant_guard.isolation_intact(NULL) IS NULL;
	  SELECT tenant_guard.protect(repeat('x', 5000));},
	output => 't|t|t|t|t',
	errors => [ '42P01: relation "' . ('x' x 63) . '" does not exist' ]);
attack(
	'injection: audit() and policy_enforces_tenant()',
	q{SELECT (SELECT count(*) FROM tenant_guard.audit(E'tenant_id\'; DROP TABLE orders; --'))
	    = (SELECT count(*) FROM tenant_guard.audit('no_such_column'));
	  SELECT count(*) > 0 FROM tenant_guard.audit(NULL);
	  SELECT (SELECT count(*) FROM tenant_guard.audit(repeat('"; DROP TABLE orders; --', 400)))
	    = (SELECT count(*) FROM tenant_guard.audit('no_such_column'));
	  SELECT tenant_guard.policy_enforces_tenant(0, 'tenant_id') IS NOT TRUE;
	  SELECT bool_or(tenant_guard.policy_enforces_tenant(oid, E'tenant_id"; DROP TABLE orders; --')) IS NOT TRUE
	    FROM pg_policy;},
	output => "t\nt\nt\nt\nt");
# The statistics take no arguments; what they show a tenant is the attack.
attack(
	'statistics: no other tenant\'s row, no other role\'s violation, no sample, no reset',
	pinned(q{SELECT count(*) FROM tenant_guard.tenant_stats WHERE tenant <> '1';
	  SELECT count(*) FROM tenant_guard.tenant_stats() WHERE tenant <> '1';
	  SELECT count(*) FROM tenant_guard.violations
	   WHERE sample IS NOT NULL OR role_name <> current_user;})
	  . q{SELECT count(*) FROM tenant_guard.tenant_stats;
	  SELECT tenant_guard.stats_reset();},
	output => "0\n0\n0\n0",
	errors => ['42501: permission denied for function stats_reset']);

# The attacker's own table, named to break any SQL built by pasting names.
my $evil_table = q{"o'); DROP TABLE public.orders; --"};
my $evil_column = q{"t""; DROP TABLE public.customers; --"};
my $evil_literal = q{'attacker."o''); DROP TABLE public.orders; --"'};
attack(
	'injection: the attacker\'s own table, with a name made of SQL',
	qq{CREATE TABLE attacker.$evil_table ($evil_column int NOT NULL, "ténant ☃" int, body text);
	   INSERT INTO attacker.$evil_table VALUES (1, 1, 'own-1');},
	session => $attacker);
my ($audit_fix) = run_sql($admin,
	q{SELECT fix FROM tenant_guard.audit('t"; DROP TABLE public.customers; --')
	  WHERE finding = 'rls_disabled' AND object_name LIKE 'attacker.%'});
is( $audit_fix,
	q{SELECT tenant_guard.protect('attacker."o''); DROP TABLE public.orders; --"', 't"; DROP TABLE public.customers; --');},
	'injection: audit() quotes the name in its fix');
attack('injection: a superuser runs audit()\'s fix', $audit_fix,
	session => $admin);
attack(
	'injection: the table protected by the fix keeps tenants apart',
	pinned(qq{SELECT body FROM attacker.$evil_table;\nINSERT INTO attacker.$evil_table VALUES (2, 2, 'planted');}),
	output => 'own-1',
	errors => [
		qq{42501: new row violates row-level security policy "tenant_guard_isolation" for table "o'); DROP TABLE public.orders; --"}
	]);
attack(
	'injection: unprotect() and protect() by the attacker with such names',
	qq{SELECT tenant_guard.unprotect($evil_literal);
	   SELECT tenant_guard.protect($evil_literal, 'ténant ☃');
	   SELECT tenant_guard.protect($evil_literal, 't"; DROP TABLE public.customers; --');
	   SELECT tenant_guard.protect($evil_literal, repeat('y', 1000));},
	errors => [
		qq{55000: table "attacker.o'); DROP TABLE public.orders; --" is already protected with tenant column "ténant ☃"},
		'42703: column "' . ('y' x 63) . qq{" of table "attacker.o'); DROP TABLE public.orders; --" does not exist}
	],
	output => "\n");
attack(
	'injection: the tenant value itself',
	q{BEGIN;
	  SET LOCAL app.current_tenant = $$1'); DROP TABLE orders; --$$;
	  SELECT tenant_guard.tenant(), (SELECT tenant FROM tenant_guard.status());
	  SELECT count(*) FROM notes;
	  SELECT count(*) FROM orders;
	  ROLLBACK;
	  BEGIN;
	  SELECT set_config('app.current_tenant', repeat('9', 10000), true) = repeat('9', 10000);
	  SELECT count(*) FROM notes;
	  SET LOCAL app.current_tenant = E'9\n"; DROP TABLE orders; --';
	  ROLLBACK;},
	output => "1'); DROP TABLE orders; --|1'); DROP TABLE orders; --\n0\nt\n0",
	errors => [
		q{22P02: invalid input syntax for type integer: "1'); DROP TABLE orders; --"},
		'42501: cannot change tenant from "' . ('9' x 10000) . qq{" to "9}
	]);

#
# Existence oracles: PostgreSQL's own, out of scope, asserted as they are.
# Keys that lead with the tenant column leave nothing to probe.
#
attack(
	'oracle (PostgreSQL): a primary key without the tenant column tells a key exists',
	pinned(
		q{INSERT INTO orders (id, item) VALUES (31, 'mine') RETURNING id;
		  INSERT INTO orders (id, item) VALUES (21, 'mine') ON CONFLICT DO NOTHING RETURNING id;
		  INSERT INTO orders (id, item) VALUES (21, 'mine');}),
	output => '31',
	errors => [
		'23505: duplicate key value violates unique constraint "orders_pkey"'
	],
	stderr_unlike => qr/DETAIL/);
attack(
	'oracle (PostgreSQL): none with a primary key (tenant_id, id)',
	pinned(
		q{INSERT INTO payments (id, customer_id, note) VALUES (21, 11, 'mine') RETURNING tenant_id, id;
		  INSERT INTO payments (id, customer_id, note) VALUES (22, 11, 'mine')
		    ON CONFLICT DO NOTHING RETURNING tenant_id, id;}),
	output => "1|21\n1|22");
attack(
	'oracle (PostgreSQL): EXPLAIN ANALYZE of a key lookup',
	pinned(
		"SET LOCAL enable_seqscan = off;\nSET LOCAL enable_bitmapscan = off;\n"
		  . "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) SELECT * FROM visits WHERE id = 1001;\n"
		  . 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) SELECT * FROM payments WHERE id = 21;'),
	explain => 1,
	output => join("\n",
		'Index Scan using visits_pkey on visits (actual rows=0 loops=1)',
		'  Index Cond: (id = 1001)',
		'  Filter: (tenant_id = (InitPlan 1).col1)',
		'  Rows Removed by Filter: 1',
		'  InitPlan 1',
		'    ->  Result (actual rows=1 loops=1)',
		'Index Scan using payments_pkey on payments (actual rows=0 loops=1)',
		'  Index Cond: ((tenant_id = (InitPlan 1).col1) AND (id = 21))',
		'  InitPlan 1',
		'    ->  Result (actual rows=1 loops=1)'));
attack(
	'oracle (PostgreSQL): a foreign key without the tenant column',
	pinned(
		q{INSERT INTO invoices (id, customer_id, note) VALUES (31, 21, 'mine') RETURNING id, tenant_id;
		  INSERT INTO invoices (id, customer_id, note) VALUES (32, 99, 'mine');}),
	output => '31|1',
	errors => [
		'23503: insert or update on table "invoices" violates foreign key constraint "invoices_customer_id_fkey"'
	]);
my ($fk_finding) = run_sql($admin,
	q{SELECT finding, object_name FROM tenant_guard.audit() WHERE finding = 'foreign_key_without_tenant'});
is( $fk_finding,
	'foreign_key_without_tenant|invoices_customer_id_fkey ON public.invoices',
	'oracle: audit() reports that foreign key');
attack(
	'oracle: none with a foreign key (tenant_id, customer_id)',
	pinned(
		q{SAVEPOINT s;
		  INSERT INTO payments (id, customer_id, note) VALUES (31, 21, 'mine');
		  ROLLBACK TO SAVEPOINT s;
		  INSERT INTO payments (id, customer_id, note) VALUES (32, 99, 'mine');}),
	errors => [
		'23503: insert or update on table "payments" violates foreign key constraint "payments_tenant_id_customer_id_fkey"',
		'23503: insert or update on table "payments" violates foreign key constraint "payments_tenant_id_customer_id_fkey"'
	],
	stderr_like =>
	  qr/\A(?:(?!Key).)*DETAIL:  Key is not present in table "customers"\.(?:(?!Key).)*DETAIL:  Key is not present in table "customers"\.(?:(?!Key).)*\z/s);
attack(
	'oracle (PostgreSQL): an exclusion constraint across tenants tells a conflict exists, not what',
	pinned(q{INSERT INTO bookings (id, during, note) VALUES (31, '[15,16)', 'mine');}),
	errors => [
		'23P01: conflicting key value violates exclusion constraint "bookings_during_excl"'
	],
	stderr_unlike => qr/10,20|SECRET/);
{
	my ($estimates) = attack(
		'oracle (PostgreSQL): EXPLAIN estimates use every tenant\'s statistics',
		q{EXPLAIN SELECT * FROM visits WHERE status = 'overdue';
		  EXPLAIN SELECT * FROM visits WHERE status = 'no such status';},
		output_like => qr/^Seq Scan on visits .*\n(?:.*\n)*Seq Scan on visits /);
	my @rows = $estimates =~ /^Seq Scan on visits .*rows=(\d+)/mg;
	ok(@rows == 2 && $rows[0] > 1 && $rows[1] == 1,
		"oracle (PostgreSQL): a value common only in tenant 2's rows is estimated as common (rows=@rows)");
}
my ($mv_finding) = run_sql($admin,
	q{SELECT finding, object_name FROM tenant_guard.audit() WHERE finding = 'materialized_view'});
is( $mv_finding,
	"materialized_view|attacker.copy3\nmaterialized_view|public.order_counts",
	'oracle: audit() reports the materialized view over a tenant table');

# pg_stat_activity: another pooled connection of the same role, serving
# tenant 2, with a literal in its last query.
{
	my $victim = session('regress_attacker');
	my ($vpid) = run_sql($victim, 'SELECT pg_backend_pid()');
	my $victim_query =
	  q{SET LOCAL app.current_tenant = '2' \; SELECT count(*) FROM orders WHERE item = 'tenant-2-literal'};
	run_sql($victim, $victim_query);
	my ($seen) = run_sql($attacker,
		"SELECT query FROM pg_stat_activity WHERE pid = $vpid");
	is($seen, ($victim_query =~ s/\\;/;/r) . "\n;",
		'oracle (PostgreSQL): pg_stat_activity shows the same role\'s other sessions their last query');
	$victim->quit;
}

#
# Referential actions.  A trigger fired by ON DELETE CASCADE runs with
# PostgreSQL's "no FORCE ROW LEVEL SECURITY" flag, which the guard takes for
# a foreign key's own query when the statement looks like one (SELECT ...
# FOR KEY SHARE, UPDATE or DELETE without RETURNING).  The attacker makes
# such a cascade with temporary tables (the default TEMP privilege is all it
# needs) and runs statements of that shape from the trigger, a function in
# its own schema.  Everything the guard refuses elsewhere must be refused
# here too.  The tables are made in each attack's transaction, after its
# tenant (ON COMMIT DROP): a session holding temporary objects from before
# cannot set a tenant at all (rule 2), which would stop these attacks
# before they reach the referential action.
#
my $ri = session('regress_attacker');
run_sql(
	$ri, q{
	-- A SQL function's final SELECT runs lazily, started like a foreign
	-- key's query (EXEC_FLAG_SKIP_TRIGGERS); FOR KEY SHARE of a table the
	-- attacker owns comes first, what it means to read is in a subquery.
	CREATE TABLE attacker.mine AS SELECT 1 AS id;
	CREATE FUNCTION attacker.read_partition() RETURNS text LANGUAGE sql AS
	  $$SELECT (SELECT string_agg(item, ',') FROM public.legacy_2)
	      FROM attacker.mine FOR KEY SHARE$$;
	CREATE FUNCTION attacker.read_child() RETURNS text LANGUAGE sql AS
	  $$SELECT (SELECT string_agg(item, ',') FROM public.ledger_old)
	      FROM attacker.mine FOR KEY SHARE$$;
	CREATE FUNCTION attacker.in_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
	  q text := (SELECT t.q FROM pg_temp.todo t);
	  r record;
	BEGIN
	  IF q = 'static' THEN
	    FOR r IN SELECT item FROM public.orders FOR KEY SHARE LOOP
	      RAISE NOTICE 'row: %', r;
	    END LOOP;
	  ELSIF q ILIKE 'select%' THEN
	    FOR r IN EXECUTE q LOOP
	      RAISE NOTICE 'row: %', r;
	    END LOOP;
	  ELSE
	    EXECUTE q;
	  END IF;
	  RETURN OLD;
	END$$;
});

sub in_cascade
{
	my ($name, $q, $tenant, %expect) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $set = defined $tenant ? "SET LOCAL app.current_tenant = '$tenant';" : '';
	$q =~ s/'/''/g;
	attack(
		"referential action: $name",
		qq{BEGIN;
		$set
		CREATE TEMP TABLE ri_parent (id int PRIMARY KEY) ON COMMIT DROP;
		CREATE TEMP TABLE ri_child (id int REFERENCES ri_parent ON DELETE CASCADE)
		  ON COMMIT DROP;
		CREATE TRIGGER in_cascade BEFORE DELETE ON ri_child
		  FOR EACH ROW EXECUTE FUNCTION attacker.in_cascade();
		CREATE TEMP TABLE todo ON COMMIT DROP AS SELECT text '$q' AS q;
		INSERT INTO pg_temp.ri_parent VALUES (1);
		INSERT INTO pg_temp.ri_child VALUES (1);
		DELETE FROM pg_temp.ri_parent;
		COMMIT;},
		session => $ri,
		%expect);
}

in_cascade('tenant 1 reads its own rows FOR KEY SHARE',
	'static', 1, stderr_like => qr/row: \("own-1 a"\).*row: \("own-1 b"\)/s);
# PL/pgSQL cached the plan of the static query above: run again in a
# transaction without a tenant, it is not planned again, and only the
# executor can refuse it.
in_cascade('the same cached plan without a tenant',
	'static', undef, errors => [$no_tenant]);
in_cascade(
	'a superuser\'s view read FOR KEY SHARE',
	'SELECT item FROM public.all_orders FOR KEY SHARE', 1,
	errors => qr/^55000: view "public\.all_orders" reads table "public\.orders" as role "\Q$superuser\E", which bypasses row-level security$/);
in_cascade(
	'a partition without row-level security read FOR KEY SHARE',
	'SELECT item FROM public.legacy_2 FOR KEY SHARE', 1,
	errors => qr/^55000: partition "public\.legacy_2" of table "public\.legacy" has no row-level security$/);
in_cascade(
	'an inheritance child without row-level security read FOR KEY SHARE',
	'SELECT item FROM public.ledger_old FOR KEY SHARE', 1,
	errors => qr/^55000: table "public\.ledger_old" inherits from table "public\.ledger" but has no row-level security$/);
in_cascade(
	'a partition without row-level security read FOR KEY SHARE, without a tenant',
	'SELECT item FROM public.legacy_2 FOR KEY SHARE', undef,
	errors => qr/^55000: partition "public\.legacy_2" of table "public\.legacy" has no row-level security$/);
in_cascade(
	'a partition without row-level security updated',
	q{UPDATE public.legacy_2 SET item = 'overwritten'}, 1,
	errors => qr/^55000: partition "public\.legacy_2" of table "public\.legacy" has no row-level security$/);
in_cascade(
	'a superuser\'s SECURITY DEFINER function that updates',
	q{SELECT public.rename_order(21, 'overwritten')}, 1,
	errors => qr/^55000: function rename_order\(integer,text\) reads table "public\.orders" as role "\Q$superuser\E", which bypasses row-level security$/);
in_cascade(
	'a partition without row-level security read by a SQL function',
	'SELECT attacker.read_partition()', 1,
	errors => qr/^55000: partition "public\.legacy_2" of table "public\.legacy" has no row-level security$/);
in_cascade(
	'an inheritance child without row-level security read by a SQL function, without a tenant',
	'SELECT attacker.read_child()', undef,
	errors => qr/^55000: table "public\.ledger_old" inherits from table "public\.ledger" but has no row-level security$/);
$ri->quit;

#
# A pooled connection: what the attacker leaves in the session must not
# capture the rows of the next request, served to tenant 2 on the same
# connection.  The next request is the application's own, honest one:
# BEGIN; SET LOCAL app.current_tenant = '2'; SELECT ... FROM orders; COMMIT.
#
my $pool = session('regress_attacker');
my $victim_request =
  "BEGIN;\nSET LOCAL app.current_tenant = '2';\nSELECT id, item FROM orders ORDER BY id;\nCOMMIT;";
# The attacker's request cannot leave it there: the transaction that would
# leave temporary objects, or a session search_path through a schema the
# attacker can create in, cannot commit, and the abort undoes them.  The
# next request then reads its own rows, and nothing captured them.
my $victim_rows = "21|SECRET-2 a\n22|SECRET-2 b";
sub victim_reads_own_rows
{
	my ($name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($out, $errors) = run_sql($pool, $victim_request);
	is_deeply([ $out, $errors ], [ $victim_rows, [] ],
		"pooled connection: $name");
}
my $temp_left =
  '42501: cannot commit a transaction that leaves temporary objects in the session';
attack(
	'pooled connection: a request that would leave a temporary view orders cannot commit',
	pinned(
		q{CREATE TEMP TABLE loot (item text) ON COMMIT PRESERVE ROWS;
		  CREATE FUNCTION pg_temp.grab(t text) RETURNS boolean LANGUAGE sql
		    AS $$INSERT INTO pg_temp.loot VALUES (t) RETURNING true$$;
		  CREATE TEMP VIEW orders AS SELECT o.* FROM public.orders o WHERE pg_temp.grab(o.item);},
		'COMMIT'),
	session => $pool,
	errors => [$temp_left]);
victim_reads_own_rows('the next request reads its own rows through public.orders');
attack(
	'pooled connection: no temporary table is left to capture rows',
	q{SELECT to_regclass('pg_temp.loot') IS NULL;},
	session => $pool,
	output => 't');

# pg_temp comes first in the search path for types too: a temporary domain
# named text would run its CHECK in every cast to text of the next request,
# while its statements are parsed and bound, before it sets its tenant.
# Temporary types are refused when they are made.
my $temp_type = '42501: role "regress_attacker" cannot create temporary type pg_temp.text';
attack(
	'pooled connection: a request cannot make a temporary domain text',
	q{BEGIN;
	CREATE TEMP TABLE loot (item text) ON COMMIT PRESERVE ROWS;
	CREATE FUNCTION pg_temp.grab_all(v pg_catalog.text) RETURNS boolean
	  LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO pg_temp.loot VALUES (v);
	  IF tenant_guard.tenant() IS NOT NULL THEN
	    INSERT INTO pg_temp.loot SELECT o.item FROM public.orders o;
	  END IF;
	  RETURN true;
	END$$;
	CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.grab_all(VALUE));
	COMMIT;},
	session => $pool,
	errors => [$temp_type]);
attack(
	'pooled connection: the same in a transaction of its own',
	q{CREATE DOMAIN pg_temp.text AS pg_catalog.text;},
	session => $pool,
	errors => [$temp_type]);
victim_reads_own_rows('the next request reads its own rows, its casts to the built-in text');
attack(
	'pooled connection: no temporary domain is left to capture values',
	q{SELECT to_regtype('pg_temp.text') IS NULL AND to_regclass('pg_temp.loot') IS NULL;},
	session => $pool,
	output => 't');

# A session search_path through the attacker's schema would put its view
# orders in front of public.orders, and its functions in front of the
# unqualified ones (set_config) the next request calls before its tenant.
run_sql(
	$pool, pinned(
		q{CREATE TABLE attacker.loot (item text);
		  CREATE FUNCTION attacker.grab(t text) RETURNS boolean LANGUAGE sql
		    AS $$INSERT INTO attacker.loot VALUES (t) RETURNING true$$;
		  CREATE VIEW attacker.orders AS SELECT o.* FROM public.orders o WHERE attacker.grab(o.item);},
		'COMMIT'));
my $path_left =
  '42501: cannot commit a transaction that leaves search_path set to "attacker, public"';
attack(
	'pooled connection: a request that would leave a session search_path through its schema cannot commit',
	'SET search_path = attacker, public;',
	session => $pool,
	errors => [$path_left]);
attack(
	'pooled connection: the same with set_config(..., false) in a transaction',
	q{BEGIN;
	SELECT pg_catalog.set_config('search_path', 'attacker, public', false) IS NOT NULL;
	COMMIT;},
	session => $pool,
	output => 't',
	errors => [$path_left]);
victim_reads_own_rows('the next request resolves orders to public.orders');
attack(
	'pooled connection: a session search_path in front of the table captured nothing',
	pinned('SELECT item FROM attacker.loot ORDER BY item;'),
	session => $pool);
$pool->quit;

is(digest(), $digest, 'tenant 2\'s rows and schema public are as they were');

$attacker->quit;
$admin->quit;
$node->stop;
done_testing();

# tenant_guard and parallel query: a parallel worker cannot tell where the
# tenant it sees was set, so it may not change it, and statements nested in
# it may not read tables with row-level security.  Whatever the planner
# does, no row of another tenant may come back.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('parallel', 'max_worker_processes = 8',
	'max_parallel_workers = 8');

# The setting that makes the planner put a Gather on top of every plan that
# can run in a worker: force_parallel_mode, renamed debug_parallel_query in
# PostgreSQL 16.  If it did not exist, every SET below would fail and the
# checks would test nothing: fail here instead.
my $force_parallel =
  $node->pg_version >= 16 ? 'debug_parallel_query' : 'force_parallel_mode';
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_settings WHERE name = '$force_parallel'"),
	'1',
	"setting $force_parallel exists on PostgreSQL " . $node->pg_version)
  or BAIL_OUT("no setting $force_parallel: this test would test nothing");

$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
	INSERT INTO orders VALUES (1, 1, 'mine'), (2, 2, 'SECRET'), (3, 2, 'SECRET');
	SELECT tenant_guard.protect('orders');
	CREATE TABLE hand (id int, tenant_id int NOT NULL, item text);
	INSERT INTO hand VALUES (1, 1, 'mine'), (2, 2, 'SECRET');
	ALTER TABLE hand ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
	CREATE POLICY tenant ON hand
	  USING (tenant_id = current_setting('app.current_tenant')::int);
	GRANT SELECT ON orders, hand TO regress_app;
	CREATE SCHEMA app_code AUTHORIZATION regress_app;
});

# The functions belong to the application role, in a schema of its own: a
# role needs no more to write them.  (Not in pg_temp: a session holding
# temporary objects cannot set a tenant at all.)
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION app_code.peek_orders() RETURNS text LANGUAGE sql
	  PARALLEL SAFE SET app.current_tenant = '2'
	  AS $$ SELECT string_agg(item, ',' ORDER BY id) FROM public.orders $$;
	CREATE FUNCTION app_code.peek_hand() RETURNS text LANGUAGE sql
	  PARALLEL SAFE SET app.current_tenant = '2'
	  AS $$ SELECT string_agg(item, ',' ORDER BY id) FROM public.hand $$;
	CREATE FUNCTION app_code.read_orders() RETURNS text LANGUAGE sql
	  PARALLEL SAFE
	  AS $$ SELECT string_agg(item, ',' ORDER BY id) FROM public.orders $$;
}, extra_params => [ '-U', 'regress_app' ]);

# Run as the application role in one transaction that forces the query
# into a parallel worker.
sub run_parallel
{
	my ($tenant_sql, $select) = @_;
	return $node->psql(
		'postgres', qq{
		BEGIN;
		$tenant_sql
		SET LOCAL $force_parallel = on;
		SET LOCAL parallel_leader_participation = off;
		$select;
		COMMIT;
	}, extra_params => [ '-U', 'regress_app' ]);
}

# The plan of a statement under the settings run_parallel() uses (EXPLAIN
# without ANALYZE needs no tenant).
sub parallel_plan
{
	my ($select) = @_;
	return $node->safe_psql(
		'postgres', qq{
		BEGIN;
		SET LOCAL $force_parallel = on;
		SET LOCAL parallel_leader_participation = off;
		EXPLAIN (COSTS OFF) $select;
		COMMIT;
	}, extra_params => [ '-U', 'regress_app' ]);
}

my @cases = (
	[ "SET LOCAL app.current_tenant = '1';", 'SELECT app_code.peek_orders()',
		'a SET clause switching to tenant 2, protected table' ],
	[ "SET LOCAL app.current_tenant = '1';", 'SELECT app_code.peek_hand()',
		'a SET clause switching to tenant 2, hand-written policy' ],
	[ '', 'SELECT app_code.peek_orders()',
		'a SET clause setting tenant 2 where there was none' ],
	[ '', 'SELECT app_code.peek_hand()',
		'a SET clause setting tenant 2 where there was none, hand-written policy' ],
	[ "SET LOCAL app.current_tenant = '1';", 'SELECT app_code.read_orders()',
		'a plain function reading the table in a worker' ]);

foreach my $case (@cases)
{
	my ($tenant_sql, $select, $what) = @$case;
	like(parallel_plan($select), qr/Gather/,
		"$what: the plan runs in a parallel worker");
	my ($ret, $stdout, $stderr) = run_parallel($tenant_sql, $select);

	unlike($stdout, qr/SECRET/, "$what: no row of tenant 2 comes back");
	isnt($ret, 0, "$what: the statement is refused");
	like(
		$stderr,
		qr/cannot change tenant in a parallel worker|cannot check the tenant context for table "public\.(orders|hand)" in a parallel worker|cannot change tenant from "1" to "2"|tenant context for table "public\.(orders|hand)" comes from the SET clause of a function/,
		"$what: with the guard's error");
}

# The worker path was really taken: run in the leader, the plain function
# would have returned tenant 1's rows; it was refused in the worker.
my ($ret, $stdout, $stderr) = run_parallel("SET LOCAL app.current_tenant = '1';",
	'SELECT app_code.read_orders()');
like(
	$stderr,
	qr/cannot check the tenant context for table "public.orders" in a parallel worker/,
	'the function ran in a parallel worker');

# A parallel query of the table itself, which the leader checks, works,
# and really ran in a worker.  (Of the table with the hand-written policy:
# protect()'s policy calls tenant(), which is PARALLEL RESTRICTED, so a
# protected table is never read in a worker.)
($ret, $stdout, $stderr) = $node->psql(
	'postgres', qq{
	BEGIN;
	SET LOCAL app.current_tenant = '1';
	SET LOCAL $force_parallel = on;
	SET LOCAL parallel_leader_participation = off;
	SELECT string_agg(item, ',') FROM hand;
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
	  SELECT string_agg(item, ',') FROM hand;
	COMMIT;
}, extra_params => [ '-U', 'regress_app' ]);
like($stdout, qr/\Amine\n/, 'a parallel query the leader checked shows the tenant\'s rows');
like($stdout, qr/Gather.*Workers Launched: 1/s,
	'that query ran in a parallel worker');

$node->stop;
done_testing();

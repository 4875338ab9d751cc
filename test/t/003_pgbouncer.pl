# tenant_guard behind PgBouncer in transaction pooling mode.
#
# PgBouncer hands a server connection to one client's transaction after
# another, with no reset query in between.  A session-level tenant would
# follow the server connection to whichever client comes next; tenant_guard
# refuses it, so the next client starts with no tenant and is refused unless
# it sets its own.  This test starts its own PgBouncer with pools of one and
# two server connections, proves that different clients really share a
# server connection, and runs a concurrent pgbench load of requests that
# check they see exactly their tenant's rows, requests that forget the
# tenant and must be refused, and requests that try to leave a tenant
# behind, in the extended and simple protocols, and with
# TG_PGBOUNCER_PREPARED=1 (PgBouncer 1.21 and later) also with prepared
# statements through PgBouncer's max_prepared_statements.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $pgbouncer_bin = pgbouncer_binary();

my $node = preloaded_node('server');

# Tenant t owns t rows (create_orders()'s).  The policy reads the setting
# itself, so a tenant left on a server connection would show its rows to
# the next client.
my %rows = (
	1 => '11|1',
	2 => "21|2\n22|2",
	3 => "31|3\n32|3\n33|3");
create_orders($node, grant => 'SELECT');
$node->safe_psql(
	'postgres', q{
	-- which server connection served which tenant (no row-level security)
	CREATE TABLE request_log (pid int NOT NULL, tenant int NOT NULL);
	GRANT INSERT ON request_log TO regress_app;
	-- raises an error, failing the pgbench client, unless ok
	CREATE FUNCTION expect(ok boolean, what text) RETURNS boolean
	  LANGUAGE plpgsql AS $$
	BEGIN
	  IF ok IS NOT TRUE THEN
	    RAISE EXCEPTION 'isolation broken: %', what;
	  END IF;
	  RETURN true;
	END$$;
});

#
# PgBouncer, in front of the server.  Pool "postgres": one server
# connection, shared by every client.  Pool "loaddb": two, for the
# concurrent load.
#
my $bouncer = start_pgbouncer(
	$node,
	binary => $pgbouncer_bin,
	pools => [ postgres => 1, loaddb => 2 ],
	default_pool_size => 1,
	max_client_conn => 50);
my $bouncer_dir = $bouncer->basedir;

my $select = $ORDERS_SELECT;
my $no_tenant = $ORDERS_NO_TENANT;
my $session_set = '42501: cannot set "app.current_tenant" at session level';
my $session_value = '42501: "app.current_tenant" was set at session level';

# A psql client as the application role that goes on after errors and
# reports them with their SQLSTATE.
sub app_session
{
	my ($endpoint, $dbname) = @_;
	return psql_session($endpoint,
		user => 'regress_app',
		dbname => $dbname // 'postgres');
}

# Client 2's view of the shared server connection after client 1's
# request: the same server process, no tenant, and a request without one
# is refused.
my $server_pid;

sub next_client_finds_nothing
{
	my ($session, $after, %opts) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok_sql($session, 'BEGIN', '', "after $after: client 2 begins");
	ok_sql($session, 'SELECT pg_backend_pid()', $server_pid,
		"after $after: client 2 is on the same server connection")
	  unless $opts{new_server};
	ok_sql($session, 'SHOW app.current_tenant', '',
		"after $after: client 2 sees no tenant");
	ok_sql(
		$session,
		'SELECT tenant IS NULL, tenant_origin FROM tenant_guard.status()',
		't|not set', "after $after: status() shows no tenant to client 2");
	refused($session, $select, $no_tenant,
		"after $after: client 2 without a tenant is refused, not served rows");
	ok_sql($session, 'ROLLBACK', '', "after $after: client 2 rolls back");
	refused($session, $select, $no_tenant,
		"after $after: and refused outside a transaction block too");
}

#
# Two clients, one server connection.
#
my $c1 = app_session($bouncer);
my $c2 = app_session($bouncer);
($server_pid) = run_sql($c1, 'SELECT pg_backend_pid()');
like($server_pid, qr/^[0-9]+$/, 'client 1 reaches the server');
ok_sql($c2, 'SELECT pg_backend_pid()', $server_pid,
	'client 2 is served by the same server process');
is( $node->safe_psql(
		'postgres',
		q{SELECT pid FROM pg_stat_activity WHERE usename = 'regress_app'}),
	$server_pid,
	'two clients connected, one server connection');

# Client 1: a request of tenant 1.  Client 2 then forgets the tenant.
ok_sql($c1, 'BEGIN', '', 'client 1: BEGIN');
ok_sql($c1, "SET LOCAL app.current_tenant = '1'", '', 'client 1: SET LOCAL');
ok_sql($c1, $select, $rows{1}, 'client 1 sees exactly tenant 1\'s rows');
ok_sql($c1, 'SELECT pg_backend_pid()', $server_pid,
	'client 1 is on the shared server connection');
ok_sql($c1, 'COMMIT', '', 'client 1: COMMIT');
next_client_finds_nothing($c2, "client 1's request of tenant 1");

# Client 2 then sets its own tenant and sees its rows only.
ok_sql($c2, 'BEGIN', '', 'client 2: BEGIN');
ok_sql($c2, "SELECT set_config('app.current_tenant', '2', true)",
	'2', 'client 2: set_config(..., true)');
ok_sql($c2, $select, $rows{2}, 'client 2 sees exactly tenant 2\'s rows');
ok_sql($c2, 'COMMIT', '', 'client 2: COMMIT');

# Client 1's attempts to leave a tenant on the server connection.
refused($c1, "SET app.current_tenant = '1'", $session_set,
	'client 1: session-level SET is refused');
next_client_finds_nothing($c2, "client 1's refused session-level SET");

refused($c1, "SELECT set_config('app.current_tenant', '1', false)",
	$session_value, 'client 1: set_config(..., false) is refused');
next_client_finds_nothing($c2, "client 1's refused set_config(..., false)");

ok_sql($c1, 'BEGIN', '', 'client 1: BEGIN with SET LOCAL');
ok_sql($c1, "SET LOCAL app.current_tenant = '1'", '', 'client 1: SET LOCAL');
refused($c1, "SET app.current_tenant = '1'", $session_set,
	'client 1: session-level SET inside the transaction is refused');
ok_sql($c1, 'COMMIT', '', 'client 1: COMMIT of the failed transaction');
next_client_finds_nothing($c2,
	"client 1's refused session-level SET in a transaction");

# Client 1's request fails half-way.
ok_sql($c1, 'BEGIN', '', 'client 1: failing request');
ok_sql($c1, "SELECT set_config('app.current_tenant', '3', true)",
	'3', 'client 1: tenant 3');
ok_sql($c1, $select, $rows{3}, 'client 1 sees exactly tenant 3\'s rows');
refused($c1, 'SELECT 1/0', '22012: division by zero', 'client 1: an error');
ok_sql($c1, 'ROLLBACK', '', 'client 1: ROLLBACK');
next_client_finds_nothing($c2, "client 1's failed request");

# Client 1 disconnects in the middle of a request.
ok_sql($c1, 'BEGIN', '', 'client 1: request it abandons');
ok_sql($c1, "SET LOCAL app.current_tenant = '1'", '', 'client 1: tenant 1');
ok_sql($c1, $select, $rows{1}, 'client 1 sees tenant 1\'s rows');
$c1->quit;
next_client_finds_nothing($c2, 'client 1 disconnected in a transaction',
	new_server => 1);
($server_pid) = run_sql($c2, 'SELECT pg_backend_pid()');
$c1 = app_session($bouncer);
ok_sql($c1, 'SELECT pg_backend_pid()', $server_pid,
	'a new client 1 shares the server connection again');

# The extended query protocol: set_config(..., false) in an unnamed
# portal fails too (pgbench aborts the client on the error).
my $script = "$bouncer_dir/session_tenant.sql";
PostgreSQL::Test::Utils::append_to_file($script,
	"SELECT set_config('app.current_tenant', '2', false);\n");
my ($stdout, $stderr);
my $succeeded = IPC::Run::run(
	[
		$node->installed_command('pgbench'), '-n', '-M', 'extended',
		'-c', '1', '-t', '1',
		'-h', $bouncer->host, '-p', $bouncer->port, '-U', 'regress_app',
		'-f', $script, 'postgres'
	],
	'>', \$stdout, '2>', \$stderr);
ok(!$succeeded, 'extended protocol: pgbench fails');
like(
	$stderr,
	qr/ERROR:  "app.current_tenant" was set at session level/,
	'extended protocol: set_config(..., false) is refused');
next_client_finds_nothing($c2,
	'a refused set_config(..., false) in the extended protocol');

#
# Concurrent load: 8 pgbench clients over the two server connections of
# pool "loaddb", through TCP.
#
my $tenant_script = "$bouncer_dir/tenant_request.sql";
PostgreSQL::Test::Utils::append_to_file(
	$tenant_script, q{
\set t random(1, 3)
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT expect(count(*) = :t AND bool_and(tenant_id = :t),
              format('tenant %s saw %s rows of tenants %s', :t::text, count(*),
                     string_agg(DISTINCT tenant_id::text, ',')))
  FROM orders;
SELECT expect(tenant_guard.tenant() = :t::text,
              format('tenant %s has tenant() %s', :t::text, tenant_guard.tenant()));
INSERT INTO request_log VALUES (pg_backend_pid(), :t);
END;
});

# A request that forgets the tenant: the connection must carry none, and
# reading the table must be refused with the guard's error.
my $forgetful_script = "$bouncer_dir/forgetful_request.sql";
PostgreSQL::Test::Utils::append_to_file(
	$forgetful_script, q{
SELECT expect(current_setting('app.current_tenant') = '' AND tenant_guard.tenant() IS NULL,
              format('tenant %L left on the server connection',
                     current_setting('app.current_tenant')));
DO $$
BEGIN
  PERFORM count(*) FROM orders;
  RAISE EXCEPTION 'isolation broken: a request without a tenant was served';
EXCEPTION WHEN insufficient_privilege THEN
  IF SQLERRM <> 'tenant context required for table "public.orders"' THEN
    RAISE;
  END IF;
END$$;
});

# A request that tries to leave a tenant on the server connection, and
# catches the refusals (pgbench cannot go on after an error).
my $offender_script = "$bouncer_dir/offending_request.sql";
PostgreSQL::Test::Utils::append_to_file(
	$offender_script, q{
DO $$
BEGIN
  SET app.current_tenant = '1';
  RAISE EXCEPTION 'isolation broken: a session-level SET was accepted';
EXCEPTION WHEN insufficient_privilege THEN
  IF SQLERRM <> 'cannot set "app.current_tenant" at session level' THEN
    RAISE;
  END IF;
END$$;
DO $$
BEGIN
  PERFORM set_config('app.current_tenant', '2', false);
  RAISE EXCEPTION 'isolation broken: set_config(..., false) was accepted';
EXCEPTION WHEN insufficient_privilege THEN
  IF SQLERRM <> '"app.current_tenant" was set at session level' THEN
    RAISE;
  END IF;
END$$;
});

my $clients = 8;
my $per_client = 200;

# pgbench's threads.  In prepared mode, pgbench prepares each statement with
# a blocking PQprepare() the first time a client runs it, which stalls the
# client's whole thread while PgBouncer waits for a free server connection:
# with fewer server connections than threads, the clients holding them in
# a transaction can be on stalled threads, and nothing moves again.  So
# one thread per client there.
sub pgbench_threads
{
	my ($mode, $n) = @_;
	return $mode eq 'prepared' ? $n : 2;
}
my $total = $clients * $per_client;

# With PgBouncer's prepared statement support (TG_PGBOUNCER_PREPARED),
# also with protocol-level prepared statements, which PgBouncer maps onto
# whichever server connection runs the transaction.
foreach my $mode ('extended', 'simple',
	pgbouncer_prepared($pgbouncer_bin) ? ('prepared') : ())
{
	$node->safe_psql('postgres', 'TRUNCATE request_log');

	my ($out, $err) = ('', '');
	my $bench = IPC::Run::start(
		[
			$node->installed_command('pgbench'), '-n', '-M', $mode,
			'-c', $clients, '-j', pgbench_threads($mode, $clients),
			'-t', $per_client,
			'-h', '127.0.0.1', '-p', $bouncer->port, '-U', 'regress_app',
			'-f', "$tenant_script\@6", '-f', "$forgetful_script\@2",
			'-f', "$offender_script\@2", 'loaddb'
		],
		'>', \$out, '2>', \$err);

	# Meanwhile, a client on the same pool makes the real errors an
	# application would, uncaught, and then checks it keeps nothing.
	my $rogue = app_session($bouncer, 'loaddb');
	my @rogue_errors;
	for (my $i = 0; $i < 20; $i++)
	{
		my $t = 1 + $i % 3;
		my (undef, $e1) = run_sql($rogue, "SET app.current_tenant = '$t'");
		my (undef, $e2) = run_sql($rogue,
			"SELECT set_config('app.current_tenant', '$t', false)");
		my (undef, $e3) = run_sql($rogue,
			"BEGIN \\; SET LOCAL app.current_tenant = '$t' \\; SELECT 1/0");
		my (undef, $e4) = run_sql($rogue, 'ROLLBACK');
		my ($rows, $e5) = run_sql($rogue, $select);
		push @rogue_errors, [ @$e1, @$e2, @$e3, @$e4, $rows, @$e5 ];
	}
	$rogue->quit;
	is_deeply(
		\@rogue_errors,
		[
			([
				$session_set, $session_value,
				'22012: division by zero', '', $no_tenant
			]) x 20
		],
		"$mode: a client making real errors during the load keeps no tenant"
	);

	my $finished = $bench->finish;
	note "pgbench ($mode) stdout:\n$out\npgbench stderr:\n$err";
	ok($finished, "$mode: pgbench exits with status 0");
	like($out, qr/^number of transactions actually processed: $total\/$total$/m,
		"$mode: pgbench processed all $total transactions");
	like($out, qr/^number of failed transactions: 0 /m,
		"$mode: no transaction failed");
	unlike($err, qr/isolation broken|aborted|ERROR/,
		"$mode: no client saw a broken isolation or an error");

	# Every committed request of a tenant logged its server connection.
	my ($tenant_requests) =
	  $out =~ /^SQL script 1: \S+tenant_request\.sql\n - weight: 6 .*\n - (\d+) transactions/m;
	is( $node->safe_psql('postgres', 'SELECT count(*) FROM request_log'),
		$tenant_requests // 'unknown',
		"$mode: every request of a tenant committed");
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(DISTINCT pid) <= 2,
			         count(DISTINCT pid) FILTER (WHERE ntenants = 3) >= 1
			    FROM (SELECT pid, count(DISTINCT tenant) AS ntenants
			            FROM request_log GROUP BY pid) s}),
		't|t',
		"$mode: $clients clients shared at most two server connections, which served every tenant"
	);
}

# After the load, the shared connection of pool "postgres" is still clean,
# and serves the next tenant its rows.
($server_pid) = run_sql($c2, 'SELECT pg_backend_pid()');
next_client_finds_nothing($c2, 'the load');
ok_sql($c1, "BEGIN \\; SET LOCAL app.current_tenant = '3' \\; $select \\; COMMIT",
	$rows{3}, 'client 1 sees exactly tenant 3\'s rows after the load');

$c1->quit;
$c2->quit;
ok(stop_pgbouncer(), 'pgbouncer stopped on SIGTERM');
$node->stop;
done_testing();

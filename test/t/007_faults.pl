# tenant_guard: faults in the middle of guarded transactions and of
# protect() and unprotect().
#
# A statement can be cancelled (pg_cancel_backend(), statement_timeout, a
# client's cancel request) at any point, its connection terminated
# (pg_terminate_backend(), a pooler closing it), and the whole server can go
# down (pg_ctl stop -m immediate, a power cut).  Whatever is interrupted:
#
#   - a guarded transaction leaves nothing behind: the session's next
#     transaction has no tenant (it is refused without one, and may set any
#     tenant), a session-level tenant the statement set is undone, and
#     other sessions go on unaffected;
#   - protect() and unprotect() are all or nothing: after a cancel, a
#     terminated connection, or a crash and recovery, the table (with its
#     partitions) is exactly as it was before the call, or, if the call
#     committed, exactly as the call left it, never a mix; the session's
#     drift guard is back in force; and the call, retried, completes;
#   - no server process crashes: the server log is scanned after each phase.
#
# Every fault is made deterministic by stopping the statement at a known
# point and waiting until pg_stat_activity shows it there: in pg_sleep(),
# waiting for a lock another session holds, or, inside protect() and
# unprotect(), at a "fault point": an event trigger that, after the DDL
# command named by the session's fault.point setting, reports where it is
# and waits for an advisory lock the test holds.  So protect() is
# interrupted after making the tenant column NOT NULL, after its first
# policy, after creating its index but before its registry row, and between
# a partitioned table and its partitions.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = preloaded_node('faults');

#
# The server log.
#
# A crash of a server process, as the postmaster logs it: "server process
# (PID n) was terminated by signal 11: Segmentation fault" ("by exception"
# on Windows; "exited with exit code n" for any code but 0 and 1), then
# "terminating any other active server processes"; and any PANIC.  Not a
# crash, and not matched: the FATAL "terminating connection due to
# administrator command" of pg_terminate_backend(); pg_ctl stop -m
# immediate, for which the postmaster logs "received immediate shutdown
# request" and nothing about the children it stops with SIGQUIT (it logs
# their exits only when it did not ask for them); the recovery at the next
# start ("database system was not properly shut down; automatic recovery in
# progress"); and exit code 1 of a background worker, which is how one ends
# on an ERROR (the logical replication launcher at every shutdown, a
# parallel worker whose query failed).
#
my $crash_re =
  qr/^.*(?:terminated by (?:signal|exception)|exited with exit code (?!1\b)\d+|\bPANIC:  |terminating any other active server processes).*$/m;
my %log_lines = (
	'LOG:  server process (PID 42) was terminated by signal 11: Segmentation fault'
	  => 1,
	'LOG:  server process (PID 42) was terminated by signal 9: Killed' => 1,
	'LOG:  server process (PID 42) exited with exit code 2' => 1,
	'LOG:  terminating any other active server processes' => 1,
	'PANIC:  could not write to file "pg_wal/xlogtemp.42"' => 1,
	'FATAL:  terminating connection due to administrator command' => 0,
	'LOG:  received immediate shutdown request' => 0,
	'LOG:  database system was not properly shut down; automatic recovery in progress'
	  => 0,
	'LOG:  background worker "logical replication launcher" (PID 42) exited with exit code 1'
	  => 0,
	'LOG:  background worker "parallel worker" (PID 42) exited with exit code 1'
	  => 0,);
foreach my $line (sort keys %log_lines)
{
	my $prefixed = "2024-01-01 00:00:00.000 UTC [42] $line";
	if ($log_lines{$line})
	{
		like($prefixed, $crash_re, "the log scan sees a crash in: $line");
	}
	else
	{
		unlike($prefixed, $crash_re, "the log scan sees no crash in: $line");
	}
}

# Scan the part of the server log written since the last scan.
my $log_offset = 0;

sub no_crash_in_log
{
	my ($phase) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $size = -s $node->logfile;
	my @crashes = slurp_file($node->logfile, $log_offset) =~ /$crash_re/g;
	$log_offset = $size;
	is_deeply(\@crashes, [], "$phase: no server process crashed");
}

#
# Sessions.
#

# A psql session (as the application role, or as the superuser) that goes
# on after errors and reports them with their SQLSTATE.
sub session
{
	my ($user) = @_;
	return psql_session($node, user => $user);
}

sub app_session { return session('regress_app'); }

# The test's own queries run in one superuser session (a new psql for
# each would take most of the test's time); it is opened again after the
# server restarts.
my $admin;

sub admin_sql
{
	my ($sql) = @_;
	my ($out, $errors) = run_sql($admin, $sql);
	die "admin query failed: $sql: @$errors" if @$errors;
	return $out;
}

# Poll until a condition holds, as poll_query_until does, in $admin.
sub wait_until
{
	my ($condition, $what) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	until (admin_sql("SELECT $condition") eq 't')
	{
		die "timed out waiting until $what" if time > $deadline;
		usleep(10_000);
	}
}

# Send a statement without waiting for its end; return once the session's
# server process waits where $waiting, a condition on pg_stat_activity a,
# says.
sub send_and_wait
{
	my ($session, $pid, $sql, $waiting, $name) = @_;
	$session->{stderr} = '';
	$session->query_until(qr/sent\n/, "\\echo sent\n$sql;\n");
	wait_until(
		"EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = $pid AND $waiting)",
		"$name gets to its fault point");
}

my $sleeping = q{a.wait_event = 'PgSleep'};
my $at_fault_point = q{a.wait_event_type = 'Lock' AND a.wait_event = 'advisory'};

sub waiting_for_lock_on
{
	my ($relation) = @_;
	return
	  "EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted AND l.locktype = 'relation' AND l.relation = '$relation'::regclass)";
}

my $cancelled = '57014: canceling statement due to user request';
my $terminated =
  qr/FATAL:  57P01: terminating connection due to administrator command/;

# Cancel the statement a session's server process is running: the
# statement ends with this output and these errors (by default, none and
# the cancel's).
sub cancel_statement
{
	my ($session, $pid, $name, $expected_output, $expected_errors) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is(admin_sql("SELECT pg_cancel_backend($pid)"),
		't', "$name: pg_cancel_backend()");
	my ($out, $errors) = run_sql($session, '');
	is_deeply(
		{ output => $out, errors => $errors },
		{
			output => $expected_output // '',
			errors => $expected_errors // [$cancelled]
		},
		"$name: the statement ends as it should");
}

# Terminate a session's server process and wait until it is gone.
sub terminate_backend
{
	my ($pid, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is(admin_sql("SELECT pg_terminate_backend($pid)"),
		't', "$name: pg_terminate_backend()");
	wait_until("NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid)",
		"the server process of $name is gone");
}

# Wait for a psql whose connection is gone (or that is told to stop
# reading) to exit; returns its stderr.
sub session_ended
{
	my ($session) = @_;
	$session->{run}->finish;
	return $session->{stderr};
}

#
# Guarded transactions.
#
create_orders(
	$node,
	values => q{(11, 1, 'apple'), (21, 2, 'pear'), (22, 2, 'plum'), (31, 3, 'fig')},
	protect => 1);
$node->safe_psql(
	'postgres', q{
	-- sets the tenant, then sleeps: a cancel lands right after the
	-- assignment, a PL/pgSQL expression that ends no statement
	CREATE FUNCTION set_tenant_and_sleep(t text, is_local boolean)
	RETURNS void LANGUAGE plpgsql AS $$
	DECLARE x text;
	BEGIN
	  x := set_config('app.current_tenant', t, is_local);
	  PERFORM pg_sleep(60);
	END$$;
	-- the same in an exception block that catches the cancel
	CREATE FUNCTION set_tenant_and_sleep_caught(t text, is_local boolean)
	RETURNS text LANGUAGE plpgsql AS $$
	DECLARE x text;
	BEGIN
	  BEGIN
	    x := set_config('app.current_tenant', t, is_local);
	    PERFORM pg_sleep(60);
	  EXCEPTION WHEN query_canceled THEN
	    RETURN 'cancel caught';
	  END;
	  RETURN 'slept';
	END$$;
	-- sets the tenant, then sleeps in an exception block that catches the
	-- cancel
	CREATE FUNCTION set_tenant_then_sleep_caught(t text, is_local boolean)
	RETURNS text LANGUAGE plpgsql AS $$
	DECLARE x text;
	BEGIN
	  x := set_config('app.current_tenant', t, is_local);
	  BEGIN
	    PERFORM pg_sleep(60);
	  EXCEPTION WHEN query_canceled THEN
	    RETURN 'cancel caught';
	  END;
	  RETURN 'slept';
	END$$;
});

my %rows = (1 => '11|1', 2 => "21|2\n22|2", 3 => '31|3');
my $select = $ORDERS_SELECT;
my $sleep_select = 'SELECT o.id, pg_sleep(60) FROM orders o';
my $no_tenant = $ORDERS_NO_TENANT;
my $session_value = '42501: "app.current_tenant" was set at session level';
my $aborted =
  '25P02: current transaction is aborted, commands ignored until end of transaction block';

sub pinned_to
{
	my ($from, $to) = @_;
	return
	  qq{42501: cannot change tenant from "$from" to "$to" within a transaction};
}

# In a transaction pinned to a tenant whose value was rolled back (to a
# savepoint, or with an exception block): a query is refused, and so is
# another tenant.  Each refusal is rolled back to a savepoint.
sub pinned_without_tenant
{
	my ($session, $tenant, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok_sql($session, 'SAVEPOINT pinned', '', "$name: SAVEPOINT");
	refused($session, $select, $no_tenant,
		"$name: a query without the tenant is refused");
	ok_sql($session, 'ROLLBACK TO SAVEPOINT pinned', '',
		"$name: ROLLBACK TO SAVEPOINT");
	refused(
		$session,
		"SELECT set_config('app.current_tenant', '2', true)",
		pinned_to($tenant, 2),
		"$name: another tenant is refused");
	ok_sql($session, 'ROLLBACK TO SAVEPOINT pinned', '',
		"$name: ROLLBACK TO SAVEPOINT");
}

# A request of one tenant that must see exactly its rows.
sub tenant_request
{
	my ($session, $tenant, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	orders_request($session, $tenant, $rows{$tenant}, $name);
}

$admin = session();
my $app = app_session();
my $app_pid = $app->query_safe('SELECT pg_backend_pid()');

# A query of tenant 1 cancelled while it reads the protected table (it
# sleeps on its first row); the request then rolls back.
ok_sql($app, 'BEGIN', '', 'cancelled query: BEGIN');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'cancelled query: SET LOCAL');
send_and_wait($app, $app_pid, $sleep_select, $sleeping, 'cancelled query');
cancel_statement($app, $app_pid, 'cancelled query');
refused($app, $select, $aborted, 'cancelled query: the transaction is aborted');
ok_sql($app, 'ROLLBACK', '', 'cancelled query: ROLLBACK');
no_tenant_left($app, 'a cancelled query of tenant 1');
tenant_request($app, 2, 'tenant 2 after a cancelled request of tenant 1');

# statement_timeout cancels the same way.
ok_sql($app, 'BEGIN', '', 'timed out query: BEGIN');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'timed out query: SET LOCAL');
ok_sql($app, "SET LOCAL statement_timeout = '100ms'", '',
	'timed out query: SET LOCAL statement_timeout');
refused($app, $sleep_select,
	'57014: canceling statement due to statement timeout',
	'timed out query: cancelled by statement_timeout');
ok_sql($app, 'ROLLBACK', '', 'timed out query: ROLLBACK');
no_tenant_left($app, 'a timed out query of tenant 1');
tenant_request($app, 3, 'tenant 3 after a timed out request of tenant 1');

# An UPDATE of tenant 3 waiting for a row lock, cancelled; the request ends
# with COMMIT, which rolls back.
my $locker = session();
$locker->query_safe('BEGIN');
$locker->query_safe('SELECT id FROM orders WHERE id = 31 FOR UPDATE');
ok_sql($app, 'BEGIN', '', 'cancelled update: BEGIN');
ok_sql($app, "SELECT set_config('app.current_tenant', '3', true)",
	'3', 'cancelled update: set_config(..., true)');
send_and_wait(
	$app, $app_pid,
	"UPDATE orders SET item = 'changed' WHERE id = 31",
	q{a.wait_event_type = 'Lock' AND a.wait_event = 'transactionid'},
	'cancelled update');
cancel_statement($app, $app_pid, 'cancelled update');
ok_sql($app, 'COMMIT', '', 'cancelled update: COMMIT of the failed transaction');
$locker->query_safe('ROLLBACK');
is(admin_sql('SELECT item FROM orders WHERE id = 31'),
	'fig', 'cancelled update: the row is unchanged');
no_tenant_left($app, 'a cancelled update of tenant 3');
tenant_request($app, 1, 'tenant 1 after a cancelled request of tenant 3');

# Cancelled in a subtransaction: rolling back to the savepoint clears the
# tenant, and the transaction stays pinned to it (rule 3).
ok_sql($app, 'BEGIN', '', 'cancelled in a savepoint: BEGIN');
ok_sql($app, 'SAVEPOINT s', '', 'cancelled in a savepoint: SAVEPOINT');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'cancelled in a savepoint: SET LOCAL');
send_and_wait($app, $app_pid, $sleep_select, $sleeping,
	'cancelled in a savepoint');
cancel_statement($app, $app_pid, 'cancelled in a savepoint');
ok_sql($app, 'ROLLBACK TO SAVEPOINT s', '',
	'cancelled in a savepoint: ROLLBACK TO SAVEPOINT');
ok_sql($app, 'SHOW app.current_tenant', '',
	'cancelled in a savepoint: the tenant is rolled back');
pinned_without_tenant($app, 1, 'cancelled in a savepoint');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'cancelled in a savepoint: the same tenant again');
ok_sql($app, $select, $rows{1},
	'cancelled in a savepoint: sees exactly tenant 1\'s rows');
ok_sql($app, 'COMMIT', '', 'cancelled in a savepoint: COMMIT');
no_tenant_left($app, 'a request cancelled in a savepoint');
tenant_request($app, 2, 'tenant 2 after a request cancelled in a savepoint');

# Cancelled in a function, right after its set_config(..., true), outside a
# transaction block.
send_and_wait($app, $app_pid, "SELECT set_tenant_and_sleep('1', true)",
	$sleeping, 'cancelled in a function');
cancel_statement($app, $app_pid, 'cancelled in a function');
no_tenant_left($app, 'a function cancelled after setting tenant 1');
tenant_request($app, 2,
	'tenant 2 after a function cancelled after setting tenant 1');

# The function catches the cancel, in the block that set the tenant: the
# tenant is rolled back with the block, the pin stays.
ok_sql($app, 'BEGIN', '', 'cancel caught with the tenant: BEGIN');
send_and_wait($app, $app_pid, "SELECT set_tenant_and_sleep_caught('1', true)",
	$sleeping, 'cancel caught with the tenant');
cancel_statement($app, $app_pid, 'cancel caught with the tenant',
	'cancel caught', []);
ok_sql($app, 'SHOW app.current_tenant', '',
	'cancel caught with the tenant: the tenant is rolled back');
pinned_without_tenant($app, 1, 'cancel caught with the tenant');
ok_sql($app, 'ROLLBACK', '', 'cancel caught with the tenant: ROLLBACK');
no_tenant_left($app, 'a function that caught a cancel with its tenant');

# The function catches the cancel in a block after setting the tenant,
# which stays the transaction's valid tenant.
ok_sql($app, 'BEGIN', '', 'cancel caught after the tenant: BEGIN');
send_and_wait($app, $app_pid, "SELECT set_tenant_then_sleep_caught('3', true)",
	$sleeping, 'cancel caught after the tenant');
cancel_statement($app, $app_pid, 'cancel caught after the tenant',
	'cancel caught', []);
ok_sql($app, $select, $rows{3},
	'cancel caught after the tenant: sees exactly tenant 3\'s rows');
ok_sql($app, 'COMMIT', '', 'cancel caught after the tenant: COMMIT');
no_tenant_left($app, 'a function that caught a cancel after its tenant');

# A statement that set the tenant at session level is cancelled before its
# end, where the refusal would have come: the abort undoes the value.
send_and_wait($app, $app_pid,
	"SELECT set_config('app.current_tenant', '1', false), pg_sleep(60)",
	$sleeping, 'cancelled after a session-level tenant');
cancel_statement($app, $app_pid, 'cancelled after a session-level tenant');
no_tenant_left($app, 'a cancelled statement that set a session-level tenant');
send_and_wait($app, $app_pid, "SELECT set_tenant_and_sleep('2', false)",
	$sleeping, 'cancelled after a session-level tenant in a function');
cancel_statement($app, $app_pid,
	'cancelled after a session-level tenant in a function');
no_tenant_left($app,
	'a cancelled function that set a session-level tenant');
send_and_wait($app, $app_pid, "SELECT set_tenant_and_sleep_caught('3', false)",
	$sleeping, 'cancel caught with a session-level tenant');
cancel_statement($app, $app_pid, 'cancel caught with a session-level tenant',
	'cancel caught', []);
no_tenant_left($app,
	'a function that caught a cancel with its session-level tenant');

# The cancel is caught after the session-level assignment: the statement
# ends, and is refused there.
send_and_wait($app, $app_pid,
	"SELECT set_tenant_then_sleep_caught('2', false)",
	$sleeping, 'cancel caught after a session-level tenant');
cancel_statement($app, $app_pid, 'cancel caught after a session-level tenant',
	'', [$session_value]);
no_tenant_left($app,
	'a statement that set a session-level tenant and caught a cancel');
ok_sql($app, 'BEGIN', '',
	'cancel caught after a session-level tenant, in a transaction: BEGIN');
send_and_wait($app, $app_pid,
	"SELECT set_tenant_then_sleep_caught('2', false)",
	$sleeping, 'cancel caught after a session-level tenant, in a transaction');
cancel_statement($app, $app_pid,
	'cancel caught after a session-level tenant, in a transaction',
	'', [$session_value]);
ok_sql($app, 'COMMIT', '',
	'cancel caught after a session-level tenant, in a transaction: COMMIT of the failed transaction'
);
no_tenant_left($app,
	'a transaction that set a session-level tenant and caught a cancel');
tenant_request($app, 1, 'tenant 1 after the cancelled session-level tenants');

# Terminated in the middle of a query of tenant 1 with an uncommitted
# insert, while another session is in a transaction of tenant 2.
my $app2 = app_session();
ok_sql($app2, 'BEGIN', '', 'other session: BEGIN');
ok_sql($app2, "SET LOCAL app.current_tenant = '2'", '',
	'other session: SET LOCAL');
ok_sql($app2, $select, $rows{2}, 'other session: sees tenant 2\'s rows');
ok_sql($app, 'BEGIN', '', 'terminated query: BEGIN');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'terminated query: SET LOCAL');
ok_sql($app, q{INSERT INTO orders VALUES (12, 1, 'cherry')},
	'', 'terminated query: INSERT');
send_and_wait($app, $app_pid, $sleep_select, $sleeping, 'terminated query');
terminate_backend($app_pid, 'terminated query');
like(session_ended($app), $terminated,
	'terminated query: the client is told why');
ok_sql($app2, $select, $rows{2},
	'other session: its transaction goes on after the termination');
ok_sql($app2, q{INSERT INTO orders VALUES (23, 2, 'quince')},
	'', 'other session: INSERT');
ok_sql($app2, 'COMMIT', '', 'other session: COMMIT');
$rows{2} .= "\n23|2";
$app = app_session();
$app_pid = $app->query_safe('SELECT pg_backend_pid()');
no_tenant_left($app, 'a new connection after a terminated one');
tenant_request($app, 1,
	'tenant 1 after its connection was terminated (its insert is gone)');
tenant_request($app, 2, 'tenant 2 sees the other session\'s committed insert');

# Terminated while idle in a transaction of tenant 3.
ok_sql($app, 'BEGIN', '', 'terminated while idle: BEGIN');
ok_sql($app, "SET LOCAL app.current_tenant = '3'", '',
	'terminated while idle: SET LOCAL');
ok_sql($app, $select, $rows{3}, 'terminated while idle: tenant 3\'s rows');
terminate_backend($app_pid, 'terminated while idle');
session_ended($app);
ok_sql($app2, 'SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()',
	'1', 'other session: still connected');
$app = app_session();
$app_pid = $app->query_safe('SELECT pg_backend_pid()');
no_tenant_left($app, 'a new connection after a terminated idle one');
tenant_request($app, 3, 'tenant 3 after its connection was terminated');
$app->quit;
$app2->quit;
$locker->quit;

no_crash_in_log('guarded transactions');

#
# protect() and unprotect().
#
# The state of a table and its partitions, everything protect() changes:
# row-level security, policies, the tenant column's NOT NULL and default,
# indexes, the registry row (and whether protected_tables finds its
# isolation intact), and the findings of audit().
#
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION protection_state(t regclass) RETURNS text
	LANGUAGE sql AS $$
	SELECT string_agg(concat_ws(E'\n  ',
	    c.relname || ':',
	    'row-level security: ' || CASE
	      WHEN c.relrowsecurity AND c.relforcerowsecurity THEN 'enabled, forced'
	      WHEN c.relrowsecurity THEN 'enabled, not forced'
	      WHEN c.relforcerowsecurity THEN 'disabled, forced'
	      ELSE 'disabled' END,
	    'policies: ' || coalesce((
	      SELECT string_agg(p.polname || CASE WHEN p.polpermissive
	        THEN ' (permissive)' ELSE ' (restrictive)' END, ', ' ORDER BY p.polname)
	      FROM pg_policy p WHERE p.polrelid = c.oid), 'none'),
	    'tenant_id: ' || CASE WHEN a.attnotnull THEN 'not null' ELSE 'nullable' END
	      || ', default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), 'none'),
	    'indexes: ' || coalesce((
	      SELECT string_agg(i.relname || CASE WHEN x.indisvalid THEN ''
	        ELSE ' (invalid)' END, ', ' ORDER BY i.relname)
	      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
	      WHERE x.indrelid = c.oid), 'none'),
	    'registry: ' || coalesce((
	      SELECT concat_ws(', ', 'tenant column ' || r.tenant_column,
	        'through ' || r.partition_of,
	        CASE WHEN r.set_not_null THEN 'set not null' END,
	        CASE WHEN r.enabled_rls THEN 'enabled rls' END,
	        CASE WHEN r.forced_rls THEN 'forced rls' END,
	        'created ' || r.created_index,
	        'previous default ' || r.previous_default,
	        CASE WHEN pt.isolation_intact THEN 'isolation intact'
	          ELSE 'isolation NOT intact' END)
	      FROM tenant_guard.registry r
	      LEFT JOIN tenant_guard.protected_tables pt USING (relation)
	      WHERE r.relation = c.oid), 'none'),
	    'audit: ' || coalesce((
	      SELECT string_agg(f.finding, ', ' ORDER BY f.finding)
	      FROM tenant_guard.audit() f
	      WHERE f.object_name = n.nspname || '.' || c.relname), 'none')),
	  E'\n' ORDER BY c.oid <> t, c.relname)
	FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	WHERE c.oid = t
	   OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = t)
	$$;

	-- The fault point: after the DDL command the session's fault.point
	-- names, say where, and wait while the test holds advisory lock 7007.
	CREATE FUNCTION fault_point() RETURNS event_trigger
	LANGUAGE plpgsql AS $$
	DECLARE
	  what text;
	BEGIN
	  IF tg_tag IS DISTINCT FROM current_setting('fault.point', true) THEN
	    RETURN;
	  END IF;
	  SELECT string_agg(object_identity, ', ') INTO what
	    FROM pg_event_trigger_ddl_commands();
	  RAISE NOTICE 'fault point: after % %', tg_tag, coalesce(what, '');
	  PERFORM pg_advisory_xact_lock_shared(7007);
	END$$;
	CREATE EVENT TRIGGER fault_point ON ddl_command_end
	  EXECUTE FUNCTION fault_point();
});

sub protection_state
{
	my ($table) = @_;
	return admin_sql("SELECT protection_state('$table')");
}

# A table to protect: tenant_id may be NULL and has no default or index.
# A partitioned one has two partitions, NOT NULL and an index on tenant_id
# already, so that protect() of the parent locks the partitions only once
# the parent is done.
sub create_table
{
	my ($kind, $table) = @_;
	my $sql;
	if ($kind eq 'plain')
	{
		$sql = qq{
		CREATE TABLE $table (id int PRIMARY KEY, tenant_id int, item text);};
	}
	else
	{
		$sql = qq{
		CREATE TABLE $table (id int, tenant_id int NOT NULL, item text)
		  PARTITION BY LIST (tenant_id);
		CREATE TABLE ${table}_1 PARTITION OF $table FOR VALUES IN (1);
		CREATE TABLE ${table}_2 PARTITION OF $table FOR VALUES IN (2, 3);
		CREATE INDEX ON $table (tenant_id);};
	}
	admin_sql(qq{$sql
		INSERT INTO $table SELECT i, i % 3 + 1, 'item ' || i
		  FROM generate_series(1, 30) i;
		GRANT SELECT, INSERT ON $table TO regress_app;});
}

# The states protection_state() reports.
sub unprotected_state
{
	my ($kind, $table) = @_;
	if ($kind eq 'plain')
	{
		return <<"EOF";
$table:
  row-level security: disabled
  policies: none
  tenant_id: nullable, default none
  indexes: ${table}_pkey
  registry: none
  audit: rls_disabled, tenant_column_not_indexed
EOF
	}
	my $state = <<"EOF";
$table:
  row-level security: disabled
  policies: none
  tenant_id: not null, default none
  indexes: ${table}_tenant_id_idx
  registry: none
  audit: rls_disabled
EOF
	foreach my $p (1, 2)
	{
		$state .= <<"EOF";
${table}_$p:
  row-level security: disabled
  policies: none
  tenant_id: not null, default none
  indexes: ${table}_${p}_tenant_id_idx
  registry: none
  audit: none
EOF
	}
	return $state;
}

my $protected_policies =
  'tenant_guard_baseline (permissive), tenant_guard_isolation (restrictive)';
my $tenant_default = '(tenant_guard.tenant())::integer';

sub protected_state
{
	my ($kind, $table) = @_;
	if ($kind eq 'plain')
	{
		return <<"EOF";
$table:
  row-level security: enabled, forced
  policies: $protected_policies
  tenant_id: not null, default $tenant_default
  indexes: ${table}_pkey, ${table}_tenant_id_idx
  registry: tenant column tenant_id, set not null, enabled rls, forced rls, created ${table}_tenant_id_idx, isolation intact
  audit: none
EOF
	}
	my $state = <<"EOF";
$table:
  row-level security: enabled, forced
  policies: $protected_policies
  tenant_id: not null, default $tenant_default
  indexes: ${table}_tenant_id_idx
  registry: tenant column tenant_id, enabled rls, forced rls, isolation intact
  audit: none
EOF
	foreach my $p (1, 2)
	{
		$state .= <<"EOF";
${table}_$p:
  row-level security: enabled, forced
  policies: $protected_policies
  tenant_id: not null, default $tenant_default
  indexes: ${table}_${p}_tenant_id_idx
  registry: tenant column tenant_id, through $table, enabled rls, forced rls, isolation intact
  audit: none
EOF
	}
	return $state;
}

# Where each fault strikes.  An operation stops at a fault point (after the
# DDL command "point", which it reports as "reached") or waits for a lock
# another session holds on the table, or on a partition ("lock" is the
# suffix of the locked table's name).
my @faults = (
	{
		key => 'lock',
		name => 'waiting for its lock on the table',
		op => 'protect',
		kind => 'plain',
		lock => ''
	},
	{
		key => 'not_null',
		name => 'after SET NOT NULL',
		op => 'protect',
		kind => 'plain',
		point => 'ALTER TABLE',
		reached => sub { "ALTER TABLE public.$_[0]" }
	},
	{
		key => 'policy',
		name => 'after the first policy',
		op => 'protect',
		kind => 'plain',
		point => 'CREATE POLICY',
		reached => sub { "CREATE POLICY tenant_guard_isolation on public.$_[0]" }
	},
	{
		key => 'index',
		name => 'after everything but the registry row',
		op => 'protect',
		kind => 'plain',
		point => 'CREATE INDEX',
		reached => sub { "CREATE INDEX public.$_[0]_tenant_id_idx" }
	},
	{
		key => 'part',
		name => 'between a partitioned table and its partitions',
		op => 'protect',
		kind => 'partitioned',
		lock => '_2'
	},
	{
		key => 'unprotect',
		name => 'after dropping the first policy',
		op => 'unprotect',
		kind => 'plain',
		point => 'DROP POLICY',
		reached => sub { 'DROP POLICY ' }
	});

# The state a fault must leave (the state before the operation) and the
# one the operation leads to.
sub state_before
{
	my ($f, $table) = @_;
	return $f->{op} eq 'protect'
	  ? unprotected_state($f->{kind}, $table)
	  : protected_state($f->{kind}, $table);
}

sub state_after
{
	my ($f, $table) = @_;
	return $f->{op} eq 'protect'
	  ? protected_state($f->{kind}, $table)
	  : unprotected_state($f->{kind}, $table);
}

# Create the table of a fault and bring it to its state before the
# operation.
sub prepare_table
{
	my ($f, $table, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	create_table($f->{kind}, $table);
	admin_sql("SELECT tenant_guard.protect('$table')")
	  if $f->{op} eq 'unprotect';
	is(protection_state($table) . "\n",
		state_before($f, $table), "$name: the state before");
}

# Start the operation of a fault on a table in a new superuser session;
# returns the session and its server process once the operation waits at
# its fault point.  $holder takes the lock the operation is to wait for.
sub start_operation
{
	my ($f, $table, $holder, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $session = session();
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	my $sql = "SELECT tenant_guard.$f->{op}('$table')";

	if ($f->{uncommitted})
	{
		ok_sql($session, 'BEGIN', '', "$name: BEGIN");
		my ($out, $errors) = run_sql($session, $sql);
		is_deeply({ output => $out, errors => $errors },
			{ output => '', errors => [] }, "$name: $f->{op}() returns");
		return ($session, $pid);
	}
	if (defined $f->{point})
	{
		$session->query_safe("SET fault.point = '$f->{point}'");
		send_and_wait($session, $pid, $sql, $at_fault_point, $name);
		my $reached = $f->{reached}->($table);
		pump_until($session->{run}, $session->{timeout}, \$session->{stderr},
			qr/fault point: after \Q$reached\E/);
		like(
			$session->{stderr},
			qr/NOTICE:  00000: fault point: after \Q$reached\E\n/,
			"$name: $f->{op}() stops after $reached");
		return ($session, $pid);
	}
	my $locked = $table . $f->{lock};
	$holder->query_safe("LOCK TABLE $locked IN ACCESS SHARE MODE");
	send_and_wait($session, $pid, $sql, waiting_for_lock_on($locked), $name);
	if ($f->{lock} ne '')
	{
		# the parent is done: its registry row is written
		is( admin_sql(
				"SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $pid AND granted AND relation = 'tenant_guard.registry'::regclass AND mode = 'RowExclusiveLock')"
			),
			't',
			"$name: $f->{op}() waits for $locked after writing the registry row of $table"
		);
	}
	return ($session, $pid);
}

# The operation, retried after the fault, completes; and the opposite
# operation brings the table back.
sub retry_operation
{
	my ($f, $table, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	admin_sql("SELECT tenant_guard.$f->{op}('$table')");
	is(protection_state($table) . "\n",
		state_after($f, $table), "$name: $f->{op}() retried completes");
	my $opposite = $f->{op} eq 'protect' ? 'unprotect' : 'protect';
	admin_sql("SELECT tenant_guard.$opposite('$table')");
	is(protection_state($table) . "\n",
		state_before($f, $table), "$name: and $opposite() undoes it exactly");
}

# The advisory lock that holds operations at their fault points, and a
# session to hold table locks.
my $gate = session();
$gate->query_safe('SELECT pg_advisory_lock(7007)');
my $holder = session();

#
# Cancelled: the table is as before, the session's drift guard is in force
# again, and the operation succeeds when retried in the same session.
#
foreach my $f (@faults)
{
	my $table = "cancel_$f->{key}";
	my $name = "$f->{op}() cancelled $f->{name}";
	prepare_table($f, $table, $name);
	$holder->query_safe('BEGIN');
	my ($session, $pid) = start_operation($f, $table, $holder, $name);
	cancel_statement($session, $pid, $name);
	$holder->query_safe('ROLLBACK');
	is(protection_state($table) . "\n",
		state_before($f, $table), "$name: the table is exactly as before");

	my $drift_table = $f->{op} eq 'unprotect' ? $table : 'orders';
	ok_sql($session, 'BEGIN', '', "$name: BEGIN");
	refused(
		$session,
		"DROP POLICY tenant_guard_isolation ON $drift_table",
		qq{55000: cannot drop policy "tenant_guard_isolation" of protected table "public.$drift_table"},
		"$name: the drift guard is in force again in the session");
	ok_sql($session, 'ROLLBACK', '', "$name: ROLLBACK");

	ok_sql($session, 'RESET fault.point', '', "$name: RESET fault.point");
	my ($out, $errors) =
	  run_sql($session, "SELECT tenant_guard.$f->{op}('$table')");
	is_deeply({ output => $out, errors => $errors },
		{ output => '', errors => [] },
		"$name: $f->{op}() retried in the same session succeeds");
	is(protection_state($table) . "\n",
		state_after($f, $table), "$name: and completes");
	$session->quit;
	retry_operation($f, $table, "$name, then again");
}
no_crash_in_log('cancelled protect() and unprotect()');

#
# Terminated: the table is as before, and the operation succeeds when
# retried.  Also terminated after protect() returned, before COMMIT.
#
my @uncommitted = ({
	key => 'uncommitted',
	name => 'after it returned, before COMMIT',
	op => 'protect',
	kind => 'plain',
	uncommitted => 1
});
foreach my $f (@faults, @uncommitted)
{
	my $table = "terminate_$f->{key}";
	my $name = "$f->{op}() terminated $f->{name}";
	prepare_table($f, $table, $name);
	$holder->query_safe('BEGIN');
	my ($session, $pid) = start_operation($f, $table, $holder, $name);
	terminate_backend($pid, $name);
	my $stderr = session_ended($session);
	like($stderr, $terminated, "$name: the client is told why")
	  unless $f->{uncommitted};
	$holder->query_safe('ROLLBACK');
	is(protection_state($table) . "\n",
		state_before($f, $table), "$name: the table is exactly as before");
	retry_operation($f, $table, $name);
}
no_crash_in_log('terminated protect() and unprotect()');

#
# The server shut down with -m immediate while every fault above is
# pending at once, a protect() has committed, and a guarded transaction
# has an uncommitted insert.  After recovery each table is exactly as
# before its operation, the committed one exactly as protect() left it.
#
my (@pending, @sessions);
foreach my $f (@faults, @uncommitted)
{
	my $table = "crash_$f->{key}";
	prepare_table($f, $table, "crash $f->{op}() $f->{name}");
	push @pending, [ $f, $table ];
}
$holder->query_safe('BEGIN');
foreach my $p (@pending)
{
	my ($f, $table) = @$p;
	my ($session) =
	  start_operation($f, $table, $holder, "crash $f->{op}() $f->{name}");
	push @sessions, $session;
}
# A protect() that commits while they wait.  (Its state is read after the
# crash only: audit(), in protection_state(), would wait for the locks the
# pending operations hold.)
create_table('plain', 'crash_committed');
admin_sql("SELECT tenant_guard.protect('crash_committed')");
$app = app_session();
ok_sql($app, 'BEGIN', '', 'crash in a guarded transaction: BEGIN');
ok_sql($app, "SET LOCAL app.current_tenant = '1'", '',
	'crash in a guarded transaction: SET LOCAL');
ok_sql($app, q{INSERT INTO orders VALUES (13, 1, 'damson')},
	'', 'crash in a guarded transaction: INSERT');
push @sessions, $app, $gate, $holder, $admin;

no_crash_in_log('before the immediate shutdown');
$node->stop('immediate');
session_ended($_) foreach @sessions;
$node->start;
$admin = session();
ok( $node->log_contains(
		qr/received immediate shutdown request\n(?:.*\n)*.*database system was not properly shut down; automatic recovery in progress/,
		$log_offset),
	'the server was shut down with -m immediate, and recovered');

foreach my $p (@pending)
{
	my ($f, $table) = @$p;
	my $name = "crash $f->{op}() $f->{name}";
	is(protection_state($table) . "\n",
		state_before($f, $table),
		"$name: after recovery the table is exactly as before");
}
is(protection_state('crash_committed') . "\n",
	protected_state('plain', 'crash_committed'),
	'crash after COMMIT: after recovery the table is exactly as protect() left it'
);

# The committed protection works, and the guarded transaction left nothing.
$app = app_session();
no_tenant_left($app, 'recovery');
tenant_request($app, 1,
	'tenant 1 after recovery (its uncommitted insert is gone)');
ok_sql($app, 'BEGIN', '', 'crash after COMMIT: BEGIN');
refused(
	$app,
	'SELECT count(*) FROM crash_committed',
	'42501: tenant context required for table "public.crash_committed"',
	'crash after COMMIT: a query without a tenant is refused');
ok_sql($app, 'ROLLBACK', '', 'crash after COMMIT: ROLLBACK');
ok_sql(
	$app,
	"BEGIN \\; SET LOCAL app.current_tenant = '2' \\; SELECT count(*), min(tenant_id), max(tenant_id) FROM crash_committed \\; COMMIT",
	'10|2|2',
	'crash after COMMIT: tenant 2 sees exactly its rows');
$app->quit;

foreach my $p (@pending)
{
	my ($f, $table) = @$p;
	retry_operation($f, $table, "crash $f->{op}() $f->{name}");
}
no_crash_in_log('after recovery');
$admin->quit;
$node->stop;
no_crash_in_log('at the end');
done_testing();

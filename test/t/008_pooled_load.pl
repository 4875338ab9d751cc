# tenant_guard under a concurrent load through PgBouncer.
#
# PgBouncer in transaction pooling mode puts 32 and more clients on four
# server connections, so every server connection serves one client's
# transaction after another's, of one tenant after another, with no reset
# query in between.  Three phases run on the same pool:
#
#   extended  32 pgbench clients, extended query protocol, set_config(..., true)
#   simple    32 pgbench clients, simple query protocol, SET LOCAL
#   prepared  only with TG_PGBOUNCER_PREPARED=1 (PgBouncer 1.21 and later,
#             max_prepared_statements): 32 pgbench clients, protocol-level
#             prepared statements (-M prepared), set_config(..., true)
#   burst     24 pgbench clients of tenants and forgetful requests, while 8
#             pgbench clients and 4 psql clients keep trying to leave a
#             tenant on their server connection
#
# A tenant's transaction, for a random tenant, checks that it starts with no
# tenant, sets its own, reads every row of two protected tables (joined)
# and checks each row is its tenant's and their number is its tenant's, and
# inserts a row whose tenant the default fills in.  A forgetful transaction
# checks it starts with no tenant and that reading and writing the tables
# is refused with exactly the guard's error.  Each transaction records what
# it saw (server process, client, tenant, rows, foreign rows, refusals) in
# a table without row-level security and raises if anything is off, which
# fails its pgbench client.  The totals are asserted and printed at the end
# of each phase.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;
use Time::HiRes qw(time);

my $pgbouncer_bin = pgbouncer_binary();

my $started = time;

# The size of the load.
my $tenants = 120;        # tenant t owns t orders
my $pool_size = 4;        # server connections for all the clients
my $clients = 32;         # pgbench clients in each main phase
my $per_client = 125;     # transactions per client in each main phase
my $burst_clients = 24;   # clients of tenants during the burst
my $burst_per_client = 150;
my $offenders = 8;        # pgbench clients trying session-level tenants
my $offender_per_client = 75;
my $rogues = 4;           # psql clients doing the same, uncaught
my $rogue_rounds = 16;

my $node = preloaded_node('server');

# Tenant t owns t orders, and each order one to three lines: every tenant
# has a different number of rows, so rows of a wrong tenant show in the
# count as well as in the tenant column.  txn_log, without row-level
# security, is where each transaction records what it saw.
$node->safe_psql(
	'postgres', qq{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;

	CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text NOT NULL);
	CREATE TABLE order_lines (order_id int NOT NULL, line int NOT NULL,
	  tenant_id int NOT NULL, qty int NOT NULL, PRIMARY KEY (order_id, line));
	CREATE TABLE visits (id bigserial PRIMARY KEY, tenant_id int NOT NULL,
	  claimed int NOT NULL, pid int NOT NULL);
	INSERT INTO orders
	  SELECT t * 1000 + k, t, format('item %s of tenant %s', k, t)
	    FROM generate_series(1, $tenants) t, generate_series(1, t) k;
	INSERT INTO order_lines
	  SELECT o.id, l, o.tenant_id, l * 7 % 5
	    FROM orders o, generate_series(1, 1 + o.id % 3) l;
	SET client_min_messages = warning;
	SELECT tenant_guard.protect('orders');
	SELECT tenant_guard.protect('order_lines');
	SELECT tenant_guard.protect('visits');
	RESET client_min_messages;
	GRANT SELECT ON orders, order_lines TO regress_app;
	GRANT INSERT ON visits TO regress_app;
	GRANT USAGE ON SEQUENCE visits_id_seq TO regress_app;

	CREATE TABLE tenant_counts AS
	  SELECT o.tenant_id AS tenant, count(DISTINCT o.id) AS n_orders, count(*) AS n_lines
	    FROM orders o JOIN order_lines l ON l.order_id = o.id
	   GROUP BY o.tenant_id;
	GRANT SELECT ON tenant_counts TO regress_app;

	CREATE TABLE txn_log (
	  id bigserial PRIMARY KEY,
	  phase int NOT NULL,
	  kind text NOT NULL,          -- tenant, forgetful, offender
	  client int NOT NULL,
	  pid int NOT NULL,            -- server process
	  tenant int,
	  start_tenant text NOT NULL,  -- the setting when the transaction began
	  now_tenant text,             -- tenant_guard.tenant() once set
	  orders_seen int,
	  foreign_orders int,
	  lines_seen int,
	  foreign_lines int,
	  refused int,
	  attempt_pid int,             -- offenders: where they tried
	  attempt_seq bigint);
	GRANT SELECT, INSERT, UPDATE ON txn_log TO regress_app;
	GRANT USAGE ON SEQUENCE txn_log_id_seq TO regress_app;

	-- raises an error, failing the pgbench client, unless ok
	CREATE FUNCTION expect(ok boolean, what text) RETURNS boolean
	  LANGUAGE plpgsql AS \$\$
	BEGIN
	  IF ok IS NOT TRUE THEN
	    RAISE EXCEPTION 'isolation broken: %', what;
	  END IF;
	  RETURN true;
	END\$\$;

	-- A request without a tenant: reading either table and writing one are
	-- refused with exactly the guard's error.  Returns the refusals.
	CREATE FUNCTION try_without_tenant() RETURNS int
	  LANGUAGE plpgsql AS \$\$
	DECLARE
	  refused int := 0;
	BEGIN
	  BEGIN
	    PERFORM count(*) FROM orders;
	    RAISE EXCEPTION 'isolation broken: orders read without a tenant';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> 'tenant context required for table "public.orders"' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  BEGIN
	    PERFORM count(*) FROM order_lines;
	    RAISE EXCEPTION 'isolation broken: order_lines read without a tenant';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> 'tenant context required for table "public.order_lines"' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  BEGIN
	    INSERT INTO visits (claimed, pid) VALUES (0, pg_backend_pid());
	    RAISE EXCEPTION 'isolation broken: visits written without a tenant';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> 'tenant context required for table "public.visits"' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  RETURN refused;
	END\$\$;

	-- An offender: every way to leave tenant t on the server connection,
	-- each refusal caught (pgbench cannot go on after an error), then a
	-- request of tenant t that fails half-way.  Returns the refusals.
	CREATE FUNCTION try_session_tenant(t int) RETURNS int
	  LANGUAGE plpgsql AS \$\$
	DECLARE
	  refused int := 0;
	BEGIN
	  BEGIN
	    EXECUTE format('SET app.current_tenant = %L', t);
	    RAISE EXCEPTION 'isolation broken: a session-level SET was accepted';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> 'cannot set "app.current_tenant" at session level' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  BEGIN
	    EXECUTE format('SET SESSION app.current_tenant = %L', t);
	    RAISE EXCEPTION 'isolation broken: SET SESSION was accepted';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> 'cannot set "app.current_tenant" at session level' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  BEGIN
	    PERFORM set_config('app.current_tenant', t::text, false);
	    RAISE EXCEPTION 'isolation broken: set_config(..., false) was accepted';
	  EXCEPTION WHEN insufficient_privilege THEN
	    IF SQLERRM <> '"app.current_tenant" was set at session level' THEN
	      RAISE;
	    END IF;
	    refused := refused + 1;
	  END;
	  RESET app.current_tenant;
	  SET app.current_tenant = '';
	  BEGIN
	    PERFORM set_config('app.current_tenant', t::text, true);
	    PERFORM expect((SELECT count(*) FROM orders) = t,
	                   format('offender of tenant %s saw another tenant''s orders', t));
	    PERFORM 1 / 0;
	  EXCEPTION WHEN division_by_zero THEN
	    NULL;
	  END;
	  PERFORM expect(current_setting('app.current_tenant') = '',
	                 format('tenant %L after a failed request', current_setting('app.current_tenant')));
	  RETURN refused;
	END\$\$;
});

#
# PgBouncer, in front of the server: one pool of $pool_size server
# connections for all the clients.
#
my $bouncer = start_pgbouncer(
	$node,
	binary => $pgbouncer_bin,
	pools => [ loaddb => $pool_size ],
	default_pool_size => $pool_size,
	max_client_conn => $clients + $offenders + $rogues + 20);
my $bouncer_dir = $bouncer->basedir;

my $no_tenant = '42501: tenant context required for table "public.orders"';
my $session_set = '42501: cannot set "app.current_tenant" at session level';
my $session_value = '42501: "app.current_tenant" was set at session level';

#
# pgbench scripts.  :phase comes from -D; client numbers are offset so that
# the two pgbench processes of the burst do not share them.
#

# Write a script file of that name, which must be new.
sub write_script
{
	my ($name, $text) = @_;
	my $file = "$bouncer_dir/$name.sql";
	die "$file exists" if -e $file;
	PostgreSQL::Test::Utils::append_to_file($file, $text);
	return $file;
}

# A tenant's request.  The extended protocol cannot bind a parameter in
# SET, so it sets the tenant with set_config(); the simple one with SET
# LOCAL.
sub tenant_script
{
	my ($phase, $mode, $client_base) = @_;
	my $set_tenant =
	  $mode eq 'simple'
	  ? 'SET LOCAL app.current_tenant = :t;'
	  : q{SELECT set_config('app.current_tenant', :t::text, true);};
	return write_script(
		"tenant_${phase}_$mode", qq{
\\set t random(1, $tenants)
\\set client :client_id + $client_base
BEGIN;
INSERT INTO txn_log (phase, kind, client, pid, start_tenant)
  VALUES (:phase, 'tenant', :client, pg_backend_pid(), current_setting('app.current_tenant'))
  RETURNING id \\gset
$set_tenant
INSERT INTO visits (claimed, pid) VALUES (:t, pg_backend_pid());
UPDATE txn_log
   SET tenant = :t, now_tenant = tenant_guard.tenant(),
       orders_seen = o.n, foreign_orders = o.f, lines_seen = l.n, foreign_lines = l.f
  FROM (SELECT count(*) AS n, count(*) FILTER (WHERE tenant_id <> :t) AS f
          FROM orders) o,
       (SELECT count(*) AS n,
               count(*) FILTER (WHERE ol.tenant_id <> :t OR oo.tenant_id <> :t) AS f
          FROM orders oo JOIN order_lines ol ON ol.order_id = oo.id) l
 WHERE id = :id
RETURNING expect(start_tenant = '' AND now_tenant = tenant::text
                 AND (orders_seen, lines_seen) =
                     (SELECT n_orders, n_lines FROM tenant_counts c WHERE c.tenant = txn_log.tenant)
                 AND foreign_orders = 0 AND foreign_lines = 0,
                 format('tenant %s (client %s, server %s) started with tenant %L, has tenant() %L, saw %s orders (%s foreign) and %s lines (%s foreign)',
                        tenant, client, pid, start_tenant, now_tenant,
                        orders_seen, foreign_orders, lines_seen, foreign_lines));
END;
});
}

# A request that forgets the tenant: it must start with none and be refused.
sub forgetful_script
{
	my ($phase, $client_base) = @_;
	return write_script(
		"forgetful_$phase", qq{
\\set client :client_id + $client_base
BEGIN;
INSERT INTO txn_log (phase, kind, client, pid, start_tenant, now_tenant)
  VALUES (:phase, 'forgetful', :client, pg_backend_pid(),
          current_setting('app.current_tenant'), tenant_guard.tenant())
  RETURNING id \\gset
UPDATE txn_log SET refused = try_without_tenant()
 WHERE id = :id
RETURNING expect(start_tenant = '' AND now_tenant IS NULL AND refused = 3,
                 format('forgetful client %s (server %s) started with tenant %L, tenant() %L, %s refusals',
                        client, pid, start_tenant, now_tenant, refused));
END;
});
}

# An offender tries to leave a tenant behind; its next transaction, on
# whichever server connection, must find none.
sub offender_script
{
	my ($phase, $client_base) = @_;
	return write_script(
		"offender_$phase", qq{
\\set t random(1, $tenants)
\\set client :client_id + $client_base
SELECT try_session_tenant(:t) AS refused, pg_backend_pid() AS attempt_pid,
       nextval('txn_log_id_seq') AS attempt_seq \\gset
INSERT INTO txn_log (phase, kind, client, pid, tenant, start_tenant, now_tenant,
                     refused, attempt_pid, attempt_seq)
  VALUES (:phase, 'offender', :client, pg_backend_pid(), :t,
          current_setting('app.current_tenant'), tenant_guard.tenant(),
          :refused, :attempt_pid, :attempt_seq)
RETURNING expect(start_tenant = '' AND now_tenant IS NULL AND refused = 3,
                 format('offender %s (server %s) found tenant %L, tenant() %L after %s refusals',
                        client, pid, start_tenant, now_tenant, refused));
});
}

my $unexpected_errors = 0;
my $seed = int(rand(1 << 30));
note "pgbench --random-seed=$seed + phase";

# Start pgbench through PgBouncer's TCP port.
sub start_pgbench
{
	my (%opts) = @_;
	my $run = { out => '', err => '', total => $opts{clients} * $opts{per_client} };
	$run->{h} = IPC::Run::start(
		[
			$node->installed_command('pgbench'), '-n',
			'-M', $opts{mode},
			'-c', $opts{clients},
			# in prepared mode, pgbench prepares each statement with a
			# blocking PQprepare() the first time a client runs it, which
			# stalls the client's whole thread while PgBouncer waits for a
			# free server connection: with threads of several clients, the
			# clients holding all server connections in a transaction can
			# be stalled, and nothing moves again.  One thread per client.
			'-j', ($opts{mode} eq 'prepared' ? $opts{clients} : 2),
			'-t', $opts{per_client},
			'--random-seed=' . ($seed + $opts{phase}),
			'-D', "phase=$opts{phase}",
			'-h', '127.0.0.1', '-p', $bouncer->port, '-U', 'regress_app',
			(map { ('-f', $_) } @{ $opts{scripts} }),
			'loaddb'
		],
		'>', \$run->{out}, '2>', \$run->{err});
	return $run;
}

# Wait for pgbench; it must have run every transaction without an error.
sub finish_pgbench
{
	my ($run, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $finished = $run->{h}->finish;
	note "pgbench ($name) stdout:\n$run->{out}\npgbench stderr:\n$run->{err}";
	ok($finished, "$name: pgbench exits with status 0");
	like(
		$run->{out},
		qr/^number of transactions actually processed: $run->{total}\/$run->{total}$/m,
		"$name: pgbench processed all $run->{total} transactions");
	like($run->{out}, qr/^number of failed transactions: 0 /m,
		"$name: no transaction failed");
	unlike($run->{err}, qr/isolation broken|aborted|ERROR|FATAL/,
		"$name: no client saw a broken isolation or an error");
	diag("$name: pgbench stderr:\n$run->{err}")
	  if $run->{err} =~ /^(?!pgbench: setting random seed)./m;

	# Unexpected errors: those pgbench reported, and the transactions it
	# did not run because a client aborted.
	my ($processed) =
	  $run->{out} =~ /^number of transactions actually processed: (\d+)\//m;
	my @errors = $run->{err} =~ /(ERROR|FATAL)/g;
	$unexpected_errors += @errors + $run->{total} - ($processed // 0);
}

# The totals of a phase, from txn_log.
sub phase_numbers
{
	my ($phase) = @_;
	my @names = qw(txns tenant_txns forgetful offender rows_read cross_rows
	  wrong_counts stale_starts wrong_tenant refused tenants clients
	  servers min_tenants_per_server min_clients_per_server
	  max_tenants_per_server handoffs forgetful_after_tenant
	  after_offender after_offender_other_client);
	my $row = $node->safe_psql(
		'postgres', qq{
	WITH l AS (SELECT * FROM txn_log WHERE phase = $phase),
	per_server AS (
	  SELECT pid, count(DISTINCT tenant) AS tenants, count(DISTINCT client) AS clients
	    FROM l GROUP BY pid),
	seq AS (
	  SELECT kind, client, lag(client) OVER w AS prev_client, lag(kind) OVER w AS prev_kind
	    FROM l WINDOW w AS (PARTITION BY pid ORDER BY id)),
	after_offender AS (
	  SELECT o.client AS offender, n.client
	    FROM l o CROSS JOIN LATERAL (
	      SELECT client FROM l n
	       WHERE n.pid = o.attempt_pid AND n.id > o.attempt_seq
	       ORDER BY n.id LIMIT 1) n
	   WHERE o.kind = 'offender')
	SELECT count(*),
	       count(*) FILTER (WHERE kind = 'tenant'),
	       count(*) FILTER (WHERE kind = 'forgetful'),
	       count(*) FILTER (WHERE kind = 'offender'),
	       coalesce(sum(orders_seen + lines_seen), 0),
	       coalesce(sum(foreign_orders + foreign_lines), 0),
	       count(*) FILTER (WHERE kind = 'tenant' AND NOT EXISTS (
	         SELECT FROM tenant_counts c
	          WHERE c.tenant = l.tenant
	            AND c.n_orders = l.orders_seen AND c.n_lines = l.lines_seen)),
	       count(*) FILTER (WHERE start_tenant <> ''),
	       count(*) FILTER (WHERE now_tenant IS DISTINCT FROM
	                              CASE kind WHEN 'tenant' THEN tenant::text END),
	       coalesce(sum(refused), 0),
	       count(DISTINCT tenant) FILTER (WHERE kind = 'tenant'),
	       count(DISTINCT client),
	       count(DISTINCT pid),
	       (SELECT min(tenants) FROM per_server),
	       (SELECT min(clients) FROM per_server),
	       (SELECT max(tenants) FROM per_server),
	       (SELECT count(*) FROM seq WHERE client <> prev_client),
	       (SELECT count(*) FROM seq
	         WHERE kind = 'forgetful' AND prev_kind = 'tenant' AND client <> prev_client),
	       (SELECT count(*) FROM after_offender),
	       (SELECT count(*) FROM after_offender WHERE client <> offender)
	  FROM l});
	my %n;
	@n{@names} = split /\|/, $row;
	return \%n;
}

# Assert and print the totals of a phase.
sub check_phase
{
	my ($phase, $name, $expected_txns, %opts) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $n = phase_numbers($phase);

	is($n->{txns}, $expected_txns,
		"$name: every transaction committed and recorded what it saw");
	is_deeply(
		{
			cross_tenant_rows => $n->{cross_rows},
			wrong_row_counts => $n->{wrong_counts},
			stale_tenant_at_start => $n->{stale_starts},
			wrong_tenant_context => $n->{wrong_tenant},
		},
		{
			cross_tenant_rows => 0,
			wrong_row_counts => 0,
			stale_tenant_at_start => 0,
			wrong_tenant_context => 0,
		},
		"$name: no transaction saw another tenant's row or a tenant it did not set"
	);
	is($n->{refused}, 3 * ($n->{forgetful} + $n->{offender}),
		"$name: every forgetful and offending transaction was refused three times");
	cmp_ok($n->{forgetful}, '>', 0, "$name: forgetful transactions ran");
	cmp_ok($n->{tenants}, '>=', $tenants / 2,
		"$name: transactions of many tenants ran");

	# Sharing: few server connections, each serving many tenants and
	# clients, handed from client to client.  (In the burst, disconnecting
	# clients make PgBouncer open new server connections, which may serve
	# only a few transactions.)
	if (defined $opts{max_servers})
	{
		cmp_ok($n->{servers}, '<=', $opts{max_servers},
			"$name: at most $opts{max_servers} server connections");
		cmp_ok($n->{min_tenants_per_server}, '>=', 10,
			"$name: every server connection served many tenants");
		cmp_ok($n->{min_clients_per_server}, '>=', 2,
			"$name: every server connection served several clients");
	}
	cmp_ok($n->{forgetful_after_tenant}, '>', 0,
		"$name: forgetful transactions ran right after another client's tenant on the same server connection"
	);

	my $rows_per_txn =
	  $n->{tenant_txns} ? sprintf('%.0f', $n->{rows_read} / $n->{tenant_txns}) : 0;
	diag(
		sprintf(
			"%s: %d clients, %d transactions (%d of %d tenants, %d forgetful, %d offending), "
			  . "%d rows read (%s per tenant transaction), %d cross-tenant rows, "
			  . "%d stale tenants seen, %d refusals as expected, %d unexpected errors so far; "
			  . "%d server connections, each serving %d to %d tenants and at least %d clients, "
			  . "%d hand-offs to another client, %d forgetful transactions right after another client's tenant",
			$name, $n->{clients}, $n->{txns}, $n->{tenant_txns}, $n->{tenants},
			$n->{forgetful}, $n->{offender}, $n->{rows_read}, $rows_per_txn,
			$n->{cross_rows}, $n->{stale_starts}, $n->{refused},
			$unexpected_errors, $n->{servers},
			$n->{min_tenants_per_server}, $n->{max_tenants_per_server},
			$n->{min_clients_per_server}, $n->{handoffs},
			$n->{forgetful_after_tenant}));
	return $n;
}

my %totals;

sub add_totals
{
	my ($n) = @_;
	$totals{$_} += $n->{$_}
	  foreach qw(txns tenant_txns forgetful offender rows_read cross_rows
	  stale_starts refused);
}

#
# Phases 1 and 2: 32 clients over four server connections, extended then
# simple protocol.  Four in five transactions are a tenant's, one forgets
# the tenant.
#
my $phase = 0;
my $prepared = pgbouncer_prepared($pgbouncer_bin);
foreach my $mode ('extended', 'simple', $prepared ? ('prepared') : ())
{
	$phase++;
	my $t0 = time;
	my $run = start_pgbench(
		mode => $mode,
		phase => $phase,
		clients => $clients,
		per_client => $per_client,
		scripts =>
		  [ tenant_script($phase, $mode, 0) . '@4', forgetful_script($phase, 0) . '@1' ]);
	finish_pgbench($run, $mode);
	note sprintf('%s: %.1f s', $mode, time - $t0);
	add_totals(check_phase($phase, $mode, $run->{total}, max_servers => $pool_size));
}

#
# Phase 3, the burst: while 24 clients run tenants' and forgetful
# transactions, 8 pgbench clients try session-level tenants (caught), and 4
# psql clients make the same attempts for real, uncaught, in transactions
# that fail, and abandon transactions holding a tenant by disconnecting.
#
$phase++;

# A psql client's script, with the output and the errors it must give.
# Between attempts it checks that its own next transaction has no tenant.
sub rogue_script
{
	my ($rogue) = @_;
	my (@sql, @out, @errors);
	my $logged = "SELECT '%s', count(*) FROM txn_log WHERE phase = $phase;";

	# What the other clients have committed so far.
	push @sql, sprintf($logged, 'start');
	my $check = sub {
		my ($label) = @_;
		push @sql,
		  "SELECT '$label', current_setting('app.current_tenant') = '' AND tenant_guard.tenant() IS NULL;";
		push @out, "$label|t";
	};
	for my $i (1 .. $rogue_rounds)
	{
		my $t = 1 + ($rogue * 37 + $i * 11) % $tenants;
		my $u = 1 + $t % $tenants;

		push @sql, "SET app.current_tenant = '$t';";
		push @errors, $session_set;
		$check->("$i SET");

		push @sql, "SET SESSION app.current_tenant = '$t';";
		push @errors, $session_set;
		$check->("$i SET SESSION");

		push @sql, "SELECT set_config('app.current_tenant', '$t', false);";
		push @errors, $session_value;
		$check->("$i set_config");

		push @sql,
		  "SELECT set_config('app.current_tenant', '$t', false), set_config('app.current_tenant', '$t', true);";
		push @errors, $session_value;
		$check->("$i set_config twice");

		push @sql, "BEGIN;", "SET LOCAL app.current_tenant = '$t';",
		  "SELECT set_config('app.current_tenant', '$t', false);", "COMMIT;";
		push @errors, $session_value;
		$check->("$i set_config in a transaction");

		push @sql, "BEGIN;", "SET LOCAL app.current_tenant = '$t';",
		  "SET app.current_tenant = '$t';", "COMMIT;";
		push @errors, $session_set;
		$check->("$i SET in a transaction");

		push @sql, "BEGIN;", "SAVEPOINT s;",
		  "SELECT set_config('app.current_tenant', '$t', true);",
		  "RELEASE s;", "SELECT count(*) FROM orders;",
		  "SET app.current_tenant = '$t';", "ROLLBACK;";
		push @out, $t, $t;    # set_config()'s result, then the count
		push @errors, $session_set;
		$check->("$i SET after a savepoint");

		push @sql, "BEGIN;", "SET LOCAL app.current_tenant = '$t';",
		  "SELECT count(*) FROM orders;", "SELECT 1 / 0;", "COMMIT;";
		push @out, $t;
		push @errors, '22012: division by zero';
		$check->("$i failed request");

		push @sql, "BEGIN;",
		  "SELECT set_config('app.current_tenant', '$t', true);",
		  "SET LOCAL app.current_tenant = '$u';", "ROLLBACK;";
		push @out, $t;
		push @errors,
		  qq{42501: cannot change tenant from "$t" to "$u" within a transaction};
		$check->("$i second tenant");

		push @sql, "RESET app.current_tenant;",
		  "SET app.current_tenant = '';",
		  "SET app.current_tenant TO DEFAULT;", "DISCARD ALL;";
		$check->("$i cleared");

		push @sql, "SELECT count(*) FROM orders;";
		push @errors, $no_tenant;

		# Every fourth round, disconnect in the middle of a transaction
		# holding a tenant: PgBouncer closes that server connection.
		if ($i % 4 == 0)
		{
			push @sql, "BEGIN;", "SET LOCAL app.current_tenant = '$t';",
			  "SELECT count(*) FROM orders;", "\\connect";
			push @out, $t;
			$check->("$i reconnected");
		}
	}
	push @sql, sprintf($logged, 'end');
	my $file = write_script("rogue_$rogue", join("\n", @sql) . "\n");
	return ($file, join("\n", @out), \@errors);
}

{
	my $t0 = time;
	my $run = start_pgbench(
		mode => 'extended',
		phase => $phase,
		clients => $burst_clients,
		per_client => $burst_per_client,
		scripts => [
			tenant_script($phase, 'extended', 0) . '@4',
			forgetful_script($phase, 0) . '@1'
		]);
	my $offending = start_pgbench(
		mode => 'simple',
		phase => $phase,
		clients => $offenders,
		per_client => $offender_per_client,
		scripts => [ offender_script($phase, 1000) ]);

	my @rogue_runs;
	for my $r (1 .. $rogues)
	{
		my ($file, $expected_out, $expected_errors) = rogue_script($r);
		my $rr = {
			out => '',
			err => '',
			expected_out => $expected_out,
			expected_errors => $expected_errors
		};
		$rr->{h} = IPC::Run::start(
			[
				$node->installed_command('psql'), '-X', '-q', '-A', '-t',
				'-v', 'ON_ERROR_STOP=0', '-v', 'VERBOSITY=verbose',
				'-h', $bouncer->host, '-p', $bouncer->port,
				'-U', 'regress_app', '-d', 'loaddb', '-f', $file
			],
			'<', '/dev/null', '>', \$rr->{out}, '2>', \$rr->{err});
		push @rogue_runs, $rr;
	}

	my ($rogue_errors, $rogue_refusals) = (0, 0);
	for my $r (1 .. $rogues)
	{
		my $rr = $rogue_runs[ $r - 1 ];
		ok($rr->{h}->finish, "burst: psql client $r exits with status 0");
	}
	my $rogues_done = time - $t0;
	my $during;

	for my $r (1 .. $rogues)
	{
		my $rr = $rogue_runs[ $r - 1 ];
		my $out = $rr->{out};
		chomp $out;

		# The attempts ran while the other clients ran their transactions.
		my ($start, $end);
		$start = $1 if $out =~ s/\Astart\|(\d+)\n//;
		$end = $1 if $out =~ s/\nend\|(\d+)\z//;
		cmp_ok(($end // 0) - ($start // 0), '>', 0,
			"burst: other clients committed transactions while psql client $r made its attempts"
		);
		$during = ($end // 0) - ($start // 0)
		  if !defined $during || ($end // 0) - ($start // 0) < $during;
		my @errors = sql_errors($rr->{err});
		is($out, $rr->{expected_out},
			"burst: psql client $r got its own tenant's rows and found no tenant after each attempt"
		);
		is_deeply(\@errors, $rr->{expected_errors},
			"burst: psql client $r was refused exactly as expected");
		unlike($rr->{err}, qr/WARNING|FATAL|server closed|connection to server/,
			"burst: psql client $r had nothing else on stderr");
		$rogue_errors += @errors;
		$rogue_refusals += grep { /^42501: / } @errors;

		# Unexpected: every error out of place, and every one missing.
		my @expected = @{ $rr->{expected_errors} };
		for my $k (0 .. ($#errors > $#expected ? $#errors : $#expected))
		{
			$unexpected_errors++
			  unless defined $errors[$k]
			  && defined $expected[$k]
			  && $errors[$k] eq $expected[$k];
		}
		$unexpected_errors++ unless $rr->{h}->result == 0;
	}
	finish_pgbench($offending, 'burst offenders');
	finish_pgbench($run, 'burst');
	note sprintf('burst: psql clients done after %.1f s, all done after %.1f s',
		$rogues_done, time - $t0);

	my $n = check_phase($phase, 'burst', $run->{total} + $offending->{total});
	is($n->{offender}, $offending->{total},
		'burst: every offender found no tenant afterwards');
	cmp_ok($n->{after_offender_other_client}, '>', 0,
		"burst: other clients' transactions ran on server connections right after an offender's attempt there"
	);
	diag(
		sprintf(
			"burst: %d psql clients had %d statements fail, each with the error expected (%d refused by the guard), "
			  . "while the others committed at least %d transactions; "
			  . "%d of %d offender attempts were followed on their server connection by another client's transaction, which found no tenant",
			$rogues, $rogue_errors, $rogue_refusals, $during,
			$n->{after_offender_other_client},
			$n->{after_offender}));
	add_totals($n);
	$totals{refused} += $rogue_refusals;
}

# Every tenant's request wrote one visit, and the default gave it the
# request's tenant.
is( $node->safe_psql(
		'postgres',
		'SELECT count(*), count(*) FILTER (WHERE tenant_id <> claimed) FROM visits'),
	"$totals{tenant_txns}|0",
	'every visit written has the tenant of the request that wrote it');

diag(
	sprintf(
		"total: %d transactions (%d of tenants, %d forgetful, %d offending), %d rows read, "
		  . "%d cross-tenant rows, %d stale tenants seen, %d refusals as expected, "
		  . "%d unexpected errors, in %.1f s",
		$totals{txns}, $totals{tenant_txns}, $totals{forgetful},
		$totals{offender}, $totals{rows_read}, $totals{cross_rows},
		$totals{stale_starts}, $totals{refused}, $unexpected_errors,
		time - $started));
is($unexpected_errors, 0, 'no unexpected error in the whole run');

ok(stop_pgbouncer(), 'pgbouncer stopped on SIGTERM');
$node->stop;
done_testing();

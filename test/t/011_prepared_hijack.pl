# tenant_guard: the prepared-statement hijack on a shared connection.
#
# Drivers with a statement cache (DBD::Pg's server-side prepare, psycopg 3's
# prepare=True, node-postgres's named statements) and PgBouncer 1.21 and
# later (max_prepared_statements) keep protocol-level named statements on
# a server connection that several requests share.  A request that can run
# SQL of its choosing (an injection, with PostgreSQL's default privileges)
# finds them in pg_prepared_statements, DEALLOCATEs one and PREPAREs its own
# SQL under the same name; the next request that executes the statement by
# that name would run the attacker's SQL in its own transaction, with its
# own tenant.  Injected SQL can only make statements with SQL PREPARE, so a
# statement made that way in an earlier transaction does not run at all,
# before any of it runs: a hijacked statement could otherwise erase its
# traces before the tenant is set, or capture the parameters of a request
# that never sets one.  Here a real driver keeps real
# protocol-level statements on one connection, the attacker's request
# replaces them, and the victim's next request must be refused before any
# row of its tenant is read or written: its rows stay as they were, and
# the attacker's loot stays empty.  PgBouncer itself: 012_pgbouncer_prepared.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('hijack');

create_orders(
	$node,
	values => q{(11, 1, 'apple'), (12, 1, 'fig'), (21, 2, 'pear'), (22, 2, 'plum')},
	protect => 1,
	grant => 'SELECT, UPDATE');
# a schema the attacker can create functions in (a table owner's, say)
$node->safe_psql('postgres',
	'CREATE SCHEMA attacker AUTHORIZATION regress_app');

my $all_rows = $node->safe_psql('postgres',
	'SELECT id, tenant_id, item FROM orders ORDER BY id');
sub rows_unchanged
{
	my ($name) = @_;
	is( $node->safe_psql(
			'postgres', 'SELECT id, tenant_id, item FROM orders ORDER BY id'),
		$all_rows,
		"$name: every tenant's rows are as they were");
}

# (the first statement the victim runs is the hijacked one that sets the
# tenant: it does not run at all)
my $refusal =
  qr/^42501: cannot execute prepared statement "[^"]+" made with PREPARE in an earlier transaction$/;

#
# DBD::Pg: statements with placeholders are prepared on the server, as
# named protocol-level statements (dbdpg_p<pid>_<n>), and reused.
# (test/run_all.sh installs it, Debian's libdbd-pg-perl.)
#
SKIP:
{
	skip 'DBD::Pg not found: install libdbd-pg-perl', 10
	  unless eval { require DBI; require DBD::Pg; 1 };
	my $dsn = 'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port;
	my $dbh = DBI->connect($dsn, 'regress_app', '',
		{ AutoCommit => 1, RaiseError => 0, PrintError => 0, pg_server_prepare => 1 })
	  or die DBI->errstr;
	my %sth = (
		set => $dbh->prepare(
			q{SELECT set_config('app.current_tenant', ?, true)},
			{ pg_prepare_now => 1 }),
		update => $dbh->prepare(
			q{UPDATE orders SET item = ? WHERE id = ?},
			{ pg_prepare_now => 1 }),
		select => $dbh->prepare(
			q{SELECT item FROM orders WHERE id = ?},
			{ pg_prepare_now => 1 }));

	# one request: its tenant, then its work, each statement by name
	my $request = sub {
		my ($tenant, @work) = @_;
		$dbh->begin_work;
		my $ok = $sth{set}->execute($tenant);
		for my $step (@work)
		{
			last unless $ok;
			$ok = $step->();
		}
		if ($ok)
		{
			$dbh->commit;
			return 'ok';
		}
		my $error = $dbh->state . ': ' . ($dbh->errstr =~ s/^ERROR:  //r =~ s/\n.*//sr);
		$dbh->rollback;
		return $error;
	};
	my $victim_work = sub {
		return $sth{update}->execute('pear', 21)
		  && $sth{select}->execute(21)
		  && defined $sth{select}->fetchall_arrayref;
	};
	is($request->('2', $victim_work), 'ok', 'DBD::Pg: the victim\'s request works');

	# A protocol-level statement is judged each time it runs, by the tenant
	# of the transaction that runs it: tenant 1 running tenant 2's
	# statement sees its own rows only.
	my @seen;
	is( $request->(
			'1',
			sub {
				for my $id (11, 21)
				{
					return 0 unless $sth{select}->execute($id);
					push @seen, map { $_->[0] } @{ $sth{select}->fetchall_arrayref };
				}
				return 1;
			}),
		'ok',
		'DBD::Pg: tenant 1 runs the statements tenant 2 ran');
	is(join(',', @seen), 'apple', 'DBD::Pg: ... and sees its own rows only');

	my %names = map { $_ => $sth{$_}->{pg_prepare_name} } keys %sth;
	my ($protocol_level) = $dbh->selectrow_array(
		'SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql AND name = ANY (?)',
		undef, [ values %names ]);
	is($protocol_level, 3, 'DBD::Pg: the three statements are protocol-level named statements');

	# The attacker's request, of tenant 1: replace each statement by SQL.
	my $inject = sub {
		my %replacement = (
			set => q{(text) AS SELECT set_config('app.current_tenant', '1', true) WHERE $1 IS NOT NULL},
			update => q{(text, int) AS UPDATE orders SET item = 'hijacked' WHERE $1 IS NOT NULL AND $2 IS NOT NULL},
			select => q{(int) AS SELECT item FROM orders WHERE set_config('x.loot', coalesce(current_setting('x.loot', true), '') || item || ';', false) IS NOT NULL AND $1 IS NOT NULL});
		for my $which (sort keys %replacement)
		{
			return 0 unless defined $dbh->do(qq{DEALLOCATE "$names{$which}"});
			return 0
			  unless defined $dbh->do(qq{PREPARE "$names{$which}"$replacement{$which}});
		}
		return 1;
	};
	is($request->('1', $inject), 'ok', 'DBD::Pg: the attacker replaces the statements by SQL');

	like($request->('2', $victim_work), $refusal,
		'DBD::Pg: the victim\'s next request is refused when it runs the hijacked statement');
	my ($loot) = $dbh->selectrow_array(
		q{SELECT coalesce(current_setting('x.loot', true), '')});
	is($loot, '', 'DBD::Pg: the attacker\'s loot is empty');
	rows_unchanged('DBD::Pg');

	# The pool's reset query clears the connection; the driver then has
	# to prepare its statements again.
	ok(defined $dbh->do('DISCARD ALL'), 'DBD::Pg: DISCARD ALL works as the application role');
	my $set_again = $dbh->prepare(q{SELECT set_config('app.current_tenant', ?, true)});
	$dbh->begin_work;
	ok($set_again->execute('2'), 'DBD::Pg: after DISCARD ALL the tenant can be set');
	$dbh->rollback;
	$dbh->disconnect;
}

#
# psycopg 3 with prepare=True, on one connection that the victim's and the
# attacker's requests share.
#
SKIP:
{
	my $python = python_with_psycopg();
	skip 'psycopg 3 not found: install python3-psycopg', 5 unless defined $python;

	my $dsn = 'host=' . $node->host . ' port=' . $node->port
	  . ' dbname=postgres user=regress_app';
	my $got = run_psycopg_hijack($python, $dsn, 'same');
	is($got->{'warm-up'}, 'ok', 'psycopg: the victim\'s request works');
	is($got->{attacker}, 'ok', 'psycopg: the attacker replaces the statements by SQL');
	is($got->{replaced}, '3', 'psycopg: ... all three of them');
	like($got->{victim}, $refusal,
		'psycopg: the victim\'s next request is refused when it runs the hijacked statement');
	is($got->{loot}, '', 'psycopg: the attacker\'s loot is empty');
}
rows_unchanged('psycopg');

#
# The pool's own statement (PGBOUNCER_1, made by a protocol-level Parse on
# the shared connection) hijacked so that it does its work before any
# check at tenant assignment could see it: (a) it DEALLOCATEs itself and
# drops its function, then sets the victim's tenant and copies the
# victim's rows into a session setting; (b) it captures the victim's bind
# parameter, an API key, into session advisory locks that survive the
# abort, in a request that never sets a tenant; (c) an immutable function
# captures it so while a custom plan is made at Bind; (d) a domain's CHECK
# captures it so when Bind converts it, before the statement is planned.
# The victim commits what it can.
#
my $hijack_script = <<'PYTHON';
import sys
import psycopg
from psycopg.pq import ExecStatus

# (psycopg's own statement cache off: the DISCARD ALLs below would drop
# what it prepares at its fifth run of a query, behind its back)
conn = psycopg.connect(sys.argv[1], autocommit=True, prepare_threshold=None)
pg = conn.pgconn

ATTACKS = {
    'self-erasing': r"""BEGIN; SET LOCAL app.current_tenant = '1';
      CREATE FUNCTION pg_temp.evil(t text) RETURNS text LANGUAGE plpgsql AS $f$
      DECLARE r text;
      BEGIN
        EXECUTE 'DEALLOCATE "PGBOUNCER_1"';
        EXECUTE 'DROP FUNCTION pg_temp.evil(text)';
        PERFORM set_config('app.current_tenant', t, true);
        SELECT string_agg(item, ',') INTO r FROM public.orders;
        PERFORM set_config('x.loot', r, false);
        RETURN t;
      END $f$;
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(text) AS SELECT pg_temp.evil($1); COMMIT""",
    'self-erasing-schema': r"""BEGIN; SET LOCAL app.current_tenant = '1';
      CREATE FUNCTION attacker.evil(t text) RETURNS text LANGUAGE plpgsql AS $f$
      DECLARE r text;
      BEGIN
        EXECUTE 'DEALLOCATE "PGBOUNCER_1"';
        EXECUTE 'DROP FUNCTION attacker.evil(text)';
        PERFORM set_config('app.current_tenant', t, true);
        SELECT string_agg(item, ',') INTO r FROM public.orders;
        PERFORM set_config('x.loot', r, false);
        RETURN t;
      END $f$;
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(text) AS SELECT attacker.evil($1); COMMIT""",
    'advisory-locks': r"""DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(text) AS
        SELECT (SELECT count(pg_advisory_lock(i, ascii(substr($1, i, 1))))
                FROM generate_series(1, length($1)) i)""",
    'immutable': r"""BEGIN;
      CREATE FUNCTION pg_temp.cap(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql
        AS $f$BEGIN PERFORM pg_advisory_lock(hashtext(t)); RETURN t; END$f$;
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(text) AS
        SELECT set_config('app.current_tenant', pg_temp.cap($1), true); COMMIT""",
    'immutable-schema': r"""BEGIN;
      CREATE FUNCTION attacker.cap(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql
        AS $f$BEGIN PERFORM pg_advisory_lock(hashtext(t)); RETURN t; END$f$;
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(text) AS
        SELECT set_config('app.current_tenant', attacker.cap($1), true); COMMIT""",
    'domain': r"""BEGIN;
      CREATE DOMAIN pg_temp.cap AS text
        CHECK (pg_try_advisory_lock(hashtext(VALUE)));
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(pg_temp.cap) AS
        SELECT set_config('app.current_tenant', $1, true); COMMIT""",
    'domain-schema': r"""BEGIN;
      CREATE DOMAIN attacker.cap AS text
        CHECK (pg_try_advisory_lock(hashtext(VALUE)));
      DEALLOCATE "PGBOUNCER_1";
      PREPARE "PGBOUNCER_1"(attacker.cap) AS
        SELECT set_config('app.current_tenant', $1, true); COMMIT""",
}


def result(res):
    if res.status in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
        return 'ok'
    return '%s: %s' % (res.error_field(ord('C')).decode(),
                       res.error_field(ord('M')).decode())


def value(sql):
    return conn.execute(sql).fetchone()[0]


for name, attack in ATTACKS.items():
    conn.execute('DISCARD ALL')
    # an earlier, legitimate request: the pool prepares its statement
    print('%s-parse: %s' % (name, result(pg.prepare(
        b'PGBOUNCER_1', b"SELECT set_config('app.current_tenant', $1, true)"))))
    try:
        conn.execute(attack)
        print('%s-attacker: ok' % name)
    except psycopg.Error as e:
        print('%s-attacker: %s: %s' % (name, e.sqlstate, e.diag.message_primary))
        conn.execute('ROLLBACK')
    # the victim's request: tenant 2, by its API key for (b)
    pg.exec_(b'BEGIN')
    print('%s-victim: %s' % (name, result(pg.exec_prepared(
        b'PGBOUNCER_1', [b'key-2' if name == 'advisory-locks' else b'2']))))
    pg.exec_(b'COMMIT')
    print('%s-loot: %s' % (name, value(
        "SELECT coalesce(current_setting('x.loot', true), '')")))
    print('%s-locks: %s' % (name, value(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND pid = pg_backend_pid()")))
conn.execute('DISCARD ALL')

# A protocol-level name longer than an identifier: SQL truncates it to 63
# bytes, and Bind finds the statement by those bytes all the same.  The
# attacker's own transaction runs it once with a generic plan, so that the
# victim's Bind plans nothing and the executor is the first to see it.
LONG = 'driver_statement_' + 'x' * 60
print('long-name-parse: %s' % result(pg.prepare(
    LONG.encode(), b"SELECT set_config('app.current_tenant', $1, true)")))
conn.execute('SET plan_cache_mode = force_generic_plan')
conn.execute('BEGIN')
conn.execute('DEALLOCATE "%s"' % LONG)
conn.execute('PREPARE "%s"(text) AS SELECT pg_advisory_lock(length($1))' % LONG)
conn.execute('EXECUTE "%s"(\'x\')' % LONG)
conn.execute('SELECT pg_advisory_unlock_all()')
conn.execute('COMMIT')
pg.exec_(b'BEGIN')
print('long-name-victim: %s' % result(pg.exec_prepared(LONG.encode(), [b'2'])))
pg.exec_(b'COMMIT')
print('long-name-locks: %s' % value(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    " AND pid = pg_backend_pid()"))
conn.execute('DISCARD ALL')
PYTHON

SKIP:
{
	my $python = python_with_psycopg();
	skip 'psycopg 3 not found: install python3-psycopg', 29 unless defined $python;

	my ($stdout, $stderr) = ('', '');
	IPC::Run::run(
		[
			$python, '-c', $hijack_script,
			'host=' . $node->host . ' port=' . $node->port
			  . ' dbname=postgres user=regress_app'
		],
		'>', \$stdout, '2>', \$stderr);
	diag($stderr) if $stderr ne '';
	my %got = $stdout =~ /^(\S+): ?(.*)$/mg;
	my $executed =
	  '42501: cannot execute prepared statement "PGBOUNCER_1" made with PREPARE in an earlier transaction';
	# with a function in a schema the attacker can create in, the
	# replacement commits, and the victim's execution is refused
	for my $name ('self-erasing-schema', 'advisory-locks', 'immutable-schema')
	{
		is($got{"$name-attacker"}, 'ok', "$name: the attacker replaces PGBOUNCER_1");
		is($got{"$name-victim"}, $executed,
			"$name: the victim's Bind and Execute of PGBOUNCER_1 is refused");
		is($got{"$name-loot"}, '', "$name: the attacker's loot is empty");
		is($got{"$name-locks"}, '0', "$name: no advisory lock holds the victim's key");
	}
	# with PostgreSQL's default privileges the attacker's code can only be a
	# temporary function, and the transaction that makes it cannot commit:
	# the statement left behind (PREPARE is not transactional) calls a
	# function that is gone, and fails before it runs
	for my $name ('self-erasing', 'immutable')
	{
		is( $got{"$name-attacker"},
			'42501: cannot commit a transaction that leaves temporary objects in the session',
			"$name: the transaction that makes the attacker's temporary function cannot commit");
		like($got{"$name-victim"}, qr/^(42501|3F000): /,
			"$name: the victim's Bind and Execute of PGBOUNCER_1 fails");
		is($got{"$name-loot"}, '', "$name: the attacker's loot is empty");
		is($got{"$name-locks"}, '0', "$name: no advisory lock holds the victim's key");
	}
	is( $got{'domain-schema-attacker'},
		'42501: cannot prepare statement "PGBOUNCER_1" with parameter $1 of type attacker.cap',
		'domain: a parameter whose conversion runs the attacker\'s CHECK is refused at PREPARE');
	like($got{'domain-schema-victim'}, qr/^26000: /,
		'domain: the victim finds no statement PGBOUNCER_1');
	is($got{'domain-schema-locks'}, '0', 'domain: no advisory lock holds the victim\'s tenant');
	# a temporary domain is refused when it is made, before the attacker's
	# DEALLOCATE: the victim runs the pool's own statement
	is( $got{'domain-attacker'},
		'42501: role "regress_app" cannot create temporary type pg_temp.cap',
		'temporary domain: refused when it is made');
	is($got{'domain-victim'}, 'ok', 'temporary domain: the victim runs the pool\'s statement');
	is($got{'domain-locks'}, '0', 'temporary domain: no advisory lock holds the victim\'s tenant');
	is($got{'domain-parse'}, 'ok', 'the pool\'s statement is prepared at the protocol level');
	like(
		$got{'long-name-victim'},
		qr/^42501: cannot execute prepared statement "driver_statement_x+" made with PREPARE in an earlier transaction$/,
		'long name: Bind by a name longer than the identifier PREPARE made is refused');
	is($got{'long-name-locks'}, '0', 'long name: no advisory lock holds the victim\'s tenant');
}
rows_unchanged('PGBOUNCER_1');

$node->stop;
done_testing();

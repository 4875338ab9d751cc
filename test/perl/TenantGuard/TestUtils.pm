# Helpers shared by tenant_guard's TAP tests (test/t/*.pl).
#
# A throwaway server that preloads tenant_guard, the orders table most
# tests start from and the checks of a pooled connection between requests,
# long-lived psql sessions that go on after errors and report them with
# their SQLSTATE, the checks that a statement succeeds with exactly some
# output or is refused with exactly some error, and a PgBouncer in
# transaction pooling mode in front of a test's server.  A test loads it
# with
#
#   use FindBin;
#   use lib "$FindBin::RealBin/../perl";
#   use TenantGuard::TestUtils;
#
# which finds this file next to test/t wherever the tree is (make
# installcheck runs prove in the tree it builds).
package TenantGuard::TestUtils;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

our @EXPORT = qw(
  preloaded_node create_orders $ORDERS_SELECT $ORDERS_NO_TENANT
  no_tenant_left orders_request
  psql_session sql_errors run_sql ok_sql refused
  pgbouncer_binary start_pgbouncer stop_pgbouncer
  pgbouncer_version require_pgbouncer_prepared_statements
  python_with_psycopg run_psycopg_hijack pgbouncer_prepared);

#
# Servers.
#

# A new server (PostgreSQL::Test::Cluster) named $name that preloads
# tenant_guard, with these more lines in postgresql.conf, started.
sub preloaded_node
{
	my ($name, @conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		join("\n", "shared_preload_libraries = 'tenant_guard'", @conf));
	$node->start;
	return $node;
}

#
# The orders table.
#

# The statement the checks of a pooled connection run, and its refusal
# without a tenant.
our $ORDERS_SELECT = 'SELECT id, tenant_id FROM orders ORDER BY id';
our $ORDERS_NO_TENANT =
  '42501: tenant context required for table "public.orders"';

# In database postgres of $node: the extension, the application role
# regress_app, and orders (id, tenant_id, item) holding the rows of
# values, SQL VALUES lists (by default tenant t owns t rows:
# 11; 21, 22; 31, 32, 33), on which regress_app has the privileges of
# grant (by default SELECT, INSERT, UPDATE, DELETE).  With protect => 1 the
# table is put under tenant_guard.protect(); otherwise under a hand-written
# policy that reads the setting itself, as such policies do: a tenant left
# behind by an earlier request would show its rows.
sub create_orders
{
	my ($node, %opts) = @_;
	my $values = $opts{values}
	  // q{(11, 1, 'apple'), (21, 2, 'pear'), (22, 2, 'plum'),
	  (31, 3, 'fig'), (32, 3, 'kiwi'), (33, 3, 'lime')};
	my $grant = $opts{grant} // 'SELECT, INSERT, UPDATE, DELETE';
	my $policy =
	  $opts{protect}
	  ? q{SELECT tenant_guard.protect('orders');}
	  : q{ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
	CREATE POLICY orders_tenant ON orders
	  USING (tenant_id = current_setting('app.current_tenant')::int);};
	$node->safe_psql(
		'postgres', qq{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text NOT NULL);
	INSERT INTO orders VALUES $values;
	$policy
	GRANT $grant ON orders TO regress_app;
});
	return;
}

# What the next request finds on a pooled connection after an earlier
# one: no tenant at all, and a query of orders without one is refused.
sub no_tenant_left
{
	my ($session, $after) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok_sql($session, 'SHOW app.current_tenant', '',
		"after $after: SHOW app.current_tenant is empty");
	ok_sql(
		$session,
		'SELECT tenant IS NULL, tenant_origin FROM tenant_guard.status()',
		't|not set', "after $after: status() shows no tenant");
	ok_sql($session, 'BEGIN', '', "after $after: next request begins");
	refused($session, $ORDERS_SELECT, $ORDERS_NO_TENANT,
		"after $after: next request without a tenant is refused, not served rows"
	);
	ok_sql($session, 'ROLLBACK', '', "after $after: and rolls back");
}

# A request of one tenant that must see exactly its rows of orders,
# $expected; it sets the tenant with set_config(..., true), or with SET
# LOCAL if $how is 'set_local'.
sub orders_request
{
	my ($session, $tenant, $expected, $name, $how) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	ok_sql($session, 'BEGIN', '', "$name: BEGIN");
	if (($how // 'set_config') eq 'set_config')
	{
		ok_sql($session,
			"SELECT set_config('app.current_tenant', '$tenant', true)",
			$tenant, "$name: set_config(..., true)");
	}
	else
	{
		ok_sql($session, "SET LOCAL app.current_tenant = '$tenant'",
			'', "$name: SET LOCAL");
	}
	ok_sql($session, $ORDERS_SELECT, $expected,
		"$name: sees exactly tenant $tenant\'s rows");
	ok_sql($session, 'COMMIT', '', "$name: COMMIT");
}

#
# psql sessions.
#

# A psql session on $node (a server, or PgBouncer's handle) that goes on
# after errors and reports them with their SQLSTATE.  Options: user (by
# default psql's), dbname (by default postgres).
sub psql_session
{
	my ($node, %opts) = @_;
	return $node->background_psql(
		$opts{dbname} // 'postgres',
		on_error_stop => 0,
		extra_params => [
			defined $opts{user} ? ('-U', $opts{user}) : (),
			'-v', 'VERBOSITY=verbose'
		]);
}

# The errors in psql's stderr, as "SQLSTATE: message" (psql runs with
# VERBOSITY=verbose).  Call it in list context.
sub sql_errors
{
	my ($stderr) = @_;
	return $stderr =~ /^psql:[^:]*:\d+: ERROR:  ([0-9A-Z]{5}: .*)$/mg;
}

# Run SQL in a session: its output, the errors it raised as "SQLSTATE:
# message", and all of stderr (notices, DETAIL, HINT, CONTEXT, ...).  Empty
# SQL collects the end of a statement sent earlier.
sub run_sql
{
	my ($session, $sql) = @_;

	# BackgroundPsql of PostgreSQL 15 keeps stderr across queries.
	$session->{stderr} = '';
	my $out = $session->query($sql);
	my $stderr = $session->{stderr};
	my @errors = sql_errors($stderr);
	return ($out, \@errors, $stderr);
}

# The statement succeeds, prints nothing on stderr and outputs exactly this.
sub ok_sql
{
	my ($session, $sql, $expected, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($out, $errors, $stderr) = run_sql($session, $sql);
	is_deeply(
		{ output => $out, stderr => $stderr },
		{ output => $expected, stderr => '' }, $name);
	return $out;
}

# The statement fails with exactly this error and outputs no row (or, for
# a message of several statements, only $expected_output, what those
# before the failing one output).
sub refused
{
	my ($session, $sql, $expected_error, $name, $expected_output) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($out, $errors) = run_sql($session, $sql);
	is_deeply(
		{ output => $out, errors => $errors },
		{ output => $expected_output // '', errors => [$expected_error] },
		$name);
}

#
# PgBouncer.
#

# PgBouncer's binary: $PGBOUNCER, or the Debian package's, or one in PATH.
# Without one the test is skipped; but test/run_all.sh installs PgBouncer
# and sets TG_REQUIRE_PGBOUNCER, and there a missing binary is a failure,
# not a reason to skip.  Call it before the test starts any server.
sub pgbouncer_binary
{
	my $bin = $ENV{PGBOUNCER};
	if (!defined $bin)
	{
		($bin) =
		  grep { -x $_ } ('/usr/sbin/pgbouncer',
			map { "$_/pgbouncer" } File::Spec->path);
	}
	if (!(defined $bin && -x $bin))
	{
		BAIL_OUT('pgbouncer not found, and TG_REQUIRE_PGBOUNCER is set')
		  if $ENV{TG_REQUIRE_PGBOUNCER};
		plan skip_all =>
		  'pgbouncer not found: install the pgbouncer package or set PGBOUNCER to its binary';
	}
	note "using $bin";
	return $bin;
}

# PgBouncer's version, as a list of numbers (1, 24, 1).
sub pgbouncer_version
{
	my ($bin) = @_;
	my $out = `"$bin" --version 2>&1`;
	my @version = $out =~ /PgBouncer (\d+)\.(\d+)(?:\.(\d+))?/
	  or die "cannot tell the version of $bin from: $out";
	return map { $_ // 0 } @version;
}

# Do the pooled tests run with PgBouncer's prepared statement support
# (max_prepared_statements, PgBouncer 1.21 and later), and pgbench in
# prepared mode through it?  Asked for with TG_PGBOUNCER_PREPARED=1 (as
# test/matrix.sh does where PgBouncer supports it); then a PgBouncer too
# old for it is a failure, not a reason to run without.
sub pgbouncer_prepared
{
	my ($bin) = @_;
	return 0 unless $ENV{TG_PGBOUNCER_PREPARED};
	my @version = pgbouncer_version($bin);
	BAIL_OUT("TG_PGBOUNCER_PREPARED is set, but PgBouncer "
		  . join('.', @version)
		  . ' has no max_prepared_statements (1.21 and later)')
	  if $version[0] == 1 && $version[1] < 21;
	return 1;
}

# The running PgBouncer, which stop_pgbouncer() stops.
my $pgbouncer;

# Start PgBouncer in transaction pooling mode, with no reset query, in
# front of database postgres of $node, and wait until it accepts a client
# (as role regress_app, with trust authentication) in the first of its
# databases and reaches the server.  Options:
#   binary             PgBouncer's binary, from pgbouncer_binary()
#   pools              [ name => pool_size, ... ]: PgBouncer's databases
#   default_pool_size  as in pgbouncer.ini
#   max_client_conn    as in pgbouncer.ini
#   settings           [ 'name = value', ... ]: more lines for [pgbouncer]
#   max_prepared_statements
#                      as in pgbouncer.ini (PgBouncer 1.21 and later); by
#                      default 200 if pgbouncer_prepared(), else unset
# Returns a PostgreSQL::Test::Cluster handle that is not a server: its host
# and port are PgBouncer's, so that the framework's psql commands connect
# through it, and its basedir holds pgbouncer.ini.  PgBouncer listens on
# that Unix socket and on 127.0.0.1, and is stopped however the test ends.
sub start_pgbouncer
{
	my ($node, %opts) = @_;
	my $bouncer = PostgreSQL::Test::Cluster->new('pgbouncer');
	my $bouncer_dir = $bouncer->basedir;
	my $bouncer_log = $bouncer->logfile;
	my $server =
	  'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';
	my @pools = @{ $opts{pools} };
	$opts{max_prepared_statements} //=
	  pgbouncer_prepared($opts{binary}) ? 200 : undef;
	my $prepared =
	  defined $opts{max_prepared_statements}
	  ? "max_prepared_statements = $opts{max_prepared_statements}"
	  : '';
	my $databases = '';
	for (my $i = 0; $i < @pools; $i += 2)
	{
		$databases .= "$pools[$i] = $server pool_size=$pools[$i + 1]\n";
	}

	PostgreSQL::Test::Utils::append_to_file("$bouncer_dir/userlist.txt",
		qq{"regress_app" ""\n});
	PostgreSQL::Test::Utils::append_to_file(
		"$bouncer_dir/pgbouncer.ini", <<"EOF");
[databases]
$databases
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = @{[ $bouncer->port ]}
unix_socket_dir = @{[ $bouncer->host ]}
auth_type = trust
auth_file = $bouncer_dir/userlist.txt
pool_mode = transaction
default_pool_size = $opts{default_pool_size}
min_pool_size = 0
reserve_pool_size = 0
server_reset_query =
server_reset_query_always = 0
ignore_startup_parameters = extra_float_digits
max_client_conn = $opts{max_client_conn}
@{[ join("\n", @{ $opts{settings} // [] }) ]}
$prepared
EOF
	note 'PgBouncer ' . join('.', pgbouncer_version($opts{binary}))
	  . ($prepared ? ", $prepared" : ', without max_prepared_statements');

	$pgbouncer = IPC::Run::start(
		[ $opts{binary}, "$bouncer_dir/pgbouncer.ini" ],
		'<', '/dev/null', '>>', $bouncer_log, '2>>', $bouncer_log);

	# Wait until PgBouncer accepts a client and reaches the server.
	my $ready = 0;
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default; $i++)
	{
		my $ret = $bouncer->psql($pools[0], 'SELECT 1',
			extra_params => [ '-U', 'regress_app' ]);
		if ($ret == 0)
		{
			$ready = 1;
			last;
		}
		last unless $pgbouncer->pumpable;
		usleep(100_000);
	}
	if (!$ready)
	{
		diag(slurp_file($bouncer_log));
		BAIL_OUT('pgbouncer did not start');
	}
	return $bouncer;
}

# Stop PgBouncer.  SIGTERM is an immediate shutdown; returns false if it
# took a SIGKILL.
sub stop_pgbouncer
{
	return 1 unless defined $pgbouncer;
	my $h = $pgbouncer;
	undef $pgbouncer;
	return !$h->kill_kill(grace => 5);
}

# PgBouncer keeps protocol-level prepared statements on its server
# connections (max_prepared_statements) from 1.21 on.  With an older one
# the test is skipped, saying so; but where the version matrix sets
# TG_REQUIRE_PGBOUNCER_PREPARED=1 an older PgBouncer is a failure.
sub require_pgbouncer_prepared_statements
{
	my ($bin) = @_;
	my ($major, $minor, $patch) = pgbouncer_version($bin);
	my $version = "$major.$minor.$patch";
	return $version if $major > 1 || ($major == 1 && $minor >= 21);
	BAIL_OUT("PgBouncer $version cannot keep prepared statements (1.21 or later "
		  . "needed), and TG_REQUIRE_PGBOUNCER_PREPARED is set")
	  if $ENV{TG_REQUIRE_PGBOUNCER_PREPARED};
	plan skip_all =>
	  "PgBouncer $version cannot keep prepared statements (max_prepared_statements needs 1.21 or later)";
}

#
# Drivers.
#

# A Python 3 that has psycopg 3 (Debian's python3-psycopg), or undef.
sub python_with_psycopg
{
	for my $python ($ENV{TG_PYTHON} // (), '/usr/bin/python3', 'python3')
	{
		return $python
		  if system("$python -c 'import psycopg' >/dev/null 2>&1") == 0;
	}
	return undef;
}

# The prepared-statement hijack with psycopg 3, whose prepare=True keeps
# protocol-level named statements on the connection.  The victim (tenant
# 2) runs a request with prepared statements that set its tenant, update
# and read an order; the attacker (tenant 1), in a request of its own,
# finds them in pg_prepared_statements and replaces each by SQL PREPARE of
# the same name: one that sets tenant 1 instead, an UPDATE of every row of
# whichever tenant runs it, and a SELECT that copies what it reads into a
# session-level setting, x.loot.  Then the victim runs its request again.
# The attacker's conninfo may be 'same': the attacker's request then runs
# on the victim's connection (a shared connection in an application's
# pool); through PgBouncer it is a client of its own that shares the
# server connection.  Returns a hash of what each step got ('ok', or
# "SQLSTATE: message"), how many statements the attacker replaced, and
# what x.loot holds afterwards on the attacker's connection.
sub run_psycopg_hijack
{
	my ($python, $victim_dsn, $attacker_dsn) = @_;
	my $script = <<'PYTHON';
import sys
import psycopg

victim_dsn, attacker_dsn = sys.argv[1], sys.argv[2]
victim = psycopg.connect(victim_dsn, autocommit=True)
attacker = (victim if attacker_dsn == 'same'
            else psycopg.connect(attacker_dsn, autocommit=True))
SET = "SELECT set_config('app.current_tenant', %s, true)"
UPDATE = "UPDATE orders SET item = %s WHERE id = %s"
SELECT = "SELECT item FROM orders WHERE id = %s"


def request(conn, tenant, work):
    try:
        with conn.transaction():
            conn.execute(SET, [tenant], prepare=True)
            work(conn)
        return 'ok'
    except psycopg.Error as e:
        return '%s: %s' % (e.sqlstate, e.diag.message_primary)


def victim_work(conn):
    conn.execute(UPDATE, ['pear', 21], prepare=True)
    conn.execute(SELECT, [21], prepare=True).fetchall()


REPLACEMENTS = {
    'SELECT set_config': "SELECT set_config('app.current_tenant', '1', true) WHERE $1 IS NOT NULL",
    'UPDATE': "UPDATE orders SET item = 'hijacked' WHERE $1 IS NOT NULL AND $2 IS NOT NULL",
    'SELECT item': "SELECT item FROM orders WHERE set_config('x.loot', coalesce(current_setting('x.loot', true), '') || item || ';', false) IS NOT NULL AND $1 IS NOT NULL",
}
replaced = 0


def inject(conn):
    global replaced
    rows = conn.execute(
        "SELECT name, statement, array_to_string(parameter_types, ', ')"
        " FROM pg_prepared_statements WHERE NOT from_sql").fetchall()
    for name, statement, types in rows:
        for start, replacement in REPLACEMENTS.items():
            if statement.startswith(start):
                conn.execute('DEALLOCATE "%s"' % name)
                conn.execute('PREPARE "%s"(%s) AS %s' % (name, types, replacement))
                replaced += 1


print('warm-up:', request(victim, '2', victim_work))
print('attacker:', request(attacker, '1', inject))
print('replaced:', replaced)
print('victim:', request(victim, '2', victim_work))
loot = attacker.execute("SELECT coalesce(current_setting('x.loot', true), '')").fetchone()[0]
print('loot:', loot)
PYTHON
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ $python, '-c', $script, $victim_dsn, $attacker_dsn ],
		'>', \$stdout, '2>', \$stderr);
	diag($stderr) if $stderr ne '';
	my %got = $stdout =~ /^(\S+): ?(.*)$/mg;
	return \%got;
}

# Stop PgBouncer however the test ends, keeping the test's exit status.
END
{
	my $exit_code = $?;
	eval { stop_pgbouncer(); };
	$? = $exit_code;
}

1;

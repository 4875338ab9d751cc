# tenant_guard: the prepared-statement hijack through PgBouncer.
#
# PgBouncer 1.21 and later, with max_prepared_statements, keeps the
# protocol-level statements its clients prepare on each server connection,
# under its own names (PGBOUNCER_1, ...), and reuses them for every client
# that prepares the same query.  In transaction pooling mode one server
# connection serves many clients.  The attacker, a client of its own (the
# same application role, tenant 1), finds the statements in
# pg_prepared_statements and replaces them with SQL PREPARE of the same
# names; the victim's next transaction (tenant 2) must be refused before a
# row of its tenant is read or written: the first statement it runs by
# such a name does not run at all.  The scenario is the one
# 011_prepared_hijack.pl runs on a single connection
# (run_psycopg_hijack, TestUtils.pm), here with two clients through a
# PgBouncer whose pool has one server connection.
#
# PgBouncer before 1.21 keeps no prepared statements: the test says so and
# is skipped, unless TG_REQUIRE_PGBOUNCER_PREPARED=1 (the version matrix
# sets it where PgBouncer 1.21 or later is installed), where that fails.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $pgbouncer_bin = pgbouncer_binary();
my $version = require_pgbouncer_prepared_statements($pgbouncer_bin);
note "PgBouncer $version";
my $python = python_with_psycopg();
if (!defined $python)
{
	BAIL_OUT('psycopg 3 not found, and TG_REQUIRE_PGBOUNCER_PREPARED is set')
	  if $ENV{TG_REQUIRE_PGBOUNCER_PREPARED};
	plan skip_all => 'psycopg 3 not found: install python3-psycopg';
}

my $node = preloaded_node('server');

create_orders(
	$node,
	values => q{(11, 1, 'apple'), (12, 1, 'fig'), (21, 2, 'pear'), (22, 2, 'plum')},
	protect => 1,
	grant => 'SELECT, UPDATE');
my $all_rows = $node->safe_psql('postgres',
	'SELECT id, tenant_id, item FROM orders ORDER BY id');

my $bouncer = start_pgbouncer(
	$node,
	binary => $pgbouncer_bin,
	pools => [ postgres => 1 ],
	default_pool_size => 1,
	max_client_conn => 10,
	max_prepared_statements => 100);

my $dsn = 'host=127.0.0.1 port=' . $bouncer->port . ' dbname=postgres user=regress_app';
my $got = run_psycopg_hijack($python, $dsn, $dsn);
is($got->{'warm-up'}, 'ok', 'the victim\'s request works through PgBouncer');
is($got->{attacker}, 'ok', 'the attacker, another client, replaces PgBouncer\'s statements by SQL');
is($got->{replaced}, '3', '... all three of them');
like(
	$got->{victim},
	qr/^42501: cannot execute prepared statement "PGBOUNCER_\d+" made with PREPARE in an earlier transaction$/,
	'the victim\'s next transaction is refused when it runs the hijacked statement');
is($got->{loot}, '', 'the attacker\'s loot is empty');
is($node->safe_psql('postgres', 'SELECT id, tenant_id, item FROM orders ORDER BY id'),
	$all_rows, 'every tenant\'s rows are as they were');

ok(stop_pgbouncer(), 'PgBouncer stopped');
$node->stop;
done_testing();

# tenant_guard's per-tenant statistics and violations under load, at their
# bound, across a crash, and without shared memory (tenant_stats.c,
# violations.c).
#
#   - 32 pgbench clients run transactions for four tenants (client c acts
#     for tenant c % 4 + 1, a fixed number of transactions each), with the
#     simple and the extended query protocol: every
#     column of tenant_stats that the workload determines is exact, which
#     it is only if no concurrent flush is lost;
#   - refusals are counted in violations and for the tenant, and written as
#     structured LOG lines, as is the tenant_context audit line of each
#     transaction that gets a tenant, with how it was set;
#   - ten times tenant_guard.stats_max_tenants tenants leave at most that
#     many rows, and count the evictions;
#   - after an immediate shutdown (crash recovery at start) the views are
#     usable, and empty, and count again;
#   - a server that does not preload the library says so when the views are
#     read.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $clients = 32;
my $per_client = 40;
my $max_tenants = 100;    # the least tenant_guard.stats_max_tenants allows

my $node = preloaded_node('stats',
	"tenant_guard.stats_max_tenants = $max_tenants",
	'tenant_guard.log_violations = on',
	'tenant_guard.log_tenant_context = on');
# tenant t owns t orders
create_orders($node, protect => 1);
$node->safe_psql('postgres', 'SELECT tenant_guard.stats_reset()');

# The load: BEGIN, the tenant, a read of its orders, an update of its
# last order (one row: updates of several rows in concurrent transactions
# deadlock, and a failed transaction has fewer statements).
my $script = $node->basedir . '/stats.sql';
open my $fh, '>', $script or die "cannot write $script: $!";
print $fh <<'SQL';
\set t :client_id % 4 + 1
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT count(*) FROM orders;
UPDATE orders SET item = item WHERE id = (SELECT max(id) FROM orders);
END;
SQL
close $fh;
# Both protocols: a SELECT of the extended one ends its executor only
# when its portal is dropped (at the next Bind, or at COMMIT).
for my $protocol (qw(simple extended))
{
	my $total = $clients * $per_client;
	$node->command_like(
		[
			'pgbench', '-n', '-M', $protocol, '-c', $clients, '-j', 4,
			'-t', $per_client, '-U', 'regress_app', '-f', $script,
			'-h', $node->host, '-p', $node->port, 'postgres'
		],
		qr{number of transactions actually processed: $total/$total},
		"$clients clients, $per_client transactions each, $protocol protocol, none failed");
}

# Tenant t: 8 clients' transactions in each run, 3 statements each;
# set_config() and count(*) return a row each; the update writes one row
# (none for tenant 4, which has no orders).
my $txns = 2 * $clients / 4 * $per_client;
my $expected = join "\n", map {
	my $rows = $_ <= 3 ? 1 : 0;
	join '|', $_, $txns, 3 * $txns, 2 * $txns, $rows * $txns, 0, 't'
} 1 .. 4;
is( $node->safe_psql(
		'postgres', q{
	SELECT tenant, transactions, statements, rows_returned, rows_written,
		   refusals_rule1 + refusals_rule3, total_time > 0
	  FROM tenant_guard.tenant_stats
	 WHERE datname = 'postgres' ORDER BY tenant}),
	$expected,
	'every count of every tenant is exact after 32 concurrent sessions');

# Refusals, as regress_app: the transaction's tenant counts those after
# its tenant was set.
my $log_offset = -s $node->logfile;
$node->psql('postgres', 'SELECT * FROM orders', extra_params => [ '-U', 'regress_app' ]);
$node->psql(
	'postgres', q{BEGIN;
	SET LOCAL app.current_tenant = '2';
	SELECT tenant_guard.set_tenant('3');},
	extra_params => [ '-U', 'regress_app' ]);
$node->psql(
	'postgres', q{BEGIN; SELECT tenant_guard.set_tenant('1'); COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
is( $node->safe_psql(
		'postgres', q{
	SELECT rule, refusal, sqlstate, object, mode, occurrences, role_name
	  FROM tenant_guard.violations ORDER BY rule}),
	"1|no_tenant|42501|public.orders|enforce|1|regress_app\n"
	  . "3|tenant_switch|42501|app.current_tenant|enforce|1|regress_app",
	'violations: one row per distinct violation');
is( $node->safe_psql(
		'postgres', q{
	SELECT tenant, transactions, refusals_rule1, refusals_rule3
	  FROM tenant_guard.tenant_stats WHERE tenant IN ('1', '2') ORDER BY tenant}),
	"1|" . ($txns + 1) . "|0|0\n2|" . ($txns + 1) . "|0|1",
	'a refusal counts for the tenant of its transaction');

my $log = slurp_file($node->logfile, $log_offset);
like(
	$log,
	qr/LOG:  tenant_guard violation: rule="1" refusal="no_tenant" sqlstate="42501" mode="enforce" role="regress_app" database="postgres" object="public.orders" queryid=NULL tenant=NULL pid="\d+"/,
	'log_violations: a key=value line per violation');
like(
	$log,
	qr/LOG:  tenant_guard violation: rule="3" refusal="tenant_switch" .* tenant="2" pid="\d+"/,
	'... with the tenant of the transaction');
like(
	$log,
	qr/LOG:  tenant_guard tenant_context: tenant="2" set_by="SET" role="regress_app" database="postgres" application_name="[^"]*" pid="\d+"/,
	'log_tenant_context: SET LOCAL');
like(
	$log,
	qr/LOG:  tenant_guard tenant_context: tenant="1" set_by="set_tenant" role="regress_app"/,
	'log_tenant_context: set_tenant()');
$log_offset = -s $node->logfile;
$node->safe_psql('postgres',
	q{BEGIN; SELECT set_config('app.current_tenant', E'x"y\nz', true); COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
like(
	slurp_file($node->logfile, $log_offset),
	qr/tenant_context: tenant="x\\"y\\x0az" set_by="set_config"/,
	'log_tenant_context: set_config(), a value that cannot forge a line');

# Ten times the bound.
my $many = join '',
  map { "BEGIN; SELECT set_config('app.current_tenant', 'many-$_', true); COMMIT;\n" }
  1 .. 10 * $max_tenants;
$node->safe_psql('postgres', $many, extra_params => [ '-U', 'regress_app' ]);
my ($kept, $evictions, $rows) = split /\|/, $node->safe_psql(
	'postgres', q{
	SELECT tenants, tenant_evictions, (SELECT count(*) FROM tenant_guard.tenant_stats)
	  FROM tenant_guard.stats_info()});
cmp_ok($kept, '<=', $max_tenants, "at most $max_tenants tenants kept ($kept)");
is($rows, $kept, 'the view shows what is kept');
cmp_ok($evictions, '>=', 10 * $max_tenants - $max_tenants,
	"evictions counted ($evictions)");
is( $node->safe_psql(
		'postgres', q{
	SELECT transactions FROM tenant_guard.tenant_stats
	 WHERE tenant = 'many-} . (10 * $max_tenants) . q{'}),
	'1',
	'the newest tenant is kept');

# An immediate shutdown, as after a crash: shared memory is made anew at
# start.  (A backend killed with SIGKILL, after which the postmaster
# reinitializes shared memory in place, passes too, but test/run_all.sh
# rightly counts any such line in a server log as a crash.)
$node->stop('immediate');
$node->start;
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM tenant_guard.tenant_stats, tenant_guard.violations'),
	'0', 'after an immediate shutdown the views are usable, and empty');
$node->safe_psql('postgres',
	q{BEGIN; SELECT set_config('app.current_tenant', '1', true); COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
is( $node->safe_psql(
		'postgres', 'SELECT tenant, transactions FROM tenant_guard.tenant_stats'),
	'1|1', '... and count again');
$node->stop;

# Without shared_preload_libraries.
my $plain = PostgreSQL::Test::Cluster->new('not_preloaded');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'SET client_min_messages = error; CREATE EXTENSION tenant_guard');
for my $view (qw(tenant_stats violations))
{
	my ($ret, $out, $err) =
	  $plain->psql('postgres', "SELECT * FROM tenant_guard.$view");
	like(
		$err,
		qr/ERROR:  tenant_guard statistics must be loaded via "shared_preload_libraries"/,
		"$view without shared_preload_libraries says so");
}
$plain->stop;

done_testing();

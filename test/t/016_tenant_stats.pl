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
#     transaction that gets a tenant, with how it was set; so are the
#     tokens set_tenant_token() refuses, and no part of a token reaches the
#     view or those lines;
#   - ten times tenant_guard.stats_max_tenants tenants leave at most that
#     many rows, and count the evictions;
#   - after an immediate shutdown (crash recovery at start) the views are
#     usable, and empty, and count again;
#   - a server that does not preload the library says so when the views are
#     read.
use strict;
use warnings FATAL => 'all';

use Digest::SHA qw(hmac_sha256);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use MIME::Base64 qw(encode_base64url);
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

# What an attack review found (attacks/ on branch attack10).  A signed
# tenant token, HS256 with key id k1, for tenant $tenant, for a minute.
my $secret = 'tenant-guard-stats-test-secret-0123456789';
$node->append_conf('postgresql.conf',
	"tenant_guard.token_secret = 'k1:$secret'");
$node->reload;
sub token
{
	my ($tenant) = @_;
	my $now = time();
	my $input = encode_base64url('{"alg":"HS256","kid":"k1"}') . '.'
	  . encode_base64url(qq({"tenant":"$tenant","iat":$now,"exp":)
		  . ($now + 60) . '}');
	return $input . '.' . encode_base64url(hmac_sha256($input, $secret));
}
my $token = token('1');

# A refused set_tenant_token(), its error caught, then a SET LOCAL: the
# audit line says SET, and names no key (the note of the refused token
# used to outlive it, and its key id was freed memory: a crash).
$log_offset = -s $node->logfile;
$node->safe_psql(
	'postgres', qq{
	BEGIN;
	CREATE TEMP TABLE leftover (x int);
	DO \$\$
	BEGIN
		PERFORM tenant_guard.set_tenant_token('$token');
	EXCEPTION WHEN OTHERS THEN NULL;
	END \$\$;
	DROP TABLE leftover;
	SET LOCAL app.current_tenant = '2';
	COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
like(
	slurp_file($node->logfile, $log_offset),
	qr/tenant_context: tenant="2" set_by="SET" role="regress_app" database="postgres" application_name="[^"]*" pid="\d+"\n/,
	'a refused token leaves no note: the next SET LOCAL is logged as one');

# With require_signed_tenant, an unsigned tenant shows no row and is not
# charged with the transaction.
$node->safe_psql('postgres', q{
	CREATE ROLE regress_signed LOGIN IN ROLE regress_app;
	ALTER ROLE regress_signed SET tenant_guard.require_signed_tenant = on;
	SELECT tenant_guard.stats_reset();});
$node->safe_psql('postgres',
	"BEGIN; SELECT tenant_guard.set_tenant_token('$token'); SELECT count(*) FROM orders; COMMIT;",
	extra_params => [ '-U', 'regress_signed' ]);
is( $node->safe_psql(
		'postgres', q{
	BEGIN;
	SET LOCAL app.current_tenant = '1';
	SELECT count(*) FROM tenant_guard.tenant_stats;
	SELECT count(*) FROM generate_series(1, 1000);
	COMMIT;},
		extra_params => [ '-U', 'regress_signed' ]),
	"0\n1000",
	'an unsigned tenant where a signed one is required shows no row');
is( $node->safe_psql(
		'postgres', q{
	BEGIN;
	SELECT 1 FROM tenant_guard.set_tenant_token('} . $token . q{');
	SELECT tenant, transactions, rows_returned FROM tenant_guard.tenant_stats;
	COMMIT;},
		extra_params => [ '-U', 'regress_signed' ]),
	"1\n1|1|2",
	'... nor is charged with its transaction; a signed one shows its row');

# A token in the statement of a violation is not kept in its sample: one
# query string (psql -c) calling set_tenant_token() keeps no sample, and
# one with a token elsewhere (any header) keeps the rest.
$node->command_fails(
	[
		'psql', '-X', '-d', $node->connstr('postgres'), '-U', 'regress_signed',
		'-c',
		"BEGIN; SELECT tenant_guard.set_tenant_token('$token'); SET LOCAL app.current_tenant = '2'; COMMIT;"
	],
	'a statement with a token, refused');
my ($h, $c, $s) = split /\./, $token;
my $other_header = encode_base64url(qq({\n"alg":"HS256"})) . ".$c.$s";
$node->command_fails(
	[
		'psql', '-X', '-d', $node->connstr('postgres'), '-U', 'regress_app',
		'-c',
		"BEGIN; SELECT set_config('app.jwt', '$other_header', true); SET LOCAL app.current_tenant = '3'; SET LOCAL app.current_tenant = '4'; COMMIT;"
	],
	'a statement with a token elsewhere, refused');
is( $node->safe_psql(
		'postgres', q{
	SELECT tenant, sample FROM tenant_guard.violations
	 WHERE refusal = 'tenant_switch' AND tenant IN ('1', '3') ORDER BY tenant}),
	"1|<a statement calling set_tenant_token(), not kept>\n"
	  . "3|BEGIN; SELECT set_config('app.jwt', '<token>', true); SET LOCAL app.current_tenant = '3'; SET LOCAL app.current_tenant = '4'; COMMIT;",
	'tokens are kept out of the sample statements');

# Refused tokens are violations, in the view and in the log_violations
# lines, which hold no part of any token: an expired one, one signed with
# another key, and a valid one for another tenant than the transaction's.
sub signed_token
{
	my ($tenant, $key, $exp) = @_;
	my $input = encode_base64url('{"alg":"HS256","kid":"k1"}') . '.'
	  . encode_base64url(
		qq({"tenant":"$tenant","iat":) . ($exp - 60) . qq(,"exp":$exp}));
	return $input . '.' . encode_base64url(hmac_sha256($input, $key));
}
my %refused = (
	expired => signed_token('1', $secret, time() - 600),
	signature => signed_token('1', 'another-secret-of-forty-characters-0123', time() + 60),
	other_tenant => token('2'));
$node->safe_psql('postgres', 'SELECT tenant_guard.stats_reset()');
$log_offset = -s $node->logfile;
for my $kind (qw(expired signature))
{
	$node->psql('postgres',
		"BEGIN; SELECT tenant_guard.set_tenant_token('$refused{$kind}'); COMMIT;",
		extra_params => [ '-U', 'regress_app' ]);
}
$node->psql('postgres',
	"BEGIN; SELECT tenant_guard.set_tenant_token('$token'); "
	  . "SELECT tenant_guard.set_tenant_token('$refused{other_tenant}'); COMMIT;",
	extra_params => [ '-U', 'regress_app' ]);
my $view = $node->safe_psql(
	'postgres', q{
	SELECT rule, refusal, object, tenant, sample FROM tenant_guard.violations
	 ORDER BY rule, object});
is( $view,
	"1|token_refused|expired||<a statement calling set_tenant_token(), not kept>\n"
	  . "1|token_refused|signature||<a statement calling set_tenant_token(), not kept>\n"
	  . "3|tenant_switch|tenant_guard.set_tenant_token()|1|<a statement calling set_tenant_token(), not kept>",
	'refused tokens are violations, named by what was wrong');
my @lines = grep { /tenant_guard (violation|tenant_context):/ }
  split /\n/, slurp_file($node->logfile, $log_offset);
is(scalar(grep { /refusal="token_refused"/ } @lines),
	2, 'log_violations: a line per refused token');
my @pieces = map { substr($_, 2, 12) } grep { length($_) >= 14 }
  map { split /\./ } values %refused, $token;
is( join(', ', grep { my $p = $_; grep { index($_, $p) >= 0 } @lines, $view } @pieces),
	'', 'no part of a token in the view or in tenant_guard\'s log lines');

# A log line's value is cut, and a Unicode line separator escaped.
$log_offset = -s $node->logfile;
$node->safe_psql('postgres',
	q{BEGIN; SELECT set_config('app.current_tenant', repeat('x', 300) || U&'\2028' || 'y', true); COMMIT;
	  BEGIN; SELECT set_config('app.current_tenant', U&'a\2028b\0085c', true); COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
$log = slurp_file($node->logfile, $log_offset);
like(
	$log,
	qr/tenant_context: tenant="x{256}\\\.\.\." set_by/,
	'a long value is cut, and says so');
like(
	$log,
	qr/tenant_context: tenant="a\\u2028b\\u0085c" set_by/,
	'Unicode line separators are escaped');

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

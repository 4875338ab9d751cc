# tenant_guard: how the library is loaded, and what only a server's
# configuration can set: a preload list, a reload of the tenant setting's
# name, a tenant in postgresql.conf.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

# A protected table and an application role, on any node.
sub setup_schema
{
	my ($node) = @_;
	$node->safe_psql(
		'postgres', q{
		CREATE ROLE regress_app LOGIN;
		CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
		INSERT INTO orders VALUES (1, 1), (2, 1), (3, 2);
		SELECT tenant_guard.protect('orders');
		GRANT SELECT ON orders TO regress_app;
	});
}

# psql as the application role; returns (exit code, stdout, stderr).
sub app_psql
{
	my ($node, $sql, %opts) = @_;
	return $node->psql('postgres', $sql,
		extra_params => [ '-U', 'regress_app' ], %opts);
}

#
# Not preloaded: CREATE EXTENSION warns, and protected tables still answer
# nothing without a tenant context set in the transaction.
#
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;

my ($ret, $stdout, $stderr) =
  $plain->psql('postgres', 'CREATE EXTENSION tenant_guard');
is($ret, 0, 'CREATE EXTENSION works without preloading');
like(
	$stderr,
	qr/WARNING:  tenant_guard is not preloaded, so it guards this session only.*HINT:  Add tenant_guard to shared_preload_libraries/s,
	'CREATE EXTENSION warns when the library is not preloaded');
is( $plain->safe_psql(
		'postgres', 'SELECT preloaded, loaded_via FROM tenant_guard.status()'),
	'f|on demand (this session only)',
	'status() says the library was loaded on demand');
setup_schema($plain);

# A fresh session has not loaded the library: its session-level SET is not
# refused, but the policy's call of tenant() loads the library, which does
# not count that value, so the table answers nothing.
($ret, $stdout, $stderr) = app_psql($plain,
	"SET app.current_tenant = '1'; SELECT count(*) FROM orders;");
is($stdout, '0',
	'without preloading, a protected table shows no row for a session-level tenant'
);
($ret, $stdout, $stderr) = app_psql($plain,
	"BEGIN; SET LOCAL app.current_tenant = '1'; SELECT count(*) FROM orders; COMMIT;"
);
is($stdout, '2', 'and shows the tenant\'s rows for SET LOCAL');

# LOAD guards the session that runs it.
($ret, $stdout, $stderr) = $plain->psql('postgres',
	"LOAD 'tenant_guard'; SET ROLE regress_app; SELECT count(*) FROM orders;");
like(
	$stderr,
	qr/tenant context required for table "public.orders"/,
	'after LOAD the session is guarded');
$plain->stop;

#
# session_preload_libraries.
#
my $session = PostgreSQL::Test::Cluster->new('session');
$session->init;
$session->append_conf('postgresql.conf',
	"session_preload_libraries = 'tenant_guard'");
$session->start;
($ret, $stdout, $stderr) =
  $session->psql('postgres', 'CREATE EXTENSION tenant_guard');
unlike($stderr, qr/WARNING/, 'no warning with session_preload_libraries');
is( $session->safe_psql(
		'postgres', 'SELECT preloaded, loaded_via FROM tenant_guard.status()'),
	't|session_preload_libraries',
	'status() reports session_preload_libraries');
$session->stop;

#
# shared_preload_libraries, with a tenant in postgresql.conf and a reload
# that renames the tenant setting.
#
my $node = preloaded_node('preloaded');
$node->safe_psql('postgres', 'CREATE EXTENSION tenant_guard');
setup_schema($node);

$node->append_conf('postgresql.conf', "app.current_tenant = '1'");
$node->reload;
($ret, $stdout, $stderr) = app_psql($node, 'SELECT count(*) FROM orders');
like(
	$stderr,
	qr/tenant context for table "public.orders" comes from the server configuration file.*HINT:  Remove app.current_tenant from postgresql.conf/s,
	'a tenant from postgresql.conf does not count, and the error says so');

# Rename the tenant setting; a session that is open during the reload
# follows it too.
$node->adjust_conf('postgresql.conf', 'app.current_tenant', undef);
my $open = $node->background_psql('postgres',
	extra_params => [ '-U', 'regress_app' ]);
$open->query_safe('SELECT 1');
$node->append_conf('postgresql.conf',
	"tenant_guard.tenant_setting = 'myapp.tenant'");
$node->reload;

# The reload reaches a session between statements; wait for it.
$node->poll_query_until('postgres',
	"SELECT setting = 'myapp.tenant' FROM pg_settings WHERE name = 'tenant_guard.tenant_setting'"
) or die 'reload not seen';
$stdout = $open->query_safe(
	"BEGIN; SET LOCAL myapp.tenant = '2'; SELECT count(*) FROM orders; COMMIT;");
like($stdout, qr/^1$/m, 'an open session follows the renamed setting');
$open->quit;

($ret, $stdout, $stderr) = app_psql($node,
	"BEGIN; SET LOCAL app.current_tenant = '1'; SELECT count(*) FROM orders; COMMIT;"
);
like(
	$stderr,
	qr/tenant context required for table "public.orders".*"myapp.tenant" is not set/s,
	'the old setting no longer counts');
($ret, $stdout, $stderr) = app_psql($node,
	"BEGIN; SET LOCAL myapp.tenant = '1'; SET LOCAL myapp.tenant = '2'; COMMIT;"
);
like(
	$stderr,
	qr/cannot change tenant from "1" to "2" within a transaction/,
	'the renamed setting is pinned per transaction');
($ret, $stdout, $stderr) = app_psql($node, "SET myapp.tenant = '1'");
like($stderr, qr/cannot set "myapp.tenant" at session level/,
	'and refused at session level');
is( $node->safe_psql('postgres',
		'SELECT tenant_setting FROM tenant_guard.status()'),
	'myapp.tenant',
	'status() reports the renamed setting');

# An invalid name in postgresql.conf is rejected and the previous one kept.
$node->adjust_conf('postgresql.conf', 'tenant_guard.tenant_setting',
	"'notdotted'");
$node->reload;
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_file_settings WHERE name = 'tenant_guard.tenant_setting' AND setting = 'notdotted'"
) or die 'configuration file not reread';
is( $node->safe_psql('postgres', 'SHOW tenant_guard.tenant_setting'),
	'myapp.tenant',
	'an invalid tenant setting name is rejected on reload');
ok( $node->log_contains(
		qr/invalid value for parameter "tenant_guard.tenant_setting": "notdotted"/),
	'and the server log says why');

$node->stop;
done_testing();

# tenant_guard: pg_dump and restore keep protected tables protected, and the
# registry (a configuration table of the extension) travels with them.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('dump');

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	CREATE SCHEMA "Shop";
	CREATE TABLE "Shop"."Orders" (id int PRIMARY KEY, tenant_id bigint, item text);
	INSERT INTO "Shop"."Orders" VALUES (1, 1, 'apple'), (2, 2, 'plum');
	SELECT tenant_guard.protect('"Shop"."Orders"');
	CREATE TABLE events (id int, org uuid, at date) PARTITION BY RANGE (at);
	CREATE TABLE events_2026 PARTITION OF events
	  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	SELECT tenant_guard.protect('events', 'org');
	CREATE TABLE events_2027 PARTITION OF events
	  FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
	GRANT USAGE ON SCHEMA "Shop" TO regress_app;
	GRANT SELECT ON "Shop"."Orders" TO regress_app;
});

my $registry_query = q{
	SELECT relation, tenant_column, partition_of, set_not_null,
	       enabled_rls, forced_rls, created_index
	  FROM tenant_guard.registry ORDER BY relation::text};
my $state_query = q{
	SELECT relation, rls_enabled, rls_forced, isolation_intact
	  FROM tenant_guard.protected_tables ORDER BY relation::text};

my $registry_before = $node->safe_psql('source', $registry_query);
my $state_before = $node->safe_psql('source', $state_query);
is(scalar(split /\n/, $registry_before), 4, 'four relations protected');

my $dumpfile = "$PostgreSQL::Test::Utils::tmp_check/source.sql";
$node->command_ok([ 'pg_dump', '-d', $node->connstr('source'), '-f', $dumpfile ],
	'pg_dump of a database with protected tables');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
# The application role may not create temporary objects there, as audit()
# advises (login_role_can_create_temp); database privileges are not dumped.
$node->safe_psql('postgres',
	'REVOKE TEMPORARY ON DATABASE restored FROM PUBLIC');
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d',
		$node->connstr('restored'), '-f', $dumpfile
	],
	'restore of the dump');

is($node->safe_psql('restored', $registry_query),
	$registry_before, 'the registry survives dump and restore');
is($node->safe_psql('restored', $state_query),
	$state_before, 'protected tables are protected after restore');

my ($ret, $stdout, $stderr) = $node->psql('restored',
	q{SELECT tenant_guard.protect('"Shop"."Orders"'); SELECT tenant_guard.protect('events', 'org')});
like($stderr,
	qr/"Shop.Orders" is already protected; nothing changed.*"public.events" is already protected; nothing changed/s,
	'protect() finds nothing to do on the restored tables');
is($node->safe_psql('restored', 'SELECT count(*) FROM tenant_guard.audit()'),
	'0', 'audit() finds nothing wrong after restore');

($ret, $stdout, $stderr) = $node->psql('restored',
	q{BEGIN; SET LOCAL app.current_tenant = '2'; SELECT item FROM "Shop"."Orders"; COMMIT;},
	extra_params => [ '-U', 'regress_app' ]);
is($stdout, 'plum', 'the application sees its tenant\'s rows after restore');
($ret, $stdout, $stderr) = $node->psql('restored',
	'SELECT item FROM "Shop"."Orders"',
	extra_params => [ '-U', 'regress_app' ]);
like($stderr, qr/tenant context required for table "Shop.Orders"/,
	'and is refused without a tenant');

# The drift guard works on the restored registry.
($ret, $stdout, $stderr) = $node->psql('restored',
	'ALTER TABLE events_2026 DISABLE ROW LEVEL SECURITY');
like($stderr, qr/cannot disable row-level security of protected table "public.events_2026"/,
	'the drift guard protects restored tables');

$node->stop;
done_testing();

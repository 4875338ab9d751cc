# tenant_guard: a server configured badly.  Whatever is wrong, the server
# says what in its log or to the client, does not crash, and refuses rather
# than serves rows without a tenant context.
#
# Covered here: nonsense in tenant_guard.mode and tenant_guard.tenant_setting
# at start and on reload, a tenant setting that names a variable that
# cannot hold a tenant, and the library loaded for every database while the
# extension exists in one only.  Elsewhere: ALTER SYSTEM and SET of the
# settings (sql/loading.sql), an invalid name on reload and the library
# not preloaded at all (001_loading.pl).
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $no_tenant = qr/ERROR:  tenant context required for table "public.orders"/;

my $node = PostgreSQL::Test::Cluster->new('bad_config');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'tenant_guard'
tenant_guard.mode = 'enforcing'
tenant_guard.tenant_setting = 'tenant'
});

# A table with row-level security, the application's role, in database db.
sub setup_database
{
	my ($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
		CREATE TABLE orders (id int PRIMARY KEY, tenant_id text NOT NULL);
		INSERT INTO orders VALUES (1, '1'), (2, '1'), (3, '2');
		ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
		CREATE POLICY tenant ON orders
		  USING (tenant_id = current_setting('app.current_tenant', true));
		GRANT SELECT ON orders TO regress_app;
	});
}

# psql in database db as the application role: (stdout, stderr).
sub app_sql
{
	my ($db, $sql) = @_;
	my ($ret, $stdout, $stderr) =
	  $node->psql($db, $sql, extra_params => [ '-U', 'regress_app' ]);
	return ($stdout, $stderr);
}

#
# Nonsense in postgresql.conf at start: the server starts, the log says
# what was wrong, and the defaults apply: enforce, app.current_tenant.
#
$node->start;
ok( $node->log_contains(
		qr/WARNING:  invalid value for parameter "tenant_guard.mode": "enforcing"\n.*HINT:  Available values: enforce, warn, off\./
	),
	'an invalid mode at start is logged with the valid values');
ok( $node->log_contains(
		qr/WARNING:  invalid value for parameter "tenant_guard.tenant_setting": "tenant"\n.*DETAIL:  The tenant setting must be a custom setting name/
	),
	'an invalid tenant setting at start is logged with the rule');
is($node->safe_psql('postgres', 'SHOW tenant_guard.mode'),
	'enforce', 'the mode falls back to enforce');
is($node->safe_psql('postgres', 'SHOW tenant_guard.tenant_setting'),
	'app.current_tenant', 'the tenant setting falls back to its default');

$node->safe_psql('postgres', 'CREATE ROLE regress_app LOGIN');
setup_database('with_extension');
$node->safe_psql('with_extension', 'CREATE EXTENSION tenant_guard');
setup_database('without_extension');

my ($stdout, $stderr) = app_sql('with_extension', 'SELECT count(*) FROM orders');
like($stderr, $no_tenant, 'and the guard enforces them');

#
# Nonsense on reload: the previous values stay.
#
$node->adjust_conf('postgresql.conf', 'tenant_guard.mode', "'of'");
$node->adjust_conf('postgresql.conf', 'tenant_guard.tenant_setting',
	"'app.tenant id'");
$node->reload;
$node->poll_query_until('postgres',
	"SELECT count(*) = 2 FROM pg_file_settings WHERE name LIKE 'tenant_guard.%' AND NOT applied AND error IS NOT NULL"
) or die 'configuration file not reread';
is($node->safe_psql('postgres', 'SHOW tenant_guard.mode'),
	'enforce', 'an invalid mode on reload leaves the mode as it was');
is($node->safe_psql('postgres', 'SHOW tenant_guard.tenant_setting'),
	'app.current_tenant',
	'an invalid tenant setting on reload leaves it as it was');
($stdout, $stderr) = app_sql('with_extension', 'SELECT count(*) FROM orders');
like($stderr, $no_tenant, 'and the guard still enforces');
ok( $node->log_contains(
		qr/invalid value for parameter "tenant_guard.mode": "of"/),
	'the log says why the mode was not changed');

#
# A tenant setting that names a variable another module defines as
# something else than a string: there is no tenant, so nothing is served.
#
$node->adjust_conf('postgresql.conf', 'tenant_guard.mode', undef);
$node->adjust_conf('postgresql.conf', 'tenant_guard.tenant_setting',
	"'plpgsql.variable_conflict'");
$node->reload;
$node->poll_query_until('postgres',
	"SELECT setting = 'plpgsql.variable_conflict' FROM pg_settings WHERE name = 'tenant_guard.tenant_setting'"
) or die 'reload not seen';
($stdout, $stderr) = app_sql(
	'with_extension', q{
	DO $$BEGIN END$$;	-- loads PL/pgSQL, which defines the variable
	SELECT count(*) FROM orders;
});
like(
	$stderr,
	qr/WARNING:  configuration parameter "plpgsql.variable_conflict" cannot hold a tenant\nHINT:  Set tenant_guard.tenant_setting to the name of a custom string setting/,
	'a tenant setting that cannot hold a tenant is reported');
like($stderr, qr/ERROR:  tenant context required for table "public.orders"/,
	'and every statement on a table with row-level security is refused');
$node->adjust_conf('postgresql.conf', 'tenant_guard.tenant_setting', undef);
$node->reload;
$node->poll_query_until('postgres',
	"SELECT setting = 'app.current_tenant' FROM pg_settings WHERE name = 'tenant_guard.tenant_setting'"
) or die 'reload not seen';

#
# The library is loaded for every database, the extension created in one:
# the rules hold in the others too, where only the extension's functions
# are missing.
#
($stdout, $stderr) =
  app_sql('without_extension', 'SELECT count(*) FROM orders');
like($stderr, $no_tenant,
	'without the extension, a statement without a tenant is refused');
($stdout, $stderr) = app_sql('without_extension',
	"BEGIN; SET LOCAL app.current_tenant = '1'; SELECT count(*) FROM orders; COMMIT;"
);
is($stdout, '2', 'and a transaction with a tenant sees its rows');
($stdout, $stderr) =
  app_sql('without_extension', "SET app.current_tenant = '1'");
like(
	$stderr,
	qr/ERROR:  cannot set "app.current_tenant" at session level/,
	'and a session-level tenant is refused');
(undef, $stdout, $stderr) = $node->psql(
	'without_extension', q{
	ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
	SET ROLE regress_app;
	BEGIN;
	SET LOCAL app.current_tenant = '1';
	SELECT count(*) FROM orders;
});
like(
	$stderr,
	qr/ERROR:  row-level security on table "public.orders" is not forced/,
	'and a table whose row-level security is not forced is refused');
(undef, $stdout, $stderr) =
  $node->psql('without_extension', 'SELECT tenant_guard.status()');
like($stderr, qr/ERROR:  schema "tenant_guard" does not exist/,
	'the extension\'s functions are simply missing there');

# Nothing above took a backend down.
ok(!$node->log_contains(qr/terminated by signal|PANIC/),
	'no server process crashed');

$node->stop;
done_testing();

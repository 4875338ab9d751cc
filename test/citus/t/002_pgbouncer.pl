# tenant_guard on a Citus cluster behind PgBouncer in transaction pooling
# mode: the pooled-load check (test/t/008_pooled_load.pl) against the
# coordinator.
#
# 16 pgbench clients share two server connections of the coordinator, so
# each coordinator backend, and the connections Citus keeps from it to the
# workers, serve one tenant's transaction after another's.  Each
# transaction sets a random tenant (SET LOCAL in the simple protocol,
# set_tenant() with a bound parameter in the extended one), reads every
# order it can (fanned out to all shards) and those of another tenant
# (routed to that tenant's shard), and raises an error, failing its
# pgbench client, unless it saw exactly its own rows: 0 rows of another
# tenant.  After the load, a request without a tenant on a server
# connection that just served tenants is refused.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../../perl";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use TenantGuard::Citus;
use Test::More;

my $pgbouncer_bin = pgbouncer_binary();

my $tenants = 20;         # tenant t owns 3 * t orders
my $clients = 16;
my $per_client = 40;


my ($coord, @workers) = citus_nodes();
$coord->safe_psql(
	'postgres', sprintf(
		q{
	SET client_min_messages = warning;
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	SELECT citus_set_coordinator_host('%s', %d);
	SELECT citus_add_node('%s', %d);
	SELECT citus_add_node('%s', %d);
	CREATE TABLE orders (id int NOT NULL, tenant_id int NOT NULL, item text NOT NULL,
	  PRIMARY KEY (tenant_id, id));
	INSERT INTO orders SELECT t * 1000 + k, t, 'item'
	  FROM generate_series(1, %d) t, generate_series(1, 3 * t) k;
	SELECT tenant_guard.protect('orders');
	SELECT create_distributed_table('orders', 'tenant_id', shard_count => 8);
	SELECT truncate_local_data_after_distributing_table('orders');
	GRANT SELECT ON orders TO regress_app;
	-- raises an error, failing the pgbench client, unless ok
	CREATE FUNCTION expect(ok boolean, what text) RETURNS boolean
	  LANGUAGE plpgsql AS $$
	BEGIN
	  IF ok IS NOT TRUE THEN
	    RAISE EXCEPTION 'isolation broken: %%', what;
	  END IF;
	  RETURN true;
	END$$;
},
		$coord->host, $coord->port, $workers[0]->host, $workers[0]->port,
		$workers[1]->host, $workers[1]->port, $tenants));

my $bouncer = start_pgbouncer(
	$coord,
	binary => $pgbouncer_bin,
	pools => [ postgres => 2 ],
	default_pool_size => 2,
	max_client_conn => $clients + 10);
my $dir = $bouncer->basedir;

for my $phase ([ 'simple', 'SET LOCAL app.current_tenant = :t;' ],
	[ 'extended', 'SELECT tenant_guard.set_tenant(:t);' ])
{
	my ($mode, $set) = @$phase;
	my $script = "$dir/$mode.sql";
	PostgreSQL::Test::Utils::append_to_file(
		$script, qq{
\\set t random(1, $tenants)
\\set other 1 + :t % $tenants
BEGIN;
$set
SELECT expect(count(*) = 3 * :t::int AND count(*) FILTER (WHERE tenant_id <> :t::int) = 0,
  format('tenant %s saw %s orders, %s of other tenants', :t::int, count(*),
         count(*) FILTER (WHERE tenant_id <> :t::int))) FROM orders;
SELECT expect(count(*) = 0, format('tenant %s saw orders of tenant %s', :t::int, :other::int))
  FROM orders WHERE tenant_id = :other::int;
COMMIT;
});
	my ($out, $err);
	my $ok = IPC::Run::run(
		[
			$coord->installed_command('pgbench'), '-n',
			'-M', $mode, '-c', $clients, '-j', 2,
			'-t', $per_client, '-f', $script,
			'-h', $bouncer->host, '-p', $bouncer->port,
			'-U', 'regress_app', 'postgres'
		],
		'>', \$out, '2>', \$err);
	ok($ok, "$mode: pgbench through PgBouncer exits with status 0")
	  or diag("stdout:\n$out\nstderr:\n$err");
	like(
		$out,
		qr/number of transactions actually processed: @{[ $clients * $per_client ]}\//,
		"$mode: every transaction of every client saw only its tenant's rows");
}

# A request without a tenant, on a server connection that served tenants.
my ($ret, $out, $err) = (undef, '', '');
$ret = $bouncer->psql(
	'postgres', 'BEGIN; SELECT count(*) FROM orders; COMMIT;',
	stdout => \$out,
	stderr => \$err,
	extra_params => [ '-U', 'regress_app' ]);
ok($ret != 0 && $err =~ /tenant context required for table "public\.orders"/,
	'after the load, a request without a tenant is refused on the coordinator')
  or diag($err);

stop_pgbouncer();
done_testing();

# tenant_guard on a Citus cluster: a coordinator and two workers.
#
# test/citus/run.sh builds and installs Citus and runs this test; each node
# preloads 'citus, tenant_guard' (Citus refuses to load unless it comes
# first) and propagates SET LOCAL to the workers
# (citus.propagate_set_commands = 'local').  Citus sends the queries of a
# distributed table to its shards on the workers as the same role, without
# the coordinator's policies: the shards' policies, which Citus copies from
# the table, and tenant_guard on the workers decide what a request sees.
# The test checks
#
#   - protect() before and after create_distributed_table(), and on a
#     reference table: the shards on the workers have row-level security
#     enabled and forced, policies that enforce the tenant (Citus copies
#     every policy as a permissive one, so the baseline must enforce it
#     too), and the tenant default;
#   - requests of a tenant set with SET LOCAL and set_tenant() read and
#     write only its rows, routed to one shard or fanned out to all; a
#     tenant set with set_config(..., true) does not reach the workers,
#     which refuse the query; no tenant at all is refused on the
#     coordinator, naming the coordinator's table; a query sent directly to
#     a shard on a worker is refused there without a tenant;
#   - Citus's own work, as the superuser that runs it: copying a table's
#     rows into its shards, colocated foreign keys, distributed DDL, the
#     drift guard refusing DDL before Citus sends it on, a shard move and a
#     rebalance, after which the moved shards isolate as before;
#   - audit() on the coordinator and on each worker.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::Citus;
use Test::More;


my ($coord, @workers) = citus_nodes();


# As the application role: succeeds with exactly this output.
sub app_ok
{
	my ($node, $sql, $expected, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($ret, $out, $err) = sql($node, $sql, 'regress_app');
	is_deeply([ $ret, $out, $err ], [ 0, $expected, '' ], $name);
}

# As the application role: fails with an error matching this pattern.
sub app_refused
{
	my ($node, $sql, $pattern, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($ret, $out, $err) = sql($node, $sql, 'regress_app');
	ok($ret != 0 && $err =~ $pattern, $name)
	  or diag("exit $ret, stdout: $out\nstderr: $err");
	return $err;
}

#
# The cluster: the coordinator in the metadata, both workers added.  Citus
# creates the extension tenant_guard, the role and the tables' shells on
# the workers as it adds them and as they are created.
#
$coord->safe_psql(
	'postgres', sprintf(
		q{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	SELECT citus_set_coordinator_host('%s', %d);
	SELECT citus_add_node('%s', %d);
	SELECT citus_add_node('%s', %d);
},
		$coord->host, $coord->port, $workers[0]->host, $workers[0]->port,
		$workers[1]->host, $workers[1]->port));
is($coord->safe_psql('postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'two workers');
for my $w (@workers)
{
	is( $w->safe_psql(
			'postgres',
			q{SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'tenant_guard'}),
		't',
		$w->name . ': Citus created tenant_guard there');
}

#
# orders: protected, then distributed by tenant (its rows copied into the
# shards).  lines: distributed colocated with orders, with a foreign key
# carrying the tenant, then protected; its tenant column is declared with
# protect()'s default, since Citus refuses ALTER TABLE on the distribution
# column.  plans: a reference table without a tenant column.  prefs: a
# reference table with one, protected.
#
$coord->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	CREATE TABLE orders (id int NOT NULL, tenant_id int NOT NULL, item text NOT NULL,
	  PRIMARY KEY (tenant_id, id));
	INSERT INTO orders SELECT t * 100 + k, t, format('item %s of %s', k, t)
	  FROM generate_series(1, 6) t, generate_series(1, t) k;
	SELECT tenant_guard.protect('orders');
	SELECT create_distributed_table('orders', 'tenant_id', shard_count => 4);
	SELECT truncate_local_data_after_distributing_table('orders');

	CREATE TABLE lines (id int NOT NULL,
	  tenant_id int NOT NULL DEFAULT tenant_guard.tenant()::integer,
	  order_id int NOT NULL, qty int NOT NULL, PRIMARY KEY (tenant_id, id),
	  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id));
	SELECT create_distributed_table('lines', 'tenant_id', colocate_with => 'orders');
	INSERT INTO lines SELECT id, tenant_id, id, 1 FROM orders;
	SELECT tenant_guard.protect('lines');

	CREATE TABLE plans (id int PRIMARY KEY, name text NOT NULL);
	SELECT create_reference_table('plans');
	INSERT INTO plans VALUES (1, 'basic'), (2, 'pro');

	CREATE TABLE prefs (tenant_id int NOT NULL, k text NOT NULL, v text,
	  PRIMARY KEY (tenant_id, k));
	SELECT create_reference_table('prefs');
	INSERT INTO prefs SELECT t, 'colour', 'c' || t FROM generate_series(1, 6) t;
	SELECT tenant_guard.protect('prefs');

	GRANT SELECT, INSERT, UPDATE, DELETE ON orders, lines, prefs TO regress_app;
	GRANT SELECT ON plans TO regress_app;
});

my ($ret, $out, $err) = sql($coord, q{SELECT tenant_guard.protect('plans')});
like($err, qr/column "tenant_id"/,
	'protect() refuses a reference table without a tenant column');

#
# The shards on the workers: row-level security enabled and forced, both
# policies enforcing the tenant, the tenant default.
#
my $shard_state = q{
	SET citus.override_table_visibility = off;
	SELECT c.relname ~ '_[0-9]+$' AS shard,
		   regexp_replace(c.relname, '_[0-9]+$', '') AS tbl,
		   c.relrowsecurity, c.relforcerowsecurity,
		   (SELECT string_agg(p.polname || ':' ||
				   tenant_guard.policy_enforces_tenant(p.oid, 'tenant_id'), ','
				   ORDER BY p.polname)
			  FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
		   pg_get_expr(d.adbin, d.adrelid) AS tenant_default
	  FROM pg_class c
	  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	 WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
	 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2;
};
my $shards = 0;
for my $w (@workers)
{
	my $state = $w->safe_psql('postgres', $shard_state);
	my @rows = split /\n/, $state;
	my @shard_rows = grep { /^t\|/ } @rows;
	$shards += $w->safe_psql(
		'postgres', q{
		SET citus.override_table_visibility = off;
		SELECT count(*) FROM pg_class
		 WHERE relname ~ '^(orders|lines|prefs)_[0-9]+$' AND relkind = 'r'});
	is_deeply(
		[ grep { !/\|t\|t\|tenant_guard_baseline:true,tenant_guard_isolation:true\|\(tenant_guard\.tenant\(\)\)::integer$/ } @rows ],
		[],
		$w->name
		  . ': every table and shard with a tenant column is forced, with policies enforcing the tenant and the tenant default'
	) or diag($state);
	ok(scalar(grep { /^t\|orders\|/ } @shard_rows) >= 1,
		$w->name . ': holds shards of orders');
	ok(scalar(grep { /^t\|prefs\|/ } @shard_rows) == 1,
		$w->name . ': holds the shard of the reference table prefs');
}
# 4 shards of orders, 4 of lines, one of prefs on each node
is($shards, 10, 'the workers hold every shard of orders and lines, and prefs');

#
# Requests of one tenant, through the coordinator.
#
# $id: the id of the order the request inserts.
sub own_request
{
	my ($id) = @_;
	return qq{
	SELECT count(*), count(*) FILTER (WHERE tenant_id <> tenant_guard.tenant()::int) FROM orders;
	SELECT count(*) FROM orders WHERE tenant_id = 5;
	SELECT count(*) FROM orders WHERE id = 501;
	SELECT count(*) FROM orders o JOIN lines l USING (tenant_id) WHERE l.order_id = o.id;
	SELECT string_agg(v, ',') FROM prefs;
	UPDATE orders SET item = 'changed' WHERE tenant_id = 5;
	DELETE FROM lines WHERE tenant_id = 5;
	UPDATE prefs SET v = 'changed' WHERE tenant_id = 5;
	INSERT INTO orders (id, item) VALUES ($id, 'new') RETURNING tenant_id;
	SELECT count(*) FROM plans;
};
}
my $tenant5 = q{SELECT string_agg(item, ',' ORDER BY id) || ' ' ||
	(SELECT count(*) FROM lines WHERE tenant_id = 5) || ' ' ||
	(SELECT v FROM prefs WHERE tenant_id = 5) FROM orders WHERE tenant_id = 5};
my $tenant5_rows = $coord->safe_psql('postgres', $tenant5);
app_ok($coord, "BEGIN; SET LOCAL app.current_tenant = '3';" . own_request(999) . 'COMMIT;',
	"3|0\n0\n0\n3\nc3\n3\n2",
	'SET LOCAL: fan-out and routed reads see only the tenant\'s rows, writes reach only them, inserts get the tenant');
app_ok($coord, "BEGIN; SELECT tenant_guard.set_tenant(3) \\gset\n" . own_request(998) . 'ROLLBACK;',
	"4|0\n0\n0\n3\nc3\n3\n2", 'set_tenant(): the same');
is($coord->safe_psql('postgres', $tenant5), $tenant5_rows,
	'tenant 5\'s rows are as they were');
app_ok($coord, "BEGIN; SELECT tenant_guard.set_tenant(4) \\gset\n
	SELECT count(*) FROM orders WHERE tenant_id = 4; COMMIT;",
	'4', "set_tenant(): tenant 4 sees its 4 orders");

#
# A signed tenant token, verified on the coordinator and again on the
# workers, which all hold the keys (the test keys of
# test/tenant_guard.conf): set_tenant_token() sends it on as
# tenant_guard.tenant_token.  The tokens are test/tokens/mint.py's for
# tenant 2, valid until 2080, hence the long token_max_age.
#
my %token;
for (`/usr/bin/python3 $FindBin::RealBin/../../tokens/mint.py hs_t2 ed_ed2_t2`)
{
	$token{$1} = $2 if /^\\set (\w+) '([^']+)'$/;
}
is(scalar(keys %token), 2, 'test/tokens/mint.py minted the tokens of tenant 2');
for my $node ($coord, @workers)
{
	$node->append_conf('postgresql.conf',
		join('', grep { /^tenant_guard\.token_/ } split /^/, slurp_file("$FindBin::RealBin/../../tenant_guard.conf"))
		  . "tenant_guard.token_max_age = '20000d'\n");
	$node->reload;
}
# $name: the token; returns a transaction that reads as its tenant, routed
# to one shard and fanned out to all.
sub token_request
{
	my ($name) = @_;
	return qq{BEGIN; SELECT tenant_guard.set_tenant_token('$token{$name}') \\gset
	SELECT count(*), count(*) FILTER (WHERE tenant_id <> 2) FROM orders;
	SELECT count(*) FROM orders WHERE tenant_id = 2;
	SELECT count(*) FROM orders WHERE tenant_id = 5;
	SELECT count(*) FROM orders o JOIN lines l USING (tenant_id) WHERE l.order_id = o.id;
	COMMIT;};
}
for my $name (sort keys %token)
{
	app_ok($coord, token_request($name), "2|0\n2\n0\n2",
		"set_tenant_token() ($name): fan-out and routed reads see only tenant 2's rows");
}

# require_signed_tenant for the application role on every node: Citus
# propagates ALTER ROLE ... SET to the workers, which verify the token that
# set_tenant_token() sends them.
$coord->safe_psql('postgres',
	'ALTER ROLE regress_app SET tenant_guard.require_signed_tenant = on');
is( $coord->safe_psql(
		'postgres',
		q{SELECT string_agg(result, ',') FROM run_command_on_workers(
			$$SELECT count(*) FROM pg_db_role_setting
			   WHERE array_to_string(setconfig, ',') LIKE '%require_signed_tenant%'$$)}),
	'1,1',
	'require_signed_tenant: set for the role on the workers too');
for my $q ('SELECT count(*) FROM orders WHERE tenant_id = 2', 'SELECT count(*) FROM orders')
{
	my $err = app_refused(
		$coord,
		"BEGIN; SET LOCAL app.current_tenant = '2'; $q; COMMIT;",
		qr/ERROR:  signed tenant required for table "public\.orders"$/m,
		"require_signed_tenant: a plain SET LOCAL is refused on the coordinator: $q");
	unlike($err, qr/while executing command on/,
		"require_signed_tenant: no worker was asked: $q");
}
for my $name (sort keys %token)
{
	app_ok($coord, token_request($name), "2|0\n2\n0\n2",
		"require_signed_tenant: set_tenant_token() ($name) works, routed and fanned out");
}

# The application role sets another tenant on the workers by SQL that
# Citus runs there (the whole string of a SET LOCAL goes to the workers),
# and keeps its token from reaching them (citus.propagate_set_commands,
# which any role may set): the workers take that tenant as unsigned, and
# refuse (attacks/citus/02_worker_tenant_before_token.sh, branch attack11).
for my $q ('SELECT count(*) FROM orders WHERE tenant_id = 3',
	'SELECT count(*) FROM orders',
	"UPDATE orders SET item = 'forged' WHERE tenant_id = 3")
{
	app_refused(
		$coord,
		qq{BEGIN;
	SET LOCAL citus.log_remote_commands = off \\; SELECT set_config('app.current_tenant', '3', true) FROM pg_dist_local_group WHERE groupid <> 0;
	SET LOCAL citus.propagate_set_commands = 'none';
	SELECT tenant_guard.set_tenant_token('$token{hs_t2}') \\gset
	$q;
	COMMIT;},
		qr/ERROR:  signed tenant required for table "public\.orders_[0-9]+".*CONTEXT:  while executing command on /s,
		"require_signed_tenant: a tenant forged on the workers is refused there: $q");
}
is($coord->safe_psql('postgres', "SELECT count(*) FROM orders WHERE item = 'forged'"),
	'0', 'require_signed_tenant: no row was written with the forged tenant');
$coord->safe_psql('postgres',
	'ALTER ROLE regress_app RESET tenant_guard.require_signed_tenant');

# set_config(..., true) is not a SET statement: Citus does not send it on,
# and the workers refuse the query for want of a tenant.
app_refused(
	$coord,
	"BEGIN; SELECT set_config('app.current_tenant', '3', true) \\gset\n SELECT count(*) FROM orders; COMMIT;",
	qr/ERROR:  tenant context required for table "public\.orders_[0-9]+".*CONTEXT:  while executing command on /s,
	'set_config(..., true): the tenant does not reach the workers, which refuse the query');

# No tenant: refused on the coordinator (its table, no worker named).
for my $q ('SELECT count(*) FROM orders', 'SELECT count(*) FROM orders WHERE tenant_id = 3',
	"INSERT INTO orders VALUES (1, 3, 'x')", 'SELECT count(*) FROM prefs')
{
	my $err = app_refused($coord, "BEGIN; $q; COMMIT;",
		qr/ERROR:  tenant context required for table "public\.(orders|prefs)"$/m,
		"no tenant: refused on the coordinator: $q");
	unlike($err, qr/while executing command on/, "no tenant: no worker was asked: $q");
}

# A session-level tenant is refused on the coordinator, as on one server.
app_refused($coord, "SET app.current_tenant = '3'",
	qr/cannot set "app\.current_tenant" at session level/,
	'a session-level SET is refused on the coordinator');

#
# Directly on a worker: its shards refuse a query without a tenant, and
# show only the tenant's rows with one.
#
my $w1_shard = $workers[0]->safe_psql(
	'postgres', q{
	SET citus.override_table_visibility = off;
	SELECT relname FROM pg_class WHERE relname ~ '^orders_[0-9]+$' ORDER BY 1 LIMIT 1});
$workers[0]->safe_psql('postgres', "GRANT SELECT ON $w1_shard TO regress_app");
app_refused($workers[0], "BEGIN; SELECT count(*) FROM $w1_shard; COMMIT;",
	qr/tenant context required for table "public\.$w1_shard"/,
	'a query sent to a shard on a worker without a tenant is refused there');
my $w1_tenants = $workers[0]->safe_psql('postgres',
	"SELECT string_agg(DISTINCT tenant_id::text, ',') FROM $w1_shard");
my ($t1) = split /,/, $w1_tenants;
app_ok($workers[0],
	"BEGIN; SET LOCAL app.current_tenant = '$t1'; SELECT count(DISTINCT tenant_id) FROM $w1_shard; COMMIT;",
	'1', 'on a worker, a shard shows a tenant only its own rows');

#
# Citus's own work, as the superuser: distributed DDL, the drift guard
# refusing weakening DDL before Citus sends it on, a shard move and a
# rebalance.
#
$coord->safe_psql(
	'postgres', q{
	ALTER TABLE orders ADD COLUMN note text;
	CREATE INDEX orders_item ON orders (tenant_id, item);
});
($ret, $out, $err) = sql($coord, 'DROP POLICY tenant_guard_isolation ON orders');
ok($ret != 0 && $err =~ /protected table "public\.orders"/,
	'the drift guard refuses DROP POLICY on the coordinator') or diag($err);
($ret, $out, $err) = sql($coord, 'ALTER TABLE orders NO FORCE ROW LEVEL SECURITY');
isnt($ret, 0, 'the drift guard refuses NO FORCE on the coordinator');
for my $w (@workers)
{
	is( $w->safe_psql(
			'postgres', q{
		SET citus.override_table_visibility = off;
		SELECT count(*) FILTER (WHERE NOT relforcerowsecurity) || '/' ||
			   (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
				 WHERE c.relname ~ '^orders_[0-9]+$')
		  FROM pg_class WHERE relname ~ '^orders_[0-9]+$'}),
		'0/4',
		$w->name . ': the refused DDL reached no shard');
}

my $move = $coord->safe_psql(
	'postgres', sprintf(
		q{
	SELECT citus_move_shard_placement(s.shardid, '%s', %d, '%s', %d,
		shard_transfer_mode => 'block_writes')
	  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)
	  JOIN pg_dist_node n USING (groupid)
	 WHERE s.logicalrelid = 'orders'::regclass AND n.nodeport = %d
	 ORDER BY s.shardid LIMIT 1;
	SELECT count(*) FROM citus_shards WHERE nodeport = %d AND citus_table_type = 'distributed';
},
		$workers[0]->host, $workers[0]->port, $workers[1]->host,
		$workers[1]->port, $workers[0]->port, $workers[1]->port));
like($move, qr/\n6$/, 'a shard of orders (with its colocated shard of lines) moved');
$coord->safe_psql('postgres',
	"SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')");
is( $coord->safe_psql(
		'postgres',
		q{SELECT string_agg(nodeport::text || ':' || n, ',' ORDER BY nodeport)
		    FROM (SELECT nodeport, count(*) AS n FROM citus_shards
				   WHERE citus_table_type = 'distributed' GROUP BY 1) s}),
	join(',', map { $_->port . ':4' } sort { $a->port <=> $b->port } @workers),
	'rebalanced: four shards on each worker');
for my $w (@workers)
{
	my $state = $w->safe_psql('postgres', $shard_state);
	is_deeply(
		[ grep { !/\|t\|t\|tenant_guard_baseline:true,tenant_guard_isolation:true\|\(tenant_guard\.tenant\(\)\)::integer$/ } split /\n/, $state ],
		[], $w->name . ': after the move and rebalance, every shard still isolates')
	  or diag($state);
}
for my $t (1 .. 6)
{
	my $n = $t == 3 ? 4 : $t;
	app_ok($coord,
		"BEGIN; SET LOCAL app.current_tenant = '$t'; SELECT count(*), count(*) FILTER (WHERE tenant_id <> $t) FROM orders; COMMIT;",
		"$n|0", "after the rebalance, tenant $t sees exactly its $n orders");
}

#
# audit(): nothing critical or high on the coordinator; on the workers,
# through the coordinator, nothing critical for the shards.
#
is( $coord->safe_psql(
		'postgres',
		q{SELECT string_agg(finding || ' ' || object_name, ', ') FROM tenant_guard.audit()
		   WHERE severity IN ('critical', 'high')}),
	'',
	'audit() on the coordinator: nothing critical or high');
is( $coord->safe_psql(
		'postgres',
		q{SELECT string_agg(result, ',') FROM run_command_on_workers(
			$$SELECT count(*) FROM tenant_guard.audit() WHERE severity = 'critical'$$)}),
	'0,0',
	'audit() on each worker (run_command_on_workers): nothing critical, shards included');

# A protected table whose baseline is USING (true), as protect() made it
# before Citus was installed: critical in audit(), and protect() repairs it.
$coord->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	CREATE TABLE legacy (id int, tenant_id int NOT NULL);
	SELECT tenant_guard.protect('legacy');
	SET tenant_guard.mode = off;
	DROP POLICY tenant_guard_baseline ON legacy;
	CREATE POLICY tenant_guard_baseline ON legacy USING (true) WITH CHECK (true);
});
is( $coord->safe_psql(
		'postgres',
		q{SELECT severity || ' ' || finding FROM tenant_guard.audit() WHERE object_name = 'public.legacy'}),
	'critical baseline_policy_changed',
	'audit(): a baseline of true is critical where Citus is installed');
$coord->safe_psql('postgres', q{SELECT tenant_guard.protect('legacy')});
is( $coord->safe_psql(
		'postgres',
		q{SELECT count(*) FROM tenant_guard.audit() WHERE object_name = 'public.legacy'}),
	'0', 'protect() makes the baseline enforce the tenant');

# Citus must be loaded first: with tenant_guard first the server does not
# start.
my $wrong = PostgreSQL::Test::Cluster->new('wrong_order');
$wrong->init;
$wrong->append_conf('postgresql.conf',
	"shared_preload_libraries = 'tenant_guard, citus'");
ok(!$wrong->start(fail_ok => 1), 'tenant_guard before citus: the server does not start');
like(slurp_file($wrong->logfile), qr/Citus has to be loaded first/,
	'and Citus says why');

done_testing();

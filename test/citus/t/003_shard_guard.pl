# The drift guard on the shards, and audit() of the shards from the
# coordinator, on a Citus cluster of a coordinator and two workers.
#
# A protected distributed table's shards, and the workers' copies of the
# table (its shell), belong to the table's owner, who can connect to a
# worker.  The test checks, as that owner (a role that is not a
# superuser) connected to a worker, that DDL weakening a shard or the
# shell is refused there, naming the shard, also with the settings that
# turn Citus's own checks off (citus.enable_manual_changes_to_shards,
# citus.enable_ddl_propagation); that Citus's own work still passes (a
# shard split, a move, protect() repairing a policy on the coordinator, a
# superuser's change with SET LOCAL tenant_guard.mode = off, DROP TABLE);
# that a policy of the owner's that does not enforce the tenant is refused
# on the coordinator and on the workers (Citus makes it permissive on the
# shards); and that audit() on the coordinator reports a shard a superuser changed
# on a worker as critical, naming the shard and the node, and a worker that
# is down as a finding rather than an error.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::Citus;
use Test::More;


my ($coord, @workers) = citus_nodes();


$coord->safe_psql(
	'postgres', sprintf(
		q{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_owner LOGIN;
	GRANT CREATE ON SCHEMA public TO regress_owner;
	SELECT citus_set_coordinator_host('%s', %d);
	SELECT citus_add_node('%s', %d);
	SELECT citus_add_node('%s', %d);
},
		$coord->host, $coord->port, $workers[0]->host, $workers[0]->port,
		$workers[1]->host, $workers[1]->port));

# orders: owned by regress_owner, protected, then distributed (by the
# superuser: create_distributed_table() reads the table without a tenant).
# prefs: a protected reference table.
$coord->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	SET ROLE regress_owner;
	CREATE TABLE orders (id int NOT NULL, tenant_id int NOT NULL, item text,
	  PRIMARY KEY (tenant_id, id));
	SELECT tenant_guard.protect('orders');
	CREATE TABLE prefs (tenant_id int NOT NULL, k text NOT NULL, PRIMARY KEY (tenant_id, k));
	RESET ROLE;
	SELECT create_distributed_table('orders', 'tenant_id', shard_count => 4);
	SELECT create_reference_table('prefs');
	SET ROLE regress_owner;
	SELECT tenant_guard.protect('prefs');
});

# A shard of orders on each worker, and the shard of prefs.
my $shard_query = q{
	SET citus.override_table_visibility = off;
	SELECT relname FROM pg_class WHERE relname ~ '^orders_[0-9]+$' ORDER BY 1 LIMIT 1};
my @shards = map { $_->safe_psql('postgres', $shard_query) } @workers;
my $prefs_shard = $workers[0]->safe_psql('postgres',
	q{SET citus.override_table_visibility = off;
	  SELECT relname FROM pg_class WHERE relname ~ '^prefs_[0-9]+$'});
like($shards[0], qr/^orders_[0-9]+$/, 'worker1 holds a shard of orders');

#
# As the owner, directly on a worker: every weakening DDL is refused,
# naming the shard or the copy, with Citus's own checks turned off.
#
my $evade = q{SET citus.enable_manual_changes_to_shards = on;
	SET citus.enable_ddl_propagation = off;
	SET application_name = 'citus_internal gpid=10000000001';};
my @attacks = (
	[ "DROP POLICY tenant_guard_isolation ON $shards[0]",
		qr/cannot drop policy "tenant_guard_isolation" of protected table "public\.$shards[0]"/ ],
	[ "DROP POLICY tenant_guard_baseline ON $shards[0]",
		qr/cannot drop policy "tenant_guard_baseline" of protected table "public\.$shards[0]"/ ],
	[ "ALTER POLICY tenant_guard_isolation ON $shards[0] USING (true)",
		qr/cannot alter policy "tenant_guard_isolation" of protected table "public\.$shards[0]"/ ],
	[ "ALTER POLICY tenant_guard_baseline ON $shards[0] RENAME TO x",
		qr/cannot rename policy "tenant_guard_baseline" of protected table "public\.$shards[0]"/ ],
	[ "ALTER TABLE $shards[0] NO FORCE ROW LEVEL SECURITY",
		qr/cannot stop forcing row-level security of protected table "public\.$shards[0]"/ ],
	[ "ALTER TABLE $shards[0] DISABLE ROW LEVEL SECURITY",
		qr/cannot disable row-level security of protected table "public\.$shards[0]"/ ],
	[ "ALTER TABLE $shards[0] DROP COLUMN tenant_id CASCADE",
		qr/tenant column "tenant_id" of protected table "public\.$shards[0]"/ ],
	[ "DROP POLICY tenant_guard_isolation ON $prefs_shard",
		qr/cannot drop policy "tenant_guard_isolation" of protected table "public\.$prefs_shard"/ ],
	[ 'DROP POLICY tenant_guard_isolation ON orders',
		qr/cannot drop policy "tenant_guard_isolation" of protected table "public\.orders".*copy of Citus table/s ],
	[ 'ALTER TABLE orders NO FORCE ROW LEVEL SECURITY',
		qr/cannot stop forcing row-level security of protected table "public\.orders"/ ]);
for my $a (@attacks)
{
	my ($ddl, $pattern) = @$a;
	my ($ret, $out, $err) = sql($workers[0], "$evade $ddl", 'regress_owner');
	ok($ret != 0 && $err =~ $pattern, "on a worker, the owner's $ddl is refused")
	  or diag("exit $ret: $err");
}
like((sql($workers[0], "DROP POLICY tenant_guard_isolation ON $shards[0]", 'regress_owner'))[2],
	qr/shard of Citus table "public\.orders".*\nHINT:  Change the table on the coordinator/s,
	'the refusal names the distributed table and says where to change it');
my ($ret, $out, $err);

# A policy of the owner's own: Citus makes it permissive on the shards,
# where one without the tenant condition would let every tenant's rows
# through protect()'s policies.  Refused on the coordinator (restrictive
# or not) and on a worker's shard; one with the tenant condition is not.
for my $p (
	[ $coord, 'CREATE POLICY open ON orders USING (true)' ],
	[ $coord, 'CREATE POLICY narrow ON orders AS RESTRICTIVE USING (item IS NOT NULL)' ],
	[ $workers[0], "$evade CREATE POLICY open ON $shards[0] USING (true)" ],
	[ $workers[0], "$evade CREATE POLICY open ON orders USING (true)" ])
{
	my ($node, $ddl) = @$p;
	my ($ret, $out, $err) = sql($node, $ddl, 'regress_owner');
	ok($ret != 0 && $err =~ /policy "(open|narrow)" of protected table "public\.orders(_[0-9]+)?" does not enforce the tenant/,
		$node->name . ": the owner's policy without the tenant is refused: $ddl")
	  or diag("exit $ret: $err");
}
($ret, $out, $err) = sql($coord,
	'CREATE POLICY own ON orders FOR SELECT USING (tenant_id = tenant_guard.tenant()::integer AND item IS NOT NULL)',
	'regress_owner');
is($ret, 0, 'a policy of the owner\'s that enforces the tenant is not refused') or diag($err);
$coord->safe_psql('postgres', 'SET ROLE regress_owner; DROP POLICY own ON orders');

# A shard the owner takes out of Citus's view on a worker is still guarded
# by the isolation policy it carries (attacks/citus on branch attack11):
# renamed, moved to another schema, or its metadata deleted through
# Citus's internal function, which trusts a citus_internal
# application_name; and no trigger may be created on a shard.
$coord->safe_psql('postgres', 'CREATE SCHEMA evade AUTHORIZATION regress_owner');
for my $t (
	[ "ALTER TABLE $shards[0] RENAME TO renamed; ALTER POLICY tenant_guard_isolation ON renamed USING (true)",
		qr/cannot alter policy "tenant_guard_isolation" of protected table "public\.renamed"/ ],
	[ "ALTER TABLE $shards[0] SET SCHEMA evade; ALTER TABLE evade.$shards[0] DISABLE ROW LEVEL SECURITY",
		qr/cannot disable row-level security of protected table "evade\.$shards[0]"/ ],
	[ "SELECT citus_internal.delete_shard_metadata(" . ($shards[0] =~ s/.*_//r) . "); CREATE POLICY open ON $shards[0] USING (true)",
		qr/policy "open" of protected table "public\.$shards[0]" does not enforce the tenant/ ],
	[ "CREATE FUNCTION evade.copy_rows() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; CREATE TRIGGER copy_rows AFTER UPDATE ON $shards[0] FOR EACH ROW EXECUTE FUNCTION evade.copy_rows()",
		qr/cannot create trigger "copy_rows" on "public\.$shards[0]", a shard of protected table "public\.orders"/ ])
{
	my ($ddl, $pattern) = @$t;
	my ($ret, $out, $err) = sql($workers[0], "$evade BEGIN; $ddl; COMMIT;", 'regress_owner');
	ok($ret != 0 && $err =~ $pattern, "on a worker, the owner's $ddl is refused")
	  or diag("exit $ret: $err");
}

# the superuser too needs tenant_guard.mode = off, as on the coordinator
($ret, $out, $err) = sql($workers[0],
	"DROP POLICY tenant_guard_baseline ON $shards[0]");
ok($ret != 0 && $err =~ /cannot drop policy/,
	'on a worker, even the superuser cannot drop a shard\'s policy without mode = off');
# on the coordinator, its own shard of the reference table prefs
($ret, $out, $err) = sql($coord, "DROP POLICY tenant_guard_isolation ON $prefs_shard", 'regress_owner');
like($err, qr/protected table "public\.$prefs_shard"/,
	'on the coordinator, its shard of a protected reference table is guarded');

my $intact = q{
	SET citus.override_table_visibility = off;
	SELECT count(*) FILTER (WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity)) || '/' ||
		   (SELECT count(*) FROM pg_policy p JOIN pg_class pc ON pc.oid = p.polrelid
			 WHERE pc.relname ~ '^(orders|prefs)(_[0-9]+)?$'
			   AND tenant_guard.policy_enforces_tenant(p.oid, 'tenant_id'))
	  FROM pg_class c WHERE c.relname ~ '^(orders|prefs)(_[0-9]+)?$' AND c.relkind = 'r'};
my $before = $workers[0]->safe_psql('postgres', $intact);
like($before, qr{^0/\d+$}, 'worker1: every shard is forced, policies enforce the tenant');

#
# audit() on the coordinator: nothing about the shards while they are
# intact.
#
my $shard_findings = q{SELECT string_agg(severity || ' ' || finding || ' ' || object_name, E'\n'
	ORDER BY object_name) FROM tenant_guard.audit() WHERE object_type = 'shard'};
is($coord->safe_psql('postgres', $shard_findings), '', 'audit(): the intact shards give no finding');

#
# Citus's own work still passes: a split, a move, protect() repairing a
# policy changed by a superuser with SET LOCAL tenant_guard.mode = off
# (which Citus sends on to the shards), distributed DDL, DROP TABLE.
#
$coord->safe_psql(
	'postgres', sprintf(
		q{
	SELECT citus_split_shard_by_split_points(
		(SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'orders'::regclass),
		ARRAY[(SELECT ((shardminvalue::bigint + shardmaxvalue::bigint) / 2)::text
				 FROM pg_dist_shard WHERE logicalrelid = 'orders'::regclass
				 ORDER BY shardid LIMIT 1)],
		ARRAY[(SELECT nodeid FROM pg_dist_node WHERE nodeport = %d),
			  (SELECT nodeid FROM pg_dist_node WHERE nodeport = %d)],
		shard_transfer_mode => 'block_writes');
},
		$workers[0]->port, $workers[1]->port));
is($coord->safe_psql('postgres',
		q{SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'orders'::regclass}),
	'5', 'a shard of orders was split in two');
$coord->safe_psql(
	'postgres', q{
	BEGIN;
	SET LOCAL tenant_guard.mode = off;
	ALTER POLICY tenant_guard_baseline ON orders USING (true) WITH CHECK (true);
	COMMIT;
});
like($coord->safe_psql('postgres', $shard_findings),
	qr/critical shard_protection_changed public\.orders_[0-9]+ on /,
	'audit(): a baseline of true on the shards is critical');
$coord->safe_psql('postgres', q{SET ROLE regress_owner; SELECT tenant_guard.protect('orders')});
is($coord->safe_psql('postgres', $shard_findings), '',
	'protect() on the coordinator repairs the shards\' policies through the guard on the workers');
$coord->safe_psql('postgres', q{SET ROLE regress_owner; ALTER TABLE orders ADD COLUMN note text});
$coord->safe_psql(
	'postgres', sprintf(
		q{
	SELECT citus_move_shard_placement(s.shardid, '%s', %d, '%s', %d,
		shard_transfer_mode => 'block_writes')
	  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)
	  JOIN pg_dist_node n USING (groupid)
	 WHERE s.logicalrelid = 'orders'::regclass AND n.nodeport = %d
	 ORDER BY s.shardid LIMIT 1;
},
		$workers[0]->host, $workers[0]->port, $workers[1]->host,
		$workers[1]->port, $workers[0]->port));
pass('a shard move passes the guard on both workers');
is($coord->safe_psql('postgres', $shard_findings), '', 'audit(): after the split and the move, no shard finding');

#
# A superuser drops a shard's policy on a worker with tenant_guard.mode =
# off: the coordinator's audit() names the shard and the node.
#
my $victim = $workers[1]->safe_psql('postgres', $shard_query);
$workers[1]->safe_psql(
	'postgres', qq{
	BEGIN;
	SET LOCAL tenant_guard.mode = off;
	DROP POLICY tenant_guard_isolation ON $victim;
	DROP POLICY tenant_guard_baseline ON $victim;
	CREATE POLICY open ON $victim USING (true);
	COMMIT;
});
my $node2 = $workers[1]->host . ':' . $workers[1]->port;
my $found = $coord->safe_psql('postgres',
	q{SELECT severity || ' ' || finding || ' ' || object_name || ' | ' || detail
	    FROM tenant_guard.audit() WHERE object_type = 'shard'});
like($found,
	qr/^critical shard_protection_changed public\.\Q$victim\E on \Q$node2\E \| .*policy tenant_guard_baseline and policy tenant_guard_isolation missing.*policy open does not enforce the tenant/m,
	'audit() on the coordinator: the changed shard is critical, with its node and what changed')
  or diag($found);
is(scalar(() = $found =~ /^critical/mg), 1, 'and it is the only shard finding');

# A worker that is down: a finding, not an error.
$workers[0]->stop;
($ret, $out, $err) = sql($coord,
	q{SELECT DISTINCT severity || ' ' || finding FROM tenant_guard.audit()
	   WHERE object_type = 'shard' ORDER BY 1});
is_deeply([ $ret, $out ], [ 0, "critical shard_protection_changed\nhigh shard_not_checked" ],
	'audit() with a worker down: its shards are a finding, the other worker is still checked')
  or diag($err);
$workers[0]->start;

# DROP TABLE from the coordinator drops the shards on the workers.
$coord->safe_psql('postgres', 'SET ROLE regress_owner; DROP TABLE orders, prefs');
is($workers[1]->safe_psql('postgres',
		q{SET citus.override_table_visibility = off;
		  SELECT count(*) FROM pg_class WHERE relname ~ '^(orders|prefs)'}),
	'0', 'DROP TABLE from the coordinator drops the shards and copies on the workers');

done_testing();

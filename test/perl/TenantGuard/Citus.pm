# Helpers shared by the Citus cluster tests (test/citus/t/*.pl): the nodes
# of a cluster, and SQL run as a role with its exit code and output.  A
# test loads it with
#
#   use FindBin;
#   use lib "$FindBin::RealBin/../../perl";
#   use TenantGuard::Citus;
package TenantGuard::Citus;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(citus_node citus_nodes sql);

# A node of a cluster, started, with Citus created in database postgres
# (Citus must come first in shared_preload_libraries).  citus.local_hostname:
# a shard move connects to the node itself, by default over TCP to
# localhost, where the tests' servers do not listen; wal_level logical for
# the moves too.
sub citus_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'citus, tenant_guard'
citus.propagate_set_commands = 'local'
citus.local_hostname = '@{[ $node->host ]}'
max_prepared_transactions = 20
wal_level = logical
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

# A coordinator and two workers, not yet joined: ($coord, @workers).
sub citus_nodes
{
	return (citus_node('coordinator'), citus_node('worker1'),
		citus_node('worker2'));
}

# Run SQL as a role (default: the superuser): (exit code, stdout, stderr).
sub sql
{
	my ($node, $sql, $user) = @_;
	my ($out, $err);
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$out,
		stderr => \$err,
		extra_params => [ defined $user ? ('-U', $user) : () ]);
	return ($ret, $out, $err);
}

1;

# Copyright: tenant_guard developers
#
# How the library is loaded, and settings that only a server restart or
# reload can exercise.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plain');
$node->init;
$node->start;

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION tenant_guard');
is($ret, 0, 'CREATE EXTENSION works without preloading');
like($stderr, qr/WARNING:  tenant_guard is not preloaded/,
	'CREATE EXTENSION warns when the library is not preloaded');

$node->stop;
done_testing();

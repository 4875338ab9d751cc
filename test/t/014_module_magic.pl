# tenant_guard's magic block.  From PostgreSQL 18 on, a library can give
# its name and version in it (PG_MODULE_MAGIC_EXT), and
# pg_get_loaded_modules() shows them: a server administrator can tell which
# build of the guard every session runs.  Earlier versions have neither.
use strict;
use warnings FATAL => 'all';

use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = File::Spec->rel2abs(dirname(__FILE__) . '/../..');
my ($version) =
  slurp_file("$root/tenant_guard.control") =~
  /^default_version\s*=\s*'([^']+)'/m;

my $node = PostgreSQL::Test::Cluster->new('magic');
plan skip_all => 'pg_get_loaded_modules() is new in PostgreSQL 18'
  if $node->pg_version < 18;

$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'tenant_guard'");
$node->start;

is( $node->safe_psql(
		'postgres', q{
	SELECT module_name || ' ' || version FROM pg_get_loaded_modules()
	 WHERE file_name = 'tenant_guard.so'}),
	"tenant_guard $version",
	"the loaded library says it is tenant_guard $version");

$node->stop;
done_testing();

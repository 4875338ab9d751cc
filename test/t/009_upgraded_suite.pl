# tenant_guard: the regression suite, run on a database whose extension was
# installed at the previous version and then updated.
#
# sql/upgrade.sql checks that the update creates the same objects as a
# fresh install; this test checks that they also behave the same: a
# database created at 1.0 and brought up to date with ALTER EXTENSION ...
# UPDATE passes every regression test, with the expected output of a fresh
# install.  The tests left out are the two that create the extension
# themselves (loading, upgrade).
use strict;
use warnings FATAL => 'all';

use File::Basename qw(dirname);
use File::Spec;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $root = File::Spec->rel2abs(dirname(__FILE__) . '/../..');
my $previous_version = '1.0';

# The current version and the regression tests, from the build files.
my ($current_version) =
  slurp_file("$root/tenant_guard.control") =~
  /^default_version\s*=\s*'([^']+)'/m;
my ($regress) = slurp_file("$root/Makefile") =~ /^REGRESS\s*=\s*(.+)$/m;
my @tests = grep { $_ ne 'loading' && $_ ne 'upgrade' } split ' ', $regress;
cmp_ok(scalar @tests, '>=', 10, 'the regression tests are found in the Makefile');
isnt($current_version, $previous_version, "the current version is $current_version");

# the configuration of make installcheck's server (the test keys of
# signed tenant tokens)
my $node = preloaded_node('upgraded',
	slurp_file("$root/test/tenant_guard.conf"));

$node->safe_psql('postgres', 'CREATE DATABASE contrib_regression');
$node->safe_psql('contrib_regression',
	"CREATE EXTENSION tenant_guard VERSION '$previous_version'");
is( $node->safe_psql(
		'contrib_regression',
		"SELECT extversion FROM pg_extension WHERE extname = 'tenant_guard'"),
	$previous_version,
	"installed at $previous_version");
$node->safe_psql('contrib_regression', 'ALTER EXTENSION tenant_guard UPDATE');
is( $node->safe_psql(
		'contrib_regression',
		"SELECT extversion FROM pg_extension WHERE extname = 'tenant_guard'"),
	$current_version,
	"updated to $current_version");

# pg_regress from PGXS, on the existing database, with the source tree's
# sql/ and expected/ and its results in a directory of its own.
my $pg_regress = $node->config_data('--pkglibdir')
  . '/pgxs/src/test/regress/pg_regress';
my $outputdir = PostgreSQL::Test::Utils::tempdir('upgraded_suite');
my ($stdout, $stderr);
my $passed = IPC::Run::run(
	[
		$pg_regress, '--use-existing', '--dbname=contrib_regression',
		'--host=' . $node->host, '--port=' . $node->port,
		'--bindir=' . $node->config_data('--bindir'),
		"--inputdir=$root", "--outputdir=$outputdir", @tests
	],
	'>', \$stdout, '2>', \$stderr);
note $stdout;
if (!$passed && -f "$outputdir/regression.diffs")
{
	diag slurp_file("$outputdir/regression.diffs");
}
ok($passed, 'every regression test passes on the updated extension')
  or diag $stderr;
like(
	$stdout,
	qr/All ${\ scalar @tests} tests passed/,
	'pg_regress ran all ' . scalar(@tests) . ' tests');

$node->stop;
done_testing();

# tenant_guard through a real extended-protocol driver (DBD::Pg, which
# prepares statements with parameters on the server): when a session-level
# tenant is refused, and what state the connection is left in.
#
# A connection pool (knex, for one) returns a connection to the pool after
# COMMIT, failed or not.  A failed COMMIT must therefore leave the
# connection outside any transaction, as PostgreSQL's own failed COMMIT
# does (a deferred constraint, say), not in an aborted transaction block
# where every later request gets 25P02.  And the refusal of
# set_config(..., false) must come at the statement that made it, not at
# the COMMIT: a plain SELECT of the extended protocol is ended only when
# its portal is dropped, which is when the client sends its next statement.
#
# Each check looks at the error of each step and at the transaction status
# libpq reports after it (pg_ping: 1 idle, 3 in a transaction, 4 in a failed
# transaction).  Then set_tenant() with parameters of each type the driver
# can send.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

eval { require DBI; require DBD::Pg; DBD::Pg->import(':pg_types'); 1 }
  or plan skip_all => 'DBD::Pg is not installed (Debian: libdbd-pg-perl)';

my $node = preloaded_node('driver_commit');

$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION tenant_guard;
	CREATE ROLE regress_app LOGIN;
	CREATE TABLE orders (id int PRIMARY KEY, tenant_id text NOT NULL);
	SELECT tenant_guard.protect('orders');
	INSERT INTO orders VALUES (1, '1'), (2, '2'),
	  (3, '1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70');
	GRANT SELECT ON orders TO regress_app;
	-- a session-level tenant set at COMMIT, by a deferred trigger, in a
	-- PL/pgSQL assignment (a simple expression: no executor runs)
	CREATE TABLE events (tenant text);
	CREATE FUNCTION set_session_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE x text;
	BEGIN
	  x := set_config('app.current_tenant', NEW.tenant, false);
	  RETURN NULL;
	END$$;
	CREATE CONSTRAINT TRIGGER set_session_tenant AFTER INSERT ON events
	  DEFERRABLE INITIALLY DEFERRED
	  FOR EACH ROW EXECUTE FUNCTION set_session_tenant();
	GRANT INSERT ON events TO regress_app;
});

my $dbh = DBI->connect(
	'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port,
	'regress_app', '',
	{ AutoCommit => 1, RaiseError => 0, PrintError => 0, pg_server_prepare => 1 })
  or die 'cannot connect: ' . DBI->errstr;

# Run a statement with parameters through the extended protocol; return
# its first column (or 'ERROR <sqlstate>: <first line>') and the
# connection's transaction status after it.
sub step
{
	my ($sql, @params) = @_;
	my $sth = $dbh->prepare($sql);
	my $ok = $sth && $sth->execute(@params);
	my $result;
	if ($ok)
	{
		my $row = $sth->{NUM_OF_FIELDS} ? $sth->fetchrow_arrayref : undef;
		$result = $row ? $row->[0] // 'NULL' : 'ok';
		$sth->finish;
	}
	else
	{
		(my $msg = $dbh->errstr) =~ s/\n.*//s;
		$result = 'ERROR ' . $dbh->state . ": $msg";
	}
	return [ $result, $dbh->pg_ping ];
}

my $session_level = 'ERROR 42501: ERROR:  "app.current_tenant" was set at session level';
my $no_tenant = 'ERROR 42501: ERROR:  tenant context required for table "public.orders"';

# 1. The refusal comes at the SELECT that made the assignment.
is_deeply(
	[
		step('BEGIN'),
		step(q{SELECT set_config('app.current_tenant', $1, false)}, '1'),
		step('COMMIT'),
		step(q{SELECT current_setting('app.current_tenant')}),
		step('SELECT count(*) FROM orders')
	],
	[ [ 'ok', 3 ], [ $session_level, 4 ], [ 'ok', 1 ], [ '', 1 ], [ $no_tenant, 1 ] ],
	'set_config(..., false) with a parameter: refused at its own statement, COMMIT ends the transaction, no tenant after');

# 2. The same without parameters, and the next request on the connection
# works with its own tenant.
is_deeply(
	[
		step('BEGIN'),
		step(q{SELECT set_config('app.current_tenant', '2', false)}),
		step('COMMIT'),
		step('BEGIN'),
		step('SELECT tenant_guard.set_tenant($1)', '1'),
		step('SELECT string_agg(id::text, \',\') FROM orders'),
		step('COMMIT')
	],
	[
		[ 'ok', 3 ], [ $session_level, 4 ], [ 'ok', 1 ],
		[ 'ok', 3 ], [ '1', 3 ], [ '1', 3 ], [ 'ok', 1 ]
	],
	'the next request on the connection gets its own tenant only');

# 3. Where the assignment is made at COMMIT (a deferred trigger), the refusal
# comes at COMMIT, and the failed COMMIT leaves the connection idle, outside
# any transaction, with no tenant: by a simple-protocol COMMIT and by an
# extended-protocol one.
for my $commit ([ 'simple', sub { $dbh->do('COMMIT') } ],
	[ 'extended', sub { $dbh->prepare('COMMIT')->execute } ])
{
	my ($kind, $run) = @$commit;
	my @steps = (step('BEGIN'), step(q{INSERT INTO events VALUES ($1)}, '2'));
	my $ok = $run->();
	(my $msg = $ok ? 'ok' : 'ERROR ' . $dbh->state . ': ' . $dbh->errstr) =~ s/\n.*//s;
	push @steps, [ $msg, $dbh->pg_ping ];
	push @steps, step(q{SELECT current_setting('app.current_tenant')});
	push @steps, step('SELECT 1');
	is_deeply(
		\@steps,
		[ [ 'ok', 3 ], [ 'ok', 3 ], [ $session_level, 1 ], [ '', 1 ], [ '1', 1 ] ],
		"refused at a $kind COMMIT: the connection is left idle, with no tenant");
}

# 4. set_tenant() with each parameter type the driver can send: untyped
# (DBD::Pg's default), text, int4, int8, uuid.
for my $case (
	[ 'untyped', '1', undef, '1' ],
	[ 'text', '2', { pg_type => PG_TEXT() }, '2' ],
	[ 'int4', 1, { pg_type => PG_INT4() }, '1' ],
	[ 'int8', 2, { pg_type => PG_INT8() }, '2' ],
	[ 'uuid', '1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70', { pg_type => PG_UUID() }, '3' ])
{
	my ($type, $value, $attr, $rows) = @$case;
	step('BEGIN');
	my $sth = $dbh->prepare('SELECT tenant_guard.set_tenant($1)');
	$sth->bind_param(1, $value, $attr);
	my $set = $sth->execute ? $sth->fetchrow_arrayref->[0] : 'ERROR ' . $dbh->state;
	$sth->finish;
	is_deeply(
		[ $set, step('SELECT string_agg(id::text, \',\') FROM orders'), step('COMMIT') ],
		[ "$value", [ $rows, 3 ], [ 'ok', 1 ] ],
		"set_tenant() with a parameter of type $type");
}

# Outside a transaction block it is refused at once.
is_deeply(step('SELECT tenant_guard.set_tenant($1)', '1'),
	[ 'ERROR 25P01: ERROR:  tenant_guard.set_tenant() can only be used in transaction blocks', 1 ],
	'set_tenant() in autocommit mode: refused');

$dbh->disconnect;
$node->stop;
done_testing();

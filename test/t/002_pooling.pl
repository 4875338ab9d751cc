# tenant_guard: one pooled connection serving many requests.
#
# An application pool (HikariCP, pgx, SQLAlchemy, ...) hands the same
# server connection to one request after another, each a transaction:
# BEGIN; SET LOCAL app.current_tenant = '...' (or set_config(..., true));
# queries; COMMIT.  Whatever a request does, the next one on the connection
# must start with no tenant: it is served its own tenant's rows if it sets
# one, and refused if it does not, never served the rows of the request
# before it.  Then two sessions interleave transactions of different
# tenants.
#
# Every check asserts the exact rows, or the exact SQLSTATE and message of
# the refusal together with the absence of any row, so a leak fails it.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('pooling');

# Tenant t owns t rows (create_orders()'s).  The policy reads the setting
# itself, as hand-written policies do: a tenant left behind by an earlier
# request would show its rows.
my %rows = (
	1 => '11|1',
	2 => "21|2\n22|2",
	3 => "31|3\n32|3\n33|3");
my $all_rows = q{SELECT string_agg(id || ':' || tenant_id || ':' || item, ' ' ORDER BY id) FROM orders};
create_orders($node);
$node->safe_psql(
	'postgres', q{
	-- sets the tenant at session level in a PL/pgSQL assignment, which runs
	-- no executor, then commits
	CREATE PROCEDURE set_session_tenant_and_commit(t text) LANGUAGE plpgsql AS $$
	DECLARE x text;
	BEGIN
	  x := set_config('app.current_tenant', t, false);
	  COMMIT;
	END$$;
});
my $initial_rows = $node->safe_psql('postgres', $all_rows);

my $select = $ORDERS_SELECT;
my $no_tenant = $ORDERS_NO_TENANT;
my $session_set = '42501: cannot set "app.current_tenant" at session level';
my $session_value = '42501: "app.current_tenant" was set at session level';

# A psql session as an application role that goes on after errors and
# reports them with their SQLSTATE.
sub app_session
{
	my ($node, $user) = @_;
	return psql_session($node, user => $user // 'regress_app');
}

# A request of one tenant that must see exactly its rows, setting it with
# set_config(..., true) or SET LOCAL ($how).
sub tenant_request
{
	my ($session, $tenant, $how, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	orders_request($session, $tenant, $rows{$tenant}, $name, $how);
}

#
# One connection, request after request.
#
my $pool = app_session($node);
my ($pid) = run_sql($pool, 'SELECT pg_backend_pid()');
like($pid, qr/^[0-9]+$/, 'the pooled connection is up');

no_tenant_left($pool, 'connecting');

# Request of tenant 1, HikariCP style.
ok_sql($pool, 'BEGIN', '', 'tenant 1: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '1'", '', 'tenant 1: SET LOCAL');
ok_sql($pool, $select, $rows{1}, 'tenant 1: sees exactly its rows');
ok_sql(
	$pool,
	'SELECT tenant, tenant_origin FROM tenant_guard.status()',
	'1|SET LOCAL in this transaction',
	'tenant 1: status() shows the tenant');
ok_sql($pool, 'COMMIT', '', 'tenant 1: COMMIT');
no_tenant_left($pool, "tenant 1's request");

# A request that forgets the tenant, in a transaction block or not, and
# whether it reads or writes.
ok_sql($pool, 'BEGIN', '', 'forgetful request: BEGIN');
refused($pool, $select, $no_tenant,
	'forgetful request: SELECT is refused, not served tenant 1\'s rows');
ok_sql($pool, 'ROLLBACK', '', 'forgetful request: ROLLBACK');
refused($pool, $select, $no_tenant,
	'forgetful request outside a transaction block: refused');
refused($pool, q{UPDATE orders SET item = 'stolen'}, $no_tenant,
	'forgetful request: UPDATE is refused');
refused($pool, 'DELETE FROM orders', $no_tenant,
	'forgetful request: DELETE is refused');
refused($pool, q{INSERT INTO orders VALUES (19, 1, 'planted')}, $no_tenant,
	'forgetful request: INSERT is refused');

# Request of tenant 2, pgx style.
tenant_request($pool, 2, 'set_config', 'tenant 2');
no_tenant_left($pool, "tenant 2's request");

# One tenant per transaction, and the pin does not outlive the transaction.
ok_sql($pool, 'BEGIN', '', 'tenant switch: BEGIN');
ok_sql($pool, "SELECT set_config('app.current_tenant', '3', true)",
	'3', 'tenant switch: tenant 3 set');
ok_sql($pool, $select, $rows{3}, 'tenant switch: tenant 3\'s rows');
refused(
	$pool,
	"SET LOCAL app.current_tenant = '1'",
	'42501: cannot change tenant from "3" to "1" within a transaction',
	'tenant switch: SET LOCAL of another tenant is refused');
ok_sql($pool, 'ROLLBACK', '', 'tenant switch: ROLLBACK');
ok_sql($pool, 'BEGIN', '', 'switch after savepoint: BEGIN');
ok_sql($pool, 'SAVEPOINT s', '', 'switch after savepoint: SAVEPOINT');
ok_sql($pool, "SET LOCAL app.current_tenant = '3'", '',
	'switch after savepoint: tenant 3 set');
ok_sql($pool, 'ROLLBACK TO SAVEPOINT s', '',
	'switch after savepoint: ROLLBACK TO SAVEPOINT');
refused(
	$pool,
	"SELECT set_config('app.current_tenant', '1', true)",
	'42501: cannot change tenant from "3" to "1" within a transaction',
	'switch after savepoint: another tenant is still refused');
ok_sql($pool, 'ROLLBACK', '', 'switch after savepoint: ROLLBACK');
no_tenant_left($pool, 'refused tenant switches');
tenant_request($pool, 1, 'set_local',
	'tenant 1 after a transaction pinned to tenant 3');

# Session-level SET: refused at once, whether in a transaction block or
# not, and leaves nothing behind.
refused($pool, "SET app.current_tenant = '1'", $session_set,
	'session-level SET is refused');
no_tenant_left($pool, 'a refused session-level SET');
refused($pool, "SET SESSION app.current_tenant = '2'", $session_set,
	'SET SESSION is refused');
no_tenant_left($pool, 'a refused SET SESSION');
ok_sql($pool, 'BEGIN', '', 'SET in a request: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '2'", '',
	'SET in a request: SET LOCAL');
refused($pool, "SET app.current_tenant = '2'", $session_set,
	'SET in a request: session-level SET of the same tenant is refused');
ok_sql($pool, 'ROLLBACK', '', 'SET in a request: ROLLBACK');
no_tenant_left($pool, 'a refused session-level SET in a transaction');
ok_sql($pool, 'BEGIN', '', 'SET FROM CURRENT: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '2'", '',
	'SET FROM CURRENT: SET LOCAL');
refused($pool, 'SET app.current_tenant FROM CURRENT', $session_set,
	'SET ... FROM CURRENT, which would keep the tenant, is refused');
ok_sql($pool, 'COMMIT', '', 'SET FROM CURRENT: COMMIT of the failed transaction');
no_tenant_left($pool, 'a refused SET ... FROM CURRENT');

# set_config(..., false): refused at the end of its statement, which
# undoes it, however the statement is sent.
refused($pool, "SELECT set_config('app.current_tenant', '1', false)",
	$session_value, 'set_config(..., false) is refused');
no_tenant_left($pool, 'a refused set_config(..., false)');

ok_sql($pool, 'BEGIN', '', 'set_config false in a request: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '2'", '',
	'set_config false in a request: SET LOCAL');
ok_sql($pool, $select, $rows{2},
	'set_config false in a request: tenant 2\'s rows');
refused($pool, "SELECT set_config('app.current_tenant', '2', false)",
	$session_value,
	'set_config false in a request: refused for the same tenant too');
ok_sql($pool, 'COMMIT', '',
	'set_config false in a request: COMMIT of the failed transaction');
no_tenant_left($pool, 'a refused set_config(..., false) in a transaction');

refused(
	$pool,
	"SELECT 1 \\; SELECT set_config('app.current_tenant', '3', false) \\; SELECT 2",
	$session_value,
	'set_config(..., false) in a multi-statement message is refused', '1');
no_tenant_left($pool, 'a refused multi-statement message');

ok_sql($pool, 'BEGIN', '', 'set_config false in a cursor: BEGIN');
ok_sql($pool,
	"DECLARE c CURSOR FOR SELECT set_config('app.current_tenant', '1', false)",
	'', 'set_config false in a cursor: DECLARE');
refused($pool, 'FETCH c', $session_value,
	'set_config false in a cursor: refused at FETCH');
ok_sql($pool, 'ROLLBACK', '', 'set_config false in a cursor: ROLLBACK');
no_tenant_left($pool, 'a refused set_config(..., false) in a cursor');

refused(
	$pool,
	q{DO $$DECLARE x text;
	  BEGIN
	    BEGIN x := set_config('app.current_tenant', '3', false);
	    EXCEPTION WHEN OTHERS THEN NULL; END;
	  END$$},
	$session_value,
	'set_config(..., false) in a PL/pgSQL assignment is refused at the end of the DO'
);
no_tenant_left($pool, 'a refused set_config(..., false) in PL/pgSQL');

ok_sql(
	$pool,
	q{DO $$BEGIN PERFORM set_config('app.current_tenant', '3', false);
	  EXCEPTION WHEN insufficient_privilege THEN NULL; END$$},
	'',
	'a request may swallow the refusal of set_config(..., false) in a subtransaction'
);
no_tenant_left($pool,
	'a swallowed refusal, whose subtransaction rollback undid the value');

refused($pool, "CALL set_session_tenant_and_commit('2')",
	$session_value,
	'set_config(..., false) followed by COMMIT in a procedure is refused at the COMMIT'
);
no_tenant_left($pool, 'a procedure that committed a session-level tenant');

# A request that fails half-way: its tenant and its writes are gone.
ok_sql($pool, 'BEGIN', '', 'failing request: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '3'", '',
	'failing request: SET LOCAL');
ok_sql($pool, q{INSERT INTO orders VALUES (34, 3, 'date')}, '',
	'failing request: INSERT');
ok_sql($pool, $select, "$rows{3}\n34|3", 'failing request: sees its insert');
refused($pool, 'SELECT 1/0', '22012: division by zero',
	'failing request: an error');
refused(
	$pool, $select,
	'25P02: current transaction is aborted, commands ignored until end of transaction block',
	'failing request: the transaction is aborted');
ok_sql($pool, 'ROLLBACK', '', 'failing request: ROLLBACK');
no_tenant_left($pool, 'a request that failed and rolled back');
tenant_request($pool, 3, 'set_config',
	'tenant 3 after a failed request of tenant 3');

ok_sql($pool, 'BEGIN', '', 'failing request ended by COMMIT: BEGIN');
ok_sql($pool, "SELECT set_config('app.current_tenant', '2', true)",
	'2', 'failing request ended by COMMIT: set_config');
refused($pool, q{SELECT 1/0}, '22012: division by zero',
	'failing request ended by COMMIT: an error');
ok_sql($pool, 'COMMIT', '',
	'failing request ended by COMMIT: COMMIT rolls back');
no_tenant_left($pool, 'a failed request ended by COMMIT');

# COMMIT AND CHAIN starts a new transaction, with no tenant.
ok_sql($pool, 'BEGIN', '', 'chain: BEGIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '1'", '', 'chain: SET LOCAL');
ok_sql($pool, $select, $rows{1}, 'chain: tenant 1\'s rows');
ok_sql($pool, 'COMMIT AND CHAIN', '', 'chain: COMMIT AND CHAIN');
ok_sql($pool, 'SHOW app.current_tenant', '',
	'chain: the chained transaction has no tenant');
refused($pool, $select, $no_tenant, 'chain: and is refused');
ok_sql($pool, 'ROLLBACK AND CHAIN', '', 'chain: ROLLBACK AND CHAIN');
ok_sql($pool, "SET LOCAL app.current_tenant = '2'", '',
	'chain: another tenant in the next chained transaction');
ok_sql($pool, $select, $rows{2}, 'chain: tenant 2\'s rows');
ok_sql($pool, 'COMMIT', '', 'chain: COMMIT');

# SET LOCAL in a message of several statements (a driver's batch without
# BEGIN) lasts for that message only.
ok_sql(
	$pool,
	"SET LOCAL app.current_tenant = '3' \\; $select",
	$rows{3}, 'batch: SET LOCAL; SELECT in one message');
no_tenant_left($pool, 'a batch with SET LOCAL');
ok_sql(
	$pool,
	"BEGIN \\; SET LOCAL app.current_tenant = '1' \\; $select \\; COMMIT",
	$rows{1}, 'batch: a whole request in one message');
refused($pool, "SELECT 1 \\; $select", $no_tenant,
	'batch: the next message has no tenant', '1');

# A statement prepared with SQL outlives its request, and its name may be
# one a pool or driver uses for its protocol-level statements: no request
# sets its tenant while the session holds one an earlier request prepared
# (rule 2), and it does not run at all, with a tenant or without one.
# Prepared and deallocated within the request, it serves the request's
# tenant.  (Protocol-level statements and their cached plans, shared by
# the requests of every tenant: 011_prepared_hijack.pl.)
ok_sql($pool, "PREPARE tenant_orders AS $select", '',
	'PREPARE without a tenant');
refused($pool,
	"BEGIN \\; SET LOCAL app.current_tenant = '1' \\; EXECUTE tenant_orders",
	'42501: cannot set tenant "1" while the session holds prepared statement "tenant_orders"',
	'prepared statement of an earlier request: the next cannot set its tenant');
ok_sql($pool, 'ROLLBACK', '', 'ROLLBACK');
refused($pool, 'EXECUTE tenant_orders',
	'42501: cannot execute prepared statement "tenant_orders" made with PREPARE in an earlier transaction',
	'prepared statement without a tenant is refused');
ok_sql($pool, 'DEALLOCATE tenant_orders', '', 'DEALLOCATE');
foreach my $tenant (1, 2, 3, 1, 2, 3, 2)
{
	ok_sql($pool,
		"BEGIN \\; SET LOCAL app.current_tenant = '$tenant' \\; PREPARE tenant_orders AS $select \\; "
		  . "EXECUTE tenant_orders \\; DEALLOCATE tenant_orders \\; COMMIT",
		$rows{$tenant},
		"prepared statement: tenant $tenant sees exactly its rows");
}

# What pools run between requests to clear a connection is allowed.
tenant_request($pool, 2, 'set_local', 'request before DISCARD ALL');
ok_sql($pool, "SET app.current_tenant = ''", '',
	"SET app.current_tenant = '' is allowed");
ok_sql($pool, 'RESET app.current_tenant', '', 'RESET is allowed');
ok_sql($pool, "SELECT set_config('app.current_tenant', '', false)",
	'', "set_config(..., '', false) is allowed");
ok_sql($pool, 'RESET ALL', '', 'RESET ALL is allowed');
ok_sql($pool, 'DISCARD ALL', '', 'DISCARD ALL is allowed');
no_tenant_left($pool, 'DISCARD ALL');
tenant_request($pool, 1, 'set_config', 'request after DISCARD ALL');

ok_sql($pool, 'SELECT pg_backend_pid()', $pid,
	'every request ran on the same connection');
$pool->quit;
is($node->safe_psql('postgres', $all_rows),
	$initial_rows, 'no request changed a row');

#
# Connections whose configuration carries a tenant, as a pool's connection
# options or a role's settings might: it is never a tenant context, before
# or after requests that set their own.
#
{
	local $ENV{PGOPTIONS} = '-c app.current_tenant=1';
	my $optioned = app_session($node);
	my $from_options =
	  q{42501: tenant context for table "public.orders" comes from the connection's startup options (such as PGOPTIONS)};
	ok_sql($optioned, 'SHOW app.current_tenant', '',
		'PGOPTIONS: the tenant in the connection options is kept out of the setting');
	refused($optioned, $select, $from_options,
		'PGOPTIONS: a request without its own tenant is refused');
	tenant_request($optioned, 2, 'set_local',
		'PGOPTIONS: a request of tenant 2');
	ok_sql(
		$optioned,
		'SELECT tenant IS NULL, tenant_origin FROM tenant_guard.status()',
		q{t|the connection's startup options (such as PGOPTIONS), ignored},
		'PGOPTIONS: after the request, status() shows no tenant');
	refused($optioned, $select, $from_options,
		'PGOPTIONS: the next request without a tenant is refused');
	$optioned->quit;
}

$node->safe_psql(
	'postgres', q{
	CREATE ROLE regress_app_configured LOGIN;
	ALTER ROLE regress_app_configured SET app.current_tenant = '3';
	GRANT SELECT ON orders TO regress_app_configured;
});
my $configured = app_session($node, 'regress_app_configured');
my $from_role =
  '42501: tenant context for table "public.orders" comes from ALTER ROLE ... SET';
refused($configured, $select, $from_role,
	'ALTER ROLE SET: a request without its own tenant is refused');
tenant_request($configured, 3, 'set_config',
	'ALTER ROLE SET: a request of the same tenant');
refused($configured, $select, $from_role,
	'ALTER ROLE SET: the next request without a tenant is refused');
$configured->quit;

#
# A long-lived connection follows changes of its role.  A BYPASSRLS role is
# never refused; once it loses BYPASSRLS the same connection is guarded from
# its next request on, and a tenant its earlier life left at session level
# does not count.
#
$node->safe_psql(
	'postgres', q{
	CREATE ROLE regress_app_bypass LOGIN BYPASSRLS;
	GRANT SELECT ON orders TO regress_app_bypass;
});
my $everything = join("\n", map { $rows{$_} } 1 .. 3);
my $bypass = app_session($node, 'regress_app_bypass');
ok_sql($bypass, $select, $everything,
	'BYPASSRLS: a request without a tenant is not refused');
ok_sql($bypass, "SET app.current_tenant = '1'", '',
	'BYPASSRLS: a session-level SET is not refused');
$node->safe_psql('postgres', 'ALTER ROLE regress_app_bypass NOBYPASSRLS');
refused(
	$bypass, $select,
	'42501: tenant context for table "public.orders" was set at session level',
	'after NOBYPASSRLS: the session-level tenant left on the connection does not count'
);
refused($bypass, "SET app.current_tenant = '2'", $session_set,
	'after NOBYPASSRLS: a session-level SET is refused');
ok_sql($bypass, 'RESET app.current_tenant', '',
	'after NOBYPASSRLS: RESET clears the leftover tenant');
refused($bypass, $select, $no_tenant,
	'after NOBYPASSRLS: a request without a tenant is refused');
tenant_request($bypass, 2, 'set_local', 'after NOBYPASSRLS: a request of tenant 2');
$node->safe_psql('postgres', 'ALTER ROLE regress_app_bypass BYPASSRLS');
ok_sql($bypass, $select, $everything,
	'BYPASSRLS again: a request without a tenant is not refused');
$bypass->quit;

#
# Two sessions interleaving transactions of different tenants.
#
my $s1 = app_session($node);
my $s2 = app_session($node);

ok_sql($s1, 'BEGIN', '', 'session 1: BEGIN');
ok_sql($s2, 'BEGIN', '', 'session 2: BEGIN');
ok_sql($s1, "SET LOCAL app.current_tenant = '1'", '', 'session 1: tenant 1');
ok_sql($s2, "SELECT set_config('app.current_tenant', '2', true)",
	'2', 'session 2: tenant 2');
ok_sql($s1, $select, $rows{1}, 'session 1 sees tenant 1\'s rows');
ok_sql($s2, $select, $rows{2}, 'session 2 sees tenant 2\'s rows');
ok_sql($s1, q{INSERT INTO orders VALUES (12, 1, 'cherry')}, '',
	'session 1 inserts for tenant 1');
ok_sql($s2, q{INSERT INTO orders VALUES (23, 2, 'quince')}, '',
	'session 2 inserts for tenant 2');
ok_sql($s1, $select, "$rows{1}\n12|1", 'session 1 sees its insert');
ok_sql($s2, $select, "$rows{2}\n23|2", 'session 2 sees its insert');
ok_sql($s1, 'COMMIT', '', 'session 1: COMMIT');
ok_sql($s2, $select, "$rows{2}\n23|2",
	'session 2 does not see tenant 1\'s committed row');
ok_sql($s1, 'BEGIN', '', 'session 1: next transaction');
refused($s1, $select, $no_tenant,
	'session 1 without a tenant is refused while session 2 has one');
ok_sql($s1, 'ROLLBACK', '', 'session 1: ROLLBACK');
refused($s1, "SET app.current_tenant = '2'", $session_set,
	'session 1: session-level SET is refused');
ok_sql($s2, $select, "$rows{2}\n23|2",
	'session 2 is unaffected by session 1\'s refusals');
ok_sql($s1, 'BEGIN', '', 'session 1: BEGIN tenant 3');
ok_sql($s1, "SET LOCAL app.current_tenant = '3'", '', 'session 1: tenant 3');
ok_sql($s1, $select, $rows{3},
	'session 1 sees tenant 3\'s rows while session 2 is in tenant 2');
ok_sql($s1, 'SELECT tenant FROM tenant_guard.status()', '3',
	'session 1: status() shows tenant 3');
ok_sql($s2, 'SELECT tenant FROM tenant_guard.status()', '2',
	'session 2: status() shows tenant 2');
ok_sql($s2, 'COMMIT', '', 'session 2: COMMIT');
ok_sql($s1, $select, $rows{3},
	'session 1 does not see tenant 2\'s committed row');
ok_sql($s1, 'COMMIT', '', 'session 1: COMMIT');
no_tenant_left($s1, 'interleaved transactions (session 1)');
no_tenant_left($s2, 'interleaved transactions (session 2)');
tenant_request($s2, 3, 'set_config', 'session 2: a request of tenant 3');
ok_sql($s1, "BEGIN \\; SET LOCAL app.current_tenant = '1' \\; $select \\; COMMIT",
	"$rows{1}\n12|1", 'session 1: tenant 1 sees both its rows');
ok_sql($s2, "BEGIN \\; SET LOCAL app.current_tenant = '2' \\; $select \\; COMMIT",
	"$rows{2}\n23|2", 'session 2: tenant 2 sees both its rows');
$s1->quit;
$s2->quit;

is( $node->safe_psql(
		'postgres', 'SELECT id, tenant_id FROM orders WHERE id IN (12, 23) ORDER BY id'),
	"12|1\n23|2",
	'both sessions\' rows were committed with their tenants');

$node->stop;
done_testing();

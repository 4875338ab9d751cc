/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  What protect() does differently in a database where Citus is
 *	  installed.
 *
 * Citus shards a table by a column (create_distributed_table('orders',
 * 'tenant_id')) and copies the table's DDL, policies included, to every
 * shard on its workers.  Citus 13.2 recreates every policy there as a
 * PERMISSIVE one, whatever it was on the table (its CREATE POLICY for the
 * shards has no AS RESTRICTIVE), and the queries it sends to the shards
 * carry none of the coordinator's policies: the shards' policies alone
 * decide what a query sees.  protect()'s restrictive isolation policy and
 * its permissive baseline USING (true) would become two permissive
 * policies there, together letting every tenant's rows through.  So where
 * Citus is installed the baseline is the tenant condition too: either
 * policy alone, and the two together, restrictive or not, let through
 * exactly the tenant's rows.
 *
 * Citus also refuses two things protect() would otherwise make, before or
 * after a table is distributed:
 *
 *	- a policy with a subquery ("Subqueries are not supported in policies
 *	  on distributed tables"), which protect()'s policies use so that the
 *	  tenant is computed once per statement (an InitPlan);
 *	- triggers, unless citus.enable_unsafe_triggers is on; and the trigger
 *	  that fills a NULL tenant column could not act on a distributed table
 *	  anyway, since Citus routes every row by that column and refuses a
 *	  NULL one before any trigger runs.
 *
 * So in such a database protect() compares the column with
 * tenant_guard.tenant() itself (a stable function: still an index
 * condition, evaluated per row only by sequential scans) and leaves the
 * trigger out.  The policies enforce exactly the same condition, and are
 * judged intact by what they enforce (policy_analysis.c); a baseline of
 * true is not intact in such a database, so audit() reports it and
 * protect() replaces it.  Citus is recognised by
 * its extension in the current database, so that protect() before
 * create_distributed_table() makes what the distribution accepts.
 *
 * src/citus.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/extension.h"

#include "citus.h"

bool
tg_citus_installed(void)
{
	return OidIsValid(get_extension_oid("citus", true));
}

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
 * The drift guard covers the shards.  Citus creates, on every node that
 * holds one, a shard of the table (orders_102008: the table's name and the
 * shard's id) and, on every worker with metadata, a copy of the table
 * itself (its "shell"), both owned by the table's owner, who can connect
 * to a worker and change them there; Citus's own check
 * (citus.enable_manual_changes_to_shards) is a setting any role may turn
 * on.  The registry of protected tables lives on the coordinator, where
 * protect() runs.  So on a node with Citus metadata a relation is taken as
 * protected if it is a shard of a table protected there (in this node's
 * registry: the coordinator's own shards of reference tables), or, on a
 * worker, a shard whose table or itself still carries protect()'s
 * isolation policy, as Citus copied it from the coordinator, or any table
 * that carries it: a shard renamed, moved to another schema, or whose
 * metadata the owner deleted (Citus trusts an application_name any role
 * may set for that) is still guarded, and the marker can be forged only
 * to guard a table more.  The tenant column is the one that policy
 * enforces.  Citus creates no trigger on a shard; one created there on a
 * worker would run on every tenant's rows of the shard, and is refused.
 *
 * Nothing tells a worker that a statement comes from the coordinator in a
 * way the table's owner could not imitate: Citus connects to the workers as
 * the same role, and marks its connections by application_name and with
 * settings that every role may set.  So the guard on a worker does not try
 * to tell them apart.  It refuses what the coordinator's guard refuses; the
 * coordinator only sends such DDL on when it let it through, which a role
 * that is not a superuser cannot do but with unprotect() (refused on the
 * workers: see README) and a superuser does with SET LOCAL
 * tenant_guard.mode = off, which Citus sends on with the statement
 * (citus.propagate_set_commands = 'local').  Dropping one of protect()'s
 * policies that no longer enforces the tenant is not refused on a shard:
 * it is how protect() repairs one, and, every policy of a shard being
 * permissive, cannot widen what the shard lets through.
 *
 * For the same reason a policy of the user's own on a protected table must
 * enforce the tenant where Citus is installed, restrictive or not: on the
 * shards it is one more permissive policy (drift_guard.c refuses it).  A
 * worker knows the shard's protected table by Citus's metadata, which
 * Citus keeps on every worker with metadata (the default since Citus 11),
 * or by the isolation policy a shard carries.
 *
 * src/citus.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "citus.h"
#include "policy_analysis.h"
#include "protect.h"
#include "registry.h"

bool
tg_citus_installed(void)
{
	return OidIsValid(get_extension_oid("citus", true));
}

/* Does this database hold Citus's metadata tables? */
static bool
citus_metadata_present(void)
{
	return tg_citus_installed() &&
		OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE));
}

/*
 * Run a query of Citus's metadata that returns one oid or bigint column
 * (or no row), with at most one int8 parameter; 0 if no row.  Citus lets
 * every role read its metadata tables.
 */
static int64
metadata_value(const char *sql, int nargs, int64 arg)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(arg)};
	int64		result = 0;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, true, 1) !=
		SPI_OK_SELECT)
		elog(ERROR, "tenant_guard could not read Citus's metadata");
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = TupleDescAttr(SPI_tuptable->tupdesc, 0)->atttypid == OIDOID ?
				(int64) DatumGetObjectId(d) : DatumGetInt64(d);
	}
	SPI_finish();
	return result;
}

/*
 * The Citus table whose shard relid is, by its name (the table's name, an
 * underscore and the shard's id) and schema; InvalidOid if it is none.
 */
static Oid
shard_table(Oid relid)
{
	const char *relname = get_rel_name(relid);
	const char *suffix = relname ? strrchr(relname, '_') : NULL;
	char	   *end;
	int64		shardid;
	Oid			table;

	if (suffix == NULL || suffix[1] < '0' || suffix[1] > '9')
		return InvalidOid;
	errno = 0;
	shardid = strtoi64(suffix + 1, &end, 10);
	if (errno != 0 || *end != '\0' || shardid <= 0)
		return InvalidOid;
	table = (Oid) metadata_value("SELECT s.logicalrelid::pg_catalog.oid"
								 "  FROM pg_catalog.pg_dist_shard s"
								 " WHERE s.shardid OPERATOR(pg_catalog.=) $1",
								 1, shardid);
	if (!OidIsValid(table) || table == relid ||
		get_rel_namespace(table) != get_rel_namespace(relid))
		return InvalidOid;
	return table;
}

/* Is this node the coordinator (its group is 0)? */
static bool
is_coordinator(void)
{
	return metadata_value("SELECT g.groupid::pg_catalog.int8"
						  "  FROM pg_catalog.pg_dist_local_group g",
						  0, 0) == 0;
}

/*
 * The first column of its table on which a policy (a pg_policy tuple)
 * enforces the tenant, for every command and role; InvalidAttrNumber if
 * none.  A shard's tenant column is known by its isolation policy alone.
 */
AttrNumber
tg_citus_enforced_column(HeapTuple tuple, TupleDesc desc)
{
	Oid			relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
	HeapTuple	reltup;
	AttrNumber	natts;
	AttrNumber	attnum;

	if (!tg_policy_applies_to_all(tuple, desc))
		return InvalidAttrNumber;
	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(reltup))
		return InvalidAttrNumber;
	natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
	ReleaseSysCache(reltup);
	for (attnum = 1; attnum <= natts; attnum++)
	{
		if (tg_policy_tuple_enforces(tuple, desc, attnum))
			return attnum;
	}
	return InvalidAttrNumber;
}

/*
 * The column whose tenant relid's isolation policy enforces, for every
 * command and role; InvalidAttrNumber if it has no such policy.
 */
static AttrNumber
isolation_column(Oid relid)
{
	TgPolicyLookup lookup;
	HeapTuple	tuple = tg_policy_find(relid, TG_ISOLATION_POLICY, &lookup);
	AttrNumber	result = InvalidAttrNumber;

	if (HeapTupleIsValid(tuple))
		result = tg_citus_enforced_column(tuple, lookup.desc);
	tg_policy_done(&lookup);
	return result;
}

/*
 * Is relid, on a node with Citus metadata, a shard or (on a worker) the
 * shell of a protected Citus table (see the file's comment)?  If so, fills
 * *prot (relid and tenant column) and sets *table to the Citus table.
 * Reads Citus's metadata: the drift guard asks only for the statements it
 * judges, and only of tables its registry does not hold.
 */
bool
tg_citus_shard_protection(Oid relid, TgProtection *prot, Oid *table)
{
	Oid			logical;
	AttrNumber	attnum;
	char	   *colname;

	if (!citus_metadata_present())
		return false;
	logical = shard_table(relid);
	if (OidIsValid(logical) && tg_registry_lookup(logical, prot))
	{
		prot->relid = relid;
		*table = logical;
		return true;
	}
	if (is_coordinator())
		return false;			/* the coordinator's registry decides */
	if (!OidIsValid(logical))
	{
		/*
		 * On a worker, the shell of a Citus table, or any table that has
		 * the isolation policy: a shard renamed, moved to another schema,
		 * or whose metadata was deleted (Citus lets any role that names
		 * its application citus_internal do so) is still one.  The marker
		 * can be forged only to guard a table more.
		 */
		logical = relid;
	}

	attnum = isolation_column(logical);
	colname = attnum != InvalidAttrNumber ? get_attname(logical, attnum, true) : NULL;
	if (colname == NULL && logical != relid)
	{
		attnum = isolation_column(relid);
		colname = attnum != InvalidAttrNumber ? get_attname(relid, attnum, true) : NULL;
	}
	if (colname == NULL)
		return false;
	memset(prot, 0, sizeof(TgProtection));
	prot->relid = relid;
	namestrcpy(&prot->tenant_column, colname);
	*table = logical;
	return true;
}

/*
 * Does relid's policy polname let a row through only if its column attnum
 * matches the tenant (permissive or not, since Citus makes every policy of
 * a shard permissive), and, if all_commands, for every command and role?
 * False if there is no such policy.
 */
bool
tg_citus_policy_enforces(Oid relid, const char *polname, AttrNumber attnum,
						 bool all_commands)
{
	TgPolicyLookup lookup;
	HeapTuple	tuple = tg_policy_find(relid, polname, &lookup);
	bool		enforces = false;

	if (HeapTupleIsValid(tuple))
		enforces = (!all_commands ||
					tg_policy_applies_to_all(tuple, lookup.desc)) &&
			tg_policy_tuple_enforces(tuple, lookup.desc, attnum);
	tg_policy_done(&lookup);
	return enforces;
}

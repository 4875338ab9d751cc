/*-------------------------------------------------------------------------
 *
 * rel_cache.c
 *	  Row-level security facts per relation, cached for the executor guard.
 *
 * Every statement that runs a plan asks, for each table in its range
 * table, whether row-level security is enabled and forced and whether the
 * table is a partition or an inheritance child.  The answers live in a
 * backend-local hash table keyed by relation OID and are marked stale by
 * the relcache invalidation callback whenever PostgreSQL invalidates the
 * relation (ALTER TABLE ... ROW LEVEL SECURITY, ATTACH/DETACH PARTITION and
 * DROP all update the relation's pg_class row, which invalidates it; the
 * drift guard invalidates the child of ALTER TABLE ... INHERIT); stale
 * entries are refilled when next asked for, or swept out at transaction end
 * once there are many.  A lookup is a load and two compares in the common
 * case, one hash probe otherwise; a miss costs a syscache lookup and, for a
 * table that is no partition, an index probe of pg_inherits.
 *
 * Partitions and inheritance children never mix: a partition has one
 * parent, a partitioned table, and neither can be the parent or the child
 * of an inheritance child.  The ancestors of a partition form a chain,
 * cached entry by entry; those of an inheritance child, a graph read from
 * pg_inherits when needed (only for tables without row-level security
 * named by a query, and for children reached through a parent that lacks
 * it).
 *
 * src/rel_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "rel_cache.h"
#include "xact_state.h"

static HTAB *rel_cache = NULL;

/*
 * Direct-mapped front of the hash table, indexed by OID modulo its size:
 * a statement over tables already seen costs a load and two compares per
 * table (tg_rel_info() in tenant_guard.h).  Slots point into the hash
 * table; they are cleared whenever entries are removed.
 */
TgRelInfo  *tg_rel_slots[TG_REL_SLOTS];

/* Entries invalidated since the last sweep. */
static int	stale_entries = 0;

/* Sweep stale entries out once there are this many. */
#define STALE_ENTRIES_SWEEP 256

/*
 * Relcache invalidation callback: mark the entry (or, for InvalidOid, every
 * entry) stale.  Entries are never removed here, so pointers handed out by
 * tg_rel_info() stay valid; a stale entry is simply refilled when next
 * asked for.
 */
static void
rel_cache_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TgRelInfo  *info;

	if (OidIsValid(relid))
	{
		info = hash_search(rel_cache, &relid, HASH_FIND, NULL);
		if (info != NULL && info->valid)
		{
			info->valid = false;
			if (++stale_entries >= STALE_ENTRIES_SWEEP)
				tg_xact_state_left(TG_XACT_REL_CACHE);
		}
		return;
	}

	hash_seq_init(&status, rel_cache);
	while ((info = hash_seq_search(&status)) != NULL)
		info->valid = false;
	stale_entries = STALE_ENTRIES_SWEEP;
	tg_xact_state_left(TG_XACT_REL_CACHE);
}

/*
 * Transaction end: remove stale entries once enough have gathered, so that
 * the cache does not grow with every table ever dropped (temporary tables
 * come and go).  No pointer into the cache outlives a statement, so this
 * is safe here and only here.
 */
void
tg_rel_cache_xact_end(void)
{
	HASH_SEQ_STATUS status;
	TgRelInfo  *info;

	if (rel_cache == NULL || stale_entries < STALE_ENTRIES_SWEEP)
		return;
	hash_seq_init(&status, rel_cache);
	while ((info = hash_seq_search(&status)) != NULL)
	{
		if (!info->valid)
			(void) hash_search(rel_cache, &info->relid, HASH_REMOVE, NULL);
	}
	memset(tg_rel_slots, 0, sizeof(tg_rel_slots));
	stale_entries = 0;
}

static void
rel_cache_create(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(TgRelInfo);
	rel_cache = hash_create("tenant_guard relation cache", 256, &ctl,
							HASH_ELEM | HASH_BLOBS);
	CacheRegisterRelcacheCallback(rel_cache_invalidate, (Datum) 0);
}

/*
 * Fill an entry from pg_class.  valid is set first so that an invalidation
 * arriving while we read the catalogs (which can accept invalidation
 * messages) is noticed and the entry read again.
 */
static void
rel_info_fill(TgRelInfo *info)
{
	do
	{
		HeapTuple	tuple;

		info->valid = true;
		info->parent_known = false;
		info->parent = InvalidOid;

		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(info->relid));
		if (!HeapTupleIsValid(tuple))
		{
			info->exists = false;
			info->rls_enabled = false;
			info->rls_forced = false;
			info->is_partition = false;
			info->inherits = false;
		}
		else
		{
			Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

			info->exists = true;
			info->rls_enabled = form->relrowsecurity;
			info->rls_forced = form->relforcerowsecurity;
			info->is_partition = form->relispartition;
			ReleaseSysCache(tuple);
			info->inherits = !info->is_partition &&
				has_superclass(info->relid);
		}
	} while (!info->valid);
}

/*
 * The slow path of tg_rel_info(): find or make the hash table entry, fill
 * it if needed, and remember it in its slot.
 */
TgRelInfo *
tg_rel_info_lookup(Oid relid)
{
	TgRelInfo  *info;
	bool		found;

	if (rel_cache == NULL)
		rel_cache_create();

	info = hash_search(rel_cache, &relid, HASH_ENTER, &found);
	if (!found || !info->valid)
		rel_info_fill(info);
	tg_rel_slots[relid % TG_REL_SLOTS] = info;
	return info;
}

/*
 * The partition parent of a relation, or InvalidOid if it is no partition.
 * Looked up once per cache entry: attaching or detaching a partition
 * updates its pg_class row, which invalidates the entry.
 */
Oid
tg_partition_parent(Oid relid)
{
	TgRelInfo  *info = tg_rel_info(relid);

	if (!info->is_partition)
		return InvalidOid;
	if (!info->parent_known)
	{
		Oid			parent = get_partition_parent(relid, true);

		/* the catalog scan may have let an invalidation in */
		info = tg_rel_info(relid);
		info->parent = parent;
		info->parent_known = true;
	}
	return info->parent;
}

/* The tables relid inherits from directly (INHERITS), from pg_inherits. */
static List *
inheritance_parents(Oid relid)
{
	Relation	inherits = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *parents = NIL;

	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(inherits, InheritsRelidSeqnoIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		parents = lappend_oid(parents,
							  ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent);
	systable_endscan(scan);
	table_close(inherits, AccessShareLock);
	return parents;
}

/*
 * Every ancestor of relid, nearest first: the partition ancestors of a
 * partition, every table an inheritance child inherits from, however
 * indirectly.  Empty for other relations.
 */
List *
tg_rel_ancestors(Oid relid)
{
	TgRelInfo  *info = tg_rel_info(relid);
	List	   *ancestors = NIL;
	ListCell   *lc;

	if (info->is_partition)
	{
		Oid			ancestor;

		for (ancestor = tg_partition_parent(relid); OidIsValid(ancestor);
			 ancestor = tg_partition_parent(ancestor))
			ancestors = lappend_oid(ancestors, ancestor);
		return ancestors;
	}
	if (!info->inherits)
		return NIL;

	/* breadth first: the list grows as it is walked */
	ancestors = inheritance_parents(relid);
	foreach(lc, ancestors)
	{
		List	   *parents = inheritance_parents(lfirst_oid(lc));
		ListCell   *pc;

		foreach(pc, parents)
			ancestors = list_append_unique_oid(ancestors, lfirst_oid(pc));
	}
	return ancestors;
}

/*
 * The nearest ancestor of relid (partition or inheritance) whose row-level
 * security is enabled (if rls) or not (if !rls), or InvalidOid if there is
 * none.  The chain of a partition is walked through the cache, without
 * allocating: every statement on a protected partitioned table asks for
 * each partition.
 */
static Oid
nearest_ancestor_with_rls(Oid relid, bool rls)
{
	ListCell   *lc;
	List	   *ancestors;

	if (tg_rel_info(relid)->is_partition)
	{
		Oid			ancestor;

		for (ancestor = tg_partition_parent(relid); OidIsValid(ancestor);
			 ancestor = tg_partition_parent(ancestor))
		{
			if (tg_rel_info(ancestor)->rls_enabled == rls)
				return ancestor;
		}
		return InvalidOid;
	}

	ancestors = tg_rel_ancestors(relid);
	foreach(lc, ancestors)
	{
		if (tg_rel_info(lfirst_oid(lc))->rls_enabled == rls)
			return lfirst_oid(lc);
	}
	return InvalidOid;
}

/*
 * The nearest ancestor of relid that has row-level security enabled, or
 * InvalidOid if there is none.
 */
Oid
tg_rls_ancestor(Oid relid)
{
	return nearest_ancestor_with_rls(relid, true);
}

/* Do all ancestors of relid have row-level security enabled? */
bool
tg_all_ancestors_have_rls(Oid relid)
{
	return !OidIsValid(nearest_ancestor_with_rls(relid, false));
}

/*
 * Schema-qualified name of a relation for messages, "schema.table" as
 * PostgreSQL's own messages write it: within double quotes, unquoted.
 */
char *
tg_relation_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		return psprintf("with OID %u", relid);
	return psprintf("%s.%s", get_namespace_name(get_rel_namespace(relid)),
					relname);
}

/* Schema-qualified, quoted name of a relation, for SQL in hints and DDL. */
char *
tg_relation_sql(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/*-------------------------------------------------------------------------
 *
 * rel_cache.c
 *	  Row-level security facts per relation, cached for the executor guard.
 *
 * Every statement that runs a plan asks, for each table in its range
 * table, whether row-level security is enabled and forced and whether the
 * table is a partition.  The answers live in a backend-local hash table
 * keyed by relation OID and are marked stale by the relcache invalidation
 * callback whenever PostgreSQL invalidates the relation (ALTER TABLE ...
 * ROW LEVEL SECURITY, ATTACH/DETACH PARTITION and DROP all update the
 * relation's pg_class row, which invalidates it); stale entries are refilled
 * when next asked for, or swept out at transaction end once there are many.
 * A lookup is one hash probe; a miss costs one syscache lookup.
 *
 * src/rel_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "tenant_guard.h"

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
				tg_xact_dirty = true;
		}
		return;
	}

	hash_seq_init(&status, rel_cache);
	while ((info = hash_seq_search(&status)) != NULL)
		info->valid = false;
	stale_entries = STALE_ENTRIES_SWEEP;
	tg_xact_dirty = true;
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
		}
		else
		{
			Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

			info->exists = true;
			info->rls_enabled = form->relrowsecurity;
			info->rls_forced = form->relforcerowsecurity;
			info->is_partition = form->relispartition;
			ReleaseSysCache(tuple);
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

/*
 * The nearest partition ancestor of relid that has row-level security
 * enabled, or InvalidOid if there is none (or relid is no partition).
 */
Oid
tg_rls_ancestor(Oid relid)
{
	Oid			ancestor;

	for (ancestor = tg_partition_parent(relid); OidIsValid(ancestor);
		 ancestor = tg_partition_parent(ancestor))
	{
		if (tg_rel_info(ancestor)->rls_enabled)
			return ancestor;
	}
	return InvalidOid;
}

/* Do all partition ancestors of relid have row-level security enabled? */
bool
tg_all_ancestors_have_rls(Oid relid)
{
	Oid			ancestor;

	for (ancestor = tg_partition_parent(relid); OidIsValid(ancestor);
		 ancestor = tg_partition_parent(ancestor))
	{
		if (!tg_rel_info(ancestor)->rls_enabled)
			return false;
	}
	return true;
}

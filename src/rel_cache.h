/*-------------------------------------------------------------------------
 *
 * rel_cache.h
 *	  Row-level security facts per relation, invalidated with the relcache
 *	  (rel_cache.c).
 *
 * src/rel_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REL_CACHE_H
#define TENANT_GUARD_REL_CACHE_H

#include "nodes/pg_list.h"

typedef struct TgRelInfo
{
	Oid			relid;			/* hash key; must be first */
	bool		valid;			/* false once invalidated */
	bool		exists;			/* false if the relation is gone */
	bool		rls_enabled;	/* pg_class.relrowsecurity */
	bool		rls_forced;		/* pg_class.relforcerowsecurity */
	bool		is_partition;	/* pg_class.relispartition */
	bool		inherits;		/* an inheritance child (INHERITS) */
	bool		parent_known;	/* has parent been looked up? */
	Oid			parent;			/* partition parent, if is_partition */
} TgRelInfo;

/* Direct-mapped front of the relation cache; see rel_cache.c. */
#define TG_REL_SLOTS 64
extern PGDLLIMPORT TgRelInfo *tg_rel_slots[TG_REL_SLOTS];
extern TgRelInfo *tg_rel_info_lookup(Oid relid);

/*
 * The cached facts about a relation.  The pointer stays valid until the end
 * of the transaction, but its contents may be refilled by the next call;
 * callers copy what they need before asking again.
 */
static inline TgRelInfo *
tg_rel_info(Oid relid)
{
	TgRelInfo  *info = tg_rel_slots[relid % TG_REL_SLOTS];

	if (likely(info != NULL && info->relid == relid && info->valid))
		return info;
	return tg_rel_info_lookup(relid);
}
/* Is the relation a partition or an inheritance child? */
static inline bool
tg_rel_has_parents(const TgRelInfo *info)
{
	return info->is_partition || info->inherits;
}
extern Oid	tg_partition_parent(Oid relid);
extern List *tg_rel_ancestors(Oid relid);
extern Oid	tg_rls_ancestor(Oid relid);
extern bool tg_all_ancestors_have_rls(Oid relid);
extern void tg_rel_cache_xact_end(void);
extern char *tg_relation_name(Oid relid);
extern char *tg_relation_sql(Oid relid);

#endif							/* TENANT_GUARD_REL_CACHE_H */

/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  tenant_guard.registry, the tables protect() protected, read and
 *	  written as its owner (registry.c).
 *
 * src/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REGISTRY_H
#define TENANT_GUARD_REGISTRY_H

#include "nodes/pg_list.h"

/* One row of tenant_guard.registry. */
typedef struct TgProtection
{
	Oid			relid;			/* the protected table or partition */
	NameData	tenant_column;
	Oid			partition_of;	/* protected through this parent, or
								 * InvalidOid if protected on its own */
	bool		set_not_null;	/* protect() made the column NOT NULL */
	char	   *previous_default;	/* default protect() replaced, or NULL */
	bool		enabled_rls;	/* protect() enabled row-level security */
	bool		forced_rls;		/* protect() forced it */
	NameData	created_index;	/* index protect() created (in the table's
								 * schema), or empty */
} TgProtection;

extern Oid	tg_registry_relid(void);
extern bool tg_registry_lookup(Oid relid, TgProtection *prot);
extern bool tg_registry_contains(Oid relid);
extern void tg_registry_insert(const TgProtection *prot);
extern void tg_registry_delete(Oid relid);
extern List *tg_registry_partitions_of(Oid relid);
extern void tg_registry_set_partition_of(Oid relid, Oid parent);
extern void tg_registry_rename_column(Oid relid, const char *oldname,
									  const char *newname);
extern void tg_registry_sweep(void);
extern int64 tg_registry_count(void);
extern List *tg_registry_tables(void);

#endif							/* TENANT_GUARD_REGISTRY_H */

/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  Is Citus installed in this database, and what of Citus's shards the
 *	  drift guard guards (citus.c)?
 *
 * src/citus.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_CITUS_H
#define TENANT_GUARD_CITUS_H

#include "access/attnum.h"
#include "access/htup.h"
#include "access/tupdesc.h"

#include "registry.h"

/*
 * Is extension citus created in the current database?  protect() then
 * makes policies without a subquery and no trigger, which Citus refuses on
 * distributed tables.
 */
extern bool tg_citus_installed(void);

/*
 * Is a relation a shard, or a worker's copy, of a protected Citus table,
 * which the drift guard then guards as protected?  And does a policy of it
 * enforce the tenant?
 */
extern bool tg_citus_shard_protection(Oid relid, TgProtection *prot,
									  Oid *table);
extern bool tg_citus_policy_enforces(Oid relid, const char *polname,
									 AttrNumber attnum, bool all_commands);
extern AttrNumber tg_citus_enforced_column(HeapTuple tuple, TupleDesc desc);

#endif							/* TENANT_GUARD_CITUS_H */

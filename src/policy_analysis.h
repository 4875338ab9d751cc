/*-------------------------------------------------------------------------
 *
 * policy_analysis.h
 *	  Does a policy enforce the tenant condition?  (policy_analysis.c)
 *
 * src/policy_analysis.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_POLICY_ANALYSIS_H
#define TENANT_GUARD_POLICY_ANALYSIS_H

#include "access/attnum.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/nodes.h"

extern Oid	tg_tenant_function_oid(void);
extern bool tg_expr_reads_tenant_function(Node *node);
extern bool tg_policy_expr_enforces(const char *nodetext, AttrNumber attnum);
extern bool tg_policy_tuple_enforces(HeapTuple tuple, TupleDesc desc,
									 AttrNumber attnum);

/*
 * A policy of a table found by name: tg_policy_find() returns its pg_policy
 * tuple, or NULL, valid with lookup->desc until tg_policy_done().
 */
typedef struct TgPolicyLookup
{
	struct RelationData *rel;	/* pg_policy */
	struct SysScanDescData *scan;
	TupleDesc	desc;
} TgPolicyLookup;

extern HeapTuple tg_policy_find(Oid relid, const char *polname,
								TgPolicyLookup *lookup);
extern void tg_policy_done(TgPolicyLookup *lookup);

#endif							/* TENANT_GUARD_POLICY_ANALYSIS_H */

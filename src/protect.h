/*-------------------------------------------------------------------------
 *
 * protect.h
 *	  Declarations for protect(), unprotect(), the registry of protected
 *	  tables, the drift guard and policy analysis.
 *
 *	protect.c			protect() and unprotect()
 *	registry.c			tenant_guard.registry, read and written as its owner
 *	drift_guard.c		DDL that would weaken a protected table; partitions
 *						created or attached later
 *	policy_analysis.c	does a policy enforce the tenant condition?
 *	owner_code.c		rule 6: DDL that would run owner code over every
 *						tenant's rows
 *	type_code.c			rule 6 through types: the code a type's values run
 *
 * src/protect.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_PROTECT_H
#define TENANT_GUARD_PROTECT_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/nodes.h"
#include "nodes/pg_list.h"

/* Names of the policies protect() installs. */
#define TG_ISOLATION_POLICY "tenant_guard_isolation"
#define TG_BASELINE_POLICY	"tenant_guard_baseline"
/* Name of the trigger that fills a NULL tenant column (fill_tenant.c). */
#define TG_FILL_TRIGGER		"tenant_guard_fill_tenant"

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

/* protect.c */
extern bool tg_protection_change_in_progress(void);
extern void tg_protect_partition(Oid relid, Oid parent);
extern bool tg_policy_applies_to_all(HeapTuple tuple, TupleDesc desc);

/* registry.c */
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

/* drift_guard.c */
extern void tg_drift_check(Node *parsetree);
extern void tg_drift_follow_up(Node *parsetree);
extern void tg_drift_note_drop(Oid classId, Oid objectId, int subId);
extern void tg_drift_xact_end(void);
extern bool tg_isolation_intact(Oid relid, AttrNumber attnum);
extern void tg_drift_note_hierarchy_change(Oid relid);
extern Oid	tg_policy_table(Oid policyid);

/*
 * How rule 6 judges code (owner_code.c, type_code.c).  Code about to be
 * created is refused if it calls a function that is not built in or is
 * volatile; code that exists (re-run by REINDEX, ANALYZE, ...) if it calls
 * a function that is not built in and whose owner is inside the rules
 * (tg_owned_inside()).  A type's support functions are always judged by the
 * second line.  A search stops at the first function it refuses.
 */
typedef struct TgCodeSearch
{
	bool		existing;		/* judge by tg_owned_inside() */
	Oid			found;			/* the first function judged harmful */
} TgCodeSearch;

/* owner_code.c */
extern void tg_owner_code_object_access(int access, Oid classId,
										Oid objectId, int subId);
extern void tg_owner_code_check_utility(Node *parsetree);
extern bool tg_find_harmful_code(Node *node, TgCodeSearch *search);

/* type_code.c */
extern bool tg_converts_to_any_type(Oid funcid);
extern bool tg_owned_inside(Oid funcid);
extern Oid	tg_opclass_code(Oid opclass, TgCodeSearch *search);
extern Oid	tg_type_code(Oid typid, bool conversion, TgCodeSearch *search);

/* policy_analysis.c */
extern Oid	tg_tenant_function_oid(void);
extern bool tg_expr_reads_tenant_function(Node *node);
extern bool tg_policy_expr_enforces(const char *nodetext, AttrNumber attnum);
extern bool tg_policy_tuple_enforces(HeapTuple tuple, TupleDesc desc,
									 AttrNumber attnum);

#endif							/* TENANT_GUARD_PROTECT_H */

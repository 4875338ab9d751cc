/*-------------------------------------------------------------------------
 *
 * object_guard.c
 *	  Object access hook: TRUNCATE of row-level security tables, and drops
 *	  the drift guard must know about.
 *
 * TRUNCATE removes the rows of every tenant and row-level security does not
 * apply to it, so a role inside the rules may not truncate a table with
 * row-level security, nor a partition or inheritance child of one.
 * PostgreSQL reports each table a TRUNCATE will empty to the object access
 * hook (OAT_TRUNCATE), including partitions and children it recurses to and
 * tables CASCADE adds, which is more than the statement's own table list
 * would tell.
 *
 * Every object a statement drops is reported to the hook too (OAT_DROP),
 * including those dropped as dependents; the drift guard (drift_guard.c)
 * notes policies and columns of tables, to check protected tables once the
 * statement is done.
 *
 * src/object_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"

#include "protect.h"
#include "tenant_guard.h"

static object_access_hook_type prev_object_access_hook = NULL;

static void
check_truncate(Oid relid)
{
	TgRelInfo  *info;
	Oid			ancestor;

	if (!tg_guard_applies())
		return;
	info = tg_rel_info(relid);
	if (info->rls_enabled)
		tg_report_truncate(relid, InvalidOid);
	else if (tg_rel_has_parents(info) &&
			 OidIsValid(ancestor = tg_rls_ancestor(relid)))
		tg_report_truncate(relid, ancestor);
}

/* TRUNCATE and DROP: check or note the object, then chain. */
static pg_noinline void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (access == OAT_TRUNCATE)
	{
		if (classId == RelationRelationId)
			check_truncate(objectId);
	}
	else
		tg_drift_note_drop(classId, objectId, subId);

	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
}

/*
 * object_access_hook.  Most calls announce function executions, which need
 * nothing: they cost two comparisons and a jump to the hook we chain to.
 */
static void
tg_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (unlikely(access == OAT_TRUNCATE || access == OAT_DROP))
		guard_object_access(access, classId, objectId, subId, arg);
	else if (unlikely(access == OAT_POST_CREATE || access == OAT_POST_ALTER))
	{
		/* rule 6 and the drift guard's ancestry check (owner_code.c) */
		tg_owner_code_object_access(access, classId, objectId, subId);
		if (prev_object_access_hook)
			prev_object_access_hook(access, classId, objectId, subId, arg);
	}
	else if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
}

void
tg_object_guard_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = tg_object_access;
}

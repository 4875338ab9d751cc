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
 * PostgreSQL's own permission check of TRUNCATE comes after the hook, so
 * a role without the TRUNCATE privilege is told "permission denied" here
 * first, as it would be without tenant_guard.
 *
 * currtid2(relname, tid) (kept for the ODBC driver) follows a row's chain
 * of updates by its physical address in any table the role may SELECT
 * from, without row-level security: it tells whether another tenant's row
 * at an address was updated and where its new version lies.  Built-in
 * functions never reach fmgr_hook, but every call is announced to this
 * hook (OAT_FUNCTION_EXECUTE) when its expression is set up, whether in a
 * query, a PL/pgSQL expression, a default or a CHECK constraint; roles
 * inside the rules may not call it.
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
#include "catalog/pg_proc.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "drift_guard.h"
#include "object_guard.h"
#include "owner_code.h"
#include "rel_cache.h"
#include "report.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_guard.h"

object_access_hook_type tg_prev_object_access_hook = NULL;

/*
 * TRUNCATE of a table with row-level security, or of a partition or child
 * of one, is refused (rule 5).  Only on the way to that refusal does the
 * role's own TRUNCATE privilege come first: PostgreSQL truncates the
 * children of a named table without checking it on them, and a TRUNCATE
 * the guard lets through must behave exactly as without it.
 */
static void
check_truncate(Oid relid)
{
	TgVerdict	verdict;

	if (!tg_guard_applies() || tg_rule_truncate(relid, &verdict))
		return;
	if (pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV,
					   get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	tg_report(&verdict);
}

/* TRUNCATE, DROP and currtid2(): check or note the object, then chain. */
static pg_noinline void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (access == OAT_TRUNCATE)
	{
		if (classId == RelationRelationId)
			check_truncate(objectId);
	}
	else if (access == OAT_DROP)
		tg_drift_note_drop(classId, objectId, subId);
	else if (access == OAT_FUNCTION_EXECUTE &&
			 classId == ProcedureRelationId && tg_guard_applies())
	{
		TgVerdict	verdict;

		if (!tg_rule_tid_lookup(objectId, &verdict))
			tg_report(&verdict);
	}

	if (tg_prev_object_access_hook)
		tg_prev_object_access_hook(access, classId, objectId, subId, arg);
}

/*
 * object_access_hook.  Most calls announce function executions (61 in a
 * point lookup's transaction), which need nothing but currtid2(): they are
 * answered first, with two comparisons and the test of the hook we chain
 * to.
 */
void
tg_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	/* the common call: a function other than currtid2() is set up */
	if (likely(access == OAT_FUNCTION_EXECUTE) &&
		likely(objectId != F_CURRTID2))
	{
		if (tg_prev_object_access_hook)
			tg_prev_object_access_hook(access, classId, objectId, subId, arg);
	}
	else if (unlikely(access == OAT_TRUNCATE || access == OAT_DROP ||
					  objectId == F_CURRTID2))
		guard_object_access(access, classId, objectId, subId, arg);
	else if (unlikely(access == OAT_POST_CREATE || access == OAT_POST_ALTER))
	{
		/* rule 6 and the drift guard's ancestry check (owner_code.c) */
		tg_owner_code_object_access(access, classId, objectId, subId);
		/* a temporary object, which the commit may not leave (rule 2) */
		tg_session_state_note_object(access, classId, objectId, subId);
		if (tg_prev_object_access_hook)
			tg_prev_object_access_hook(access, classId, objectId, subId, arg);
	}
	else if (tg_prev_object_access_hook)
		tg_prev_object_access_hook(access, classId, objectId, subId, arg);
}

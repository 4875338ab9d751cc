/*-------------------------------------------------------------------------
 *
 * fk_validation.c
 *	  Have PostgreSQL validate a new foreign key between tables with
 *	  row-level security row by row, with the foreign key's own checks.
 *
 * ALTER TABLE ... ADD FOREIGN KEY and VALIDATE CONSTRAINT check the rows
 * already in the table.  RI_Initial_Check (ri_triggers.c) does it with one
 * query, SELECT fk.keycols FROM fk LEFT JOIN pk ... WHERE pk.key IS NULL,
 * run as the user running ALTER TABLE.  Unlike the foreign key's run-time
 * checks it does not switch to the table's owner with row-level security
 * off: for an owner inside the rules the policies of both tables apply to
 * it.  Without a tenant it would see no rows and pass whatever the table
 * holds (the guard refuses it instead); with a tenant it checks that
 * tenant's rows only, and marks the key valid while other tenants' rows
 * break it.  Letting that query through would make a key valid that is
 * not.
 *
 * RI_Initial_Check first asks, with ExecCheckRTPerms(..., false), whether
 * the user may read both tables, and when not it returns false: the caller
 * (validateForeignKeyConstraint in tablecmds.c) then scans the referencing
 * table itself and runs the foreign key's insert check for each row, as
 * the referenced table's owner with row-level security off.  Those are the
 * run-time checks the executor guard already lets through, and they see
 * every tenant's rows.  So this module answers "no" to that question, and
 * only to it: a permission check that does not report violations, on
 * exactly two tables, both read with SELECT only, at least one of them with
 * row-level security, for a user to whom row-level security applies.  No
 * statement is let through that was not before; the validation just takes
 * the slower path that checks every row.  An answer of "no" where the
 * question came from elsewhere can only make its caller refuse something
 * or take its own careful path.
 *
 * src/fk_validation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"

#include "compat.h"
#include "fk_validation.h"
#include "rel_cache.h"
#include "role_cache.h"
#include "tenant_guard.h"

ExecutorCheckPerms_hook_type tg_prev_check_perms = NULL;

/*
 * Does a permission check look like RI_Initial_Check's: two tables, each
 * needing SELECT only, at least one with row-level security?
 */
static bool
is_fk_validation_check(TG_CHECK_PERMS_PARAMS)
{
	ListCell   *lc;
	bool		has_rls = false;

	if (list_length(rangeTable) != 2)
		return false;
	foreach(lc, rangeTable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind != RTE_RELATION ||
			(rte->relkind != RELKIND_RELATION &&
			 rte->relkind != RELKIND_PARTITIONED_TABLE) ||
			tg_rte_required_perms(TG_CHECK_PERMS_ARGS, rte) != ACL_SELECT)
			return false;
		if (rte->relid >= (Oid) FirstNormalObjectId &&
			tg_rel_info(rte->relid)->rls_enabled)
			has_rls = true;
	}
	return has_rls;
}

/* A permission check that reports nothing: RI_Initial_Check's, maybe. */
static pg_noinline bool
check_quiet_perms(TG_CHECK_PERMS_PARAMS)
{
	if (tg_prev_check_perms && !tg_prev_check_perms(TG_CHECK_PERMS_ARGS))
		return false;

	if (tg_mode != TG_MODE_OFF &&
		is_fk_validation_check(TG_CHECK_PERMS_ARGS) &&
		(!tg_role_is_exempt(GetUserId()) || tg_guard_applies()))
		return false;
	return true;
}

/*
 * ExecutorCheckPerms hook: refuse RI_Initial_Check's shortcut when
 * row-level security would filter it, so that PostgreSQL validates the
 * foreign key row by row.  Everything else is left to the next hook: the
 * executor's own check of every plan (ereport_on_violation) is handed on
 * in a jump.
 */
bool
tg_check_perms(TG_CHECK_PERMS_PARAMS)
{
	if (unlikely(!ereport_on_violation))
		return check_quiet_perms(TG_CHECK_PERMS_ARGS);
	if (tg_prev_check_perms)
		return tg_prev_check_perms(TG_CHECK_PERMS_ARGS);
	return true;
}

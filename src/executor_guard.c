/*-------------------------------------------------------------------------
 *
 * executor_guard.c
 *	  Check every statement that runs a plan before it reads a row.
 *
 * ExecutorStart sees every plan PostgreSQL executes, however the table was
 * reached: plain DML and MERGE, COPY (query) TO, CREATE TABLE AS, EXPLAIN
 * ANALYZE, cursors, prepared statements and cached plans, and each
 * statement run by SQL or PL/pgSQL functions and dynamic SQL.  Views, CTEs,
 * subqueries and partitions all appear in the plan's flattened range table,
 * so one pass over it finds every table the statement can touch.  The
 * checks run at execution, not planning, so a cached plan is judged against
 * the tenant context of the transaction that runs it.
 *
 * For each table with row-level security (rule numbers as in the README):
 *	4. row-level security must be forced;
 *	5. it must not be read as a role that bypasses row-level security (the
 *	   owner of a view or of a SECURITY DEFINER function), and a partition
 *	   must not escape its parent's policies, nor its own;
 *	1-3. the transaction must have a valid tenant context (judged once per
 *	   statement).
 *
 * The planner gets a first look at the tenant context of queries to which
 * row-level security applies: planning evaluates stable expressions such as
 * current_setting(...)::int to estimate selectivity, so a policy written
 * that way would otherwise fail with a cast error before the executor could
 * explain what is missing.
 *
 * ExecutorEnd refuses a session-level tenant assigned during the statement
 * (set_config(..., false)), so it cannot reach the next statement.
 *
 * src/executor_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "tcop/pquery.h"
#include "utils/portal.h"

#include "compat.h"
#include "tenant_guard.h"

static planner_hook_type prev_planner = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

/*
 * Find the range table entry through which the plan names one of the
 * partition ancestors of relid, and return that ancestor; InvalidOid if the
 * plan names none (the child was not reached through an ancestor).
 */
static Oid
named_ancestor(PlannedStmt *pstmt, Oid relid)
{
	Oid			ancestor;

	for (ancestor = tg_partition_parent(relid); OidIsValid(ancestor);
		 ancestor = tg_partition_parent(ancestor))
	{
		ListCell   *lc;

		foreach(lc, pstmt->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			Oid			check_as_user;

			if (rte->rtekind == RTE_RELATION && rte->relid == ancestor &&
				tg_rte_named_by_query(pstmt, rte, &check_as_user))
				return ancestor;
		}
	}
	return InvalidOid;
}

/*
 * A partition the query did not name, reached through a parent.  The
 * policies that apply are those of the ancestor the query named; the
 * partition's own are ignored.  That is fine when the named ancestor has
 * row-level security, and a hole when the partition has it and the named
 * ancestor does not.  In a fully protected tree every ancestor has it, which
 * is decided without looking at the range table.
 */
static void
check_partition_reached_through_parent(TgStatementCheck *check, Oid relid)
{
	Oid			ancestor;

	if (check->pstmt == NULL || tg_all_ancestors_have_rls(relid))
		return;
	ancestor = named_ancestor(check->pstmt, relid);
	if (OidIsValid(ancestor) && !tg_rel_info(ancestor)->rls_enabled)
		tg_report_child_behind_parent(relid, ancestor);
}

/*
 * Judge the tenant context once per statement, and refuse a holdable
 * cursor: its rows would outlive the transaction and its tenant context.
 */
static void
check_statement_context(TgStatementCheck *check, Oid relid)
{
	TgTenantState state;

	check->tenant_checked = true;

	if (check->pstmt != NULL && ActivePortal != NULL &&
		(ActivePortal->cursorOptions & CURSOR_OPT_HOLD) != 0)
		tg_report_hold_cursor(relid, ActivePortal->name);

	tg_tenant_state(&state);
	if (tg_session_tenant_pending())
		tg_report_session_tenant();
	else if (!tg_tenant_is_valid(&state))
		tg_report_tenant_context(relid, &state);
}

/*
 * Apply tenant_guard's rules to one table a statement touches.
 *
 * named_by_query says whether the statement named the table (so PostgreSQL
 * applied the table's own row-level security) rather than reaching it as a
 * partition of a table it named; check_as_user is the role row-level
 * security was checked as, when that is not the current user (a view's
 * owner).  The caller has established that the rules apply to the session.
 */
void
tg_check_relation(TgStatementCheck *check, Oid relid, bool named_by_query,
				  Oid check_as_user)
{
	TgRelInfo  *info;
	bool		rls_forced;
	Oid			read_as;

	/* Built-in catalogs never have row-level security. */
	if (relid < (Oid) FirstNormalObjectId)
		return;

	info = tg_rel_info(relid);
	if (!info->rls_enabled)
	{
		Oid			ancestor;

		if (named_by_query && info->is_partition &&
			OidIsValid(ancestor = tg_rls_ancestor(relid)))
			tg_report_partition_hole(relid, ancestor);
		return;
	}
	if (!named_by_query)
	{
		if (info->is_partition)
			check_partition_reached_through_parent(check, relid);
		return;
	}
	rls_forced = info->rls_forced;

	/* Rule 4: the owner of an unforced table bypasses every policy. */
	if (!rls_forced)
		tg_report_not_forced(relid);

	/* Rule 5: a view or SECURITY DEFINER owner that bypasses RLS. */
	read_as = OidIsValid(check_as_user) ? check_as_user : GetUserId();
	if (read_as != GetOuterUserId() && tg_role_is_exempt(read_as))
		tg_report_bypass(relid, read_as, OidIsValid(check_as_user),
						 check->pstmt ? check->pstmt->rtable : NIL);

	/* Rules 1 to 3: a valid tenant context. */
	if (!check->tenant_checked)
		check_statement_context(check, relid);
}

/*
 * Walker finding a table with row-level security in a query tree, to name
 * it in the planner's report.
 */
static bool
find_rls_relation(Node *node, Oid *relid)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION &&
			rte->relid >= (Oid) FirstNormalObjectId &&
			tg_rel_info(rte->relid)->rls_enabled)
		{
			*relid = rte->relid;
			return true;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, find_rls_relation,
								 (void *) relid, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, find_rls_relation, (void *) relid);
}

/*
 * planner hook: refuse, before planning, a query to which row-level
 * security applies (the rewriter says so in hasRowSecurity) when the
 * transaction has no valid tenant context.  Only in enforce mode, since in
 * warn mode the executor reports it, and not for EXPLAIN without ANALYZE,
 * which reads no rows.  The executor repeats the check for every execution
 * of the plan.
 */
static PlannedStmt *
tg_planner(Query *parse, const char *query_string, int cursorOptions,
		   ParamListInfo boundParams)
{
	if (parse->hasRowSecurity && tg_mode == TG_MODE_ENFORCE &&
		!tg_planning_plain_explain() && tg_guard_applies())
	{
		TgTenantState state;

		tg_tenant_state(&state);
		if (tg_session_tenant_pending())
			tg_report_session_tenant();
		else if (!tg_tenant_is_valid(&state))
		{
			Oid			relid = InvalidOid;

			(void) find_rls_relation((Node *) parse, &relid);
			tg_report_tenant_context(relid, &state);
		}
	}

	if (prev_planner)
		return prev_planner(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

/*
 * ExecutorStart hook: check the plan before execution starts.
 *
 * EXPLAIN without ANALYZE reads no rows and is let through.  Referential
 * integrity checks run as the table owner with row-level security
 * deliberately off (InNoForceRLSOperation); they only confirm that a key
 * exists and are let through too.
 */
static void
tg_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* a renamed tenant setting gets its check hook before anything runs */
	tg_tenant_setting_sync();

	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 && tg_guard_applies() &&
		!InNoForceRLSOperation())
	{
		PlannedStmt *pstmt = queryDesc->plannedstmt;
		TgStatementCheck check = {pstmt, false};
		ListCell   *lc;

		foreach(lc, pstmt->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			Oid			check_as_user;
			bool		named;

			if (rte->rtekind != RTE_RELATION ||
				(rte->relkind != RELKIND_RELATION &&
				 rte->relkind != RELKIND_PARTITIONED_TABLE))
				continue;
			named = tg_rte_named_by_query(pstmt, rte, &check_as_user);
			tg_check_relation(&check, rte->relid, named, check_as_user);
		}
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * ExecutorEnd hook: a statement that assigned the tenant at session level
 * (set_config(..., false)) fails here, and its transaction with it, which
 * undoes the assignment.
 */
static void
tg_ExecutorEnd(QueryDesc *queryDesc)
{
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);

	if (unlikely(tg_tenant_touched()))
		tg_check_session_tenant();
}

void
tg_executor_guard_init(void)
{
	prev_planner = planner_hook;
	planner_hook = tg_planner;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = tg_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = tg_ExecutorEnd;
}

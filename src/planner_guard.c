/*-------------------------------------------------------------------------
 *
 * planner_guard.c
 *	  The planner's first look at the tenant context.
 *
 * The planner gets a first look at the tenant context of queries to which
 * row-level security applies: planning evaluates stable expressions such as
 * current_setting(...)::int to estimate selectivity, so a policy written
 * that way would otherwise fail with a cast error before the executor could
 * explain what is missing.  The executor (executor_guard.c) checks every
 * execution of the plan all the same.
 *
 * EXPLAIN without ANALYZE plans a query but reads no rows, so it needs no
 * tenant context: the ProcessUtility hook (utility_guard.c) says when one
 * is running, and this file keeps the count next to the hook that reads it.
 *
 * src/planner_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/transam.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"

#include "compat.h"
#include "planner_guard.h"
#include "rel_cache.h"
#include "report.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"

planner_hook_type tg_prev_planner = NULL;

/* Nesting depth of EXPLAIN statements without ANALYZE being run. */
static int	plain_explain_depth = 0;

/*
 * An EXPLAIN without ANALYZE starts or ends (normally or by error; the
 * ProcessUtility hook calls the end in PG_FINALLY): while one runs, the
 * planner works for a statement that reads no rows.
 */
void
tg_plain_explain_begin(void)
{
	plain_explain_depth++;
}

void
tg_plain_explain_end(void)
{
	plain_explain_depth--;
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
 * Walker applying PostgreSQL's permission checks to every query level of a
 * query tree (subqueries, CTEs, sublinks, expanded views): the range table
 * the executor will check once planning has flattened it.
 */
static bool
check_query_permissions(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		tg_check_query_permissions((Query *) node);
		return query_tree_walker((Query *) node, check_query_permissions,
								 context, 0);
	}
	return expression_tree_walker(node, check_query_permissions, context);
}

/*
 * The planner's refusal for want of a tenant context, or for a
 * session-level tenant: the verdict again, now about the first table with
 * row-level security the query reads.  PostgreSQL checks permissions only
 * when the executor starts, so check them here first: a role without the
 * privilege gets "permission denied", as it would without tenant_guard.
 */
static pg_noinline void
refuse_planning(Query *parse, const TgTenantState *state)
{
	TgVerdict	verdict;
	Oid			relid = InvalidOid;

	(void) check_query_permissions((Node *) parse, NULL);
	(void) find_rls_relation((Node *) parse, &relid);
	(void) tg_rule_tenant_context(state, relid, &verdict);
	tg_report(&verdict);
}

/*
 * Judge the tenant context of a query to which row-level security
 * applies.  Which table to name is looked for only on the way to a
 * refusal.
 */
static void
check_planning(Query *parse)
{
	TgTenantState state;
	TgVerdict	verdict;

	tg_tenant_state(&state);
	state.session_pending = tg_session_tenant_pending();
	if (tg_rule_tenant_context(&state, InvalidOid, &verdict))
		tg_tenant_pin(&state, &verdict);
	else
		refuse_planning(parse, &state);
}

/*
 * tg_planner()'s check of a query under row-level security, out of line:
 * the hook itself then needs no stack protector, and hands every other
 * query on in a jump.
 */
static pg_noinline void
check_before_planning(Query *parse)
{
	if (IsParallelWorker() || InNoForceRLSOperation() || !tg_guard_applies())
		return;
	check_planning(parse);
}

/*
 * planner hook: refuse, before planning, a query to which row-level
 * security applies (the rewriter says so in hasRowSecurity) when the
 * transaction has no valid tenant context.  Only in enforce mode, since in
 * warn mode the executor reports it, and not for EXPLAIN without ANALYZE,
 * which reads no rows.  The executor repeats the check for every execution
 * of the plan.  Nor for a query planned inside a foreign key's check or
 * action (InNoForceRLSOperation()): the executor tells PostgreSQL's own
 * queries, which need no tenant, from the statements of triggers they fire.
 */
PlannedStmt *
tg_planner(Query *parse, const char *query_string, int cursorOptions,
		   ParamListInfo boundParams)
{
	/* a custom plan is made with the parameters' values: before planning */
	if (unlikely(tg_sql_prepared != NIL))
		tg_check_prepared_statement(NULL, query_string);

	if (parse->hasRowSecurity && tg_mode == TG_MODE_ENFORCE &&
		plain_explain_depth == 0)
		check_before_planning(parse);

	if (tg_prev_planner)
		return tg_prev_planner(parse, query_string, cursorOptions,
							   boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

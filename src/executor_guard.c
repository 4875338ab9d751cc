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
 *	   owner of a view or of a SECURITY DEFINER function, or the table's
 *	   owner inside a referential action), and a partition must not escape
 *	   its parent's policies, nor its own;
 *	1-3. the transaction must have a valid tenant context (judged once per
 *	   statement).
 *
 * Two kinds of statement are let through unchecked: the plan fragment a
 * parallel worker runs for its leader (the leader checked the statement;
 * statements nested inside a worker are refused, since a worker cannot tell
 * where its tenant came from), and the queries PostgreSQL runs to enforce
 * foreign keys (they run as the table owner with row-level security off by
 * design, and only test or apply key matches).
 *
 * At ExecutorEnd, a statement whose rows a cursor keeps past COMMIT (WITH
 * HOLD, or a loop of a procedure that commits) is refused if it, or anything
 * else in its transaction, read a table with row-level security.  A
 * session-level tenant assigned during the statement (set_config(...,
 * false)) is refused at the end of ExecutorRun, so that the statement that
 * assigned it fails: a plain SELECT of the extended protocol is ended only
 * when its portal is dropped, which may be when the client sends COMMIT,
 * and an error there, before COMMIT runs, would leave the client in an
 * aborted transaction block.  For the same reason, ExecutorEnd run by a
 * portal drop outside any statement leaves what it would refuse to the
 * commit, where an error ends the transaction.
 *
 * PostgreSQL checks privileges when the executor starts, after these hooks:
 * before any refusal, they run its permission checks themselves, so that a
 * role without the privilege gets PostgreSQL's "permission denied".
 *
 * The planner gets a first look at the tenant context (planner_guard.c).
 *
 * src/executor_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/memutils.h"
#include "utils/portal.h"

#include "compat.h"
#include "drift_guard.h"
#include "executor_guard.h"
#include "referential_action.h"
#include "rel_cache.h"
#include "report.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "tenant_stats.h"
#include "xact_guard.h"

/* Has this parallel worker started the plan its leader sent it? */
static bool worker_plan_started = false;
ExecutorStart_hook_type tg_prev_ExecutorStart = NULL;
ExecutorRun_hook_type tg_prev_ExecutorRun = NULL;
ExecutorEnd_hook_type tg_prev_ExecutorEnd = NULL;

/*
 * About to refuse a plan: let PostgreSQL's own permission check, which the
 * executor makes right after this hook, come first, so that a role without
 * the privilege gets "permission denied", not an error naming a table (a
 * partition, a child) it may not know of.  Only on the way to a refusal, so
 * statements that pass pay nothing.  A utility statement (pstmt NULL) is
 * left to its own checks.
 */
static void
permissions_first(TgStatementCheck *check)
{
	if (check->pstmt != NULL)
		tg_check_plan_permissions(check->pstmt);
}

/*
 * Judge the tenant context once per statement, and refuse a WITH HOLD
 * cursor: its rows would outlive the transaction and its tenant context.
 * Out of line: its TgTenantState would cost tg_check_relation() a stack
 * protector for every table.
 */
static pg_noinline void
check_statement_context(TgStatementCheck *check, Oid relid)
{
	TgTenantState state;
	TgVerdict	verdict;

	check->tenant_checked = true;
	tg_tenant_note_read(relid);

	if (check->pstmt != NULL && ActivePortal != NULL &&
		(ActivePortal->cursorOptions & CURSOR_OPT_HOLD) != 0 &&
		!tg_rule_held_cursor(relid, ActivePortal->name, false, &verdict))
	{
		permissions_first(check);
		tg_report(&verdict);
	}

	/* the value has not changed since it was found valid */
	if (likely(tg_tenant_known_valid() && tg_mode == TG_MODE_ENFORCE))
		return;

	/*
	 * A session-level tenant can be pending only if the transaction made a
	 * session-level assignment (tenant_context.c): the walk of the
	 * setting's stack that finds it is made only then, or in warn mode.
	 */
	tg_tenant_state(&state);
	state.session_pending = (tg_tenant_session_assigned() ||
							 tg_mode == TG_MODE_WARN) &&
		tg_session_tenant_pending();
	if (tg_rule_tenant_context(&state, relid, &verdict))
	{
		tg_tenant_pin(&state, &verdict);
		if (tg_mode == TG_MODE_ENFORCE)
			tg_tenant_note_valid(&state);
	}
	else
	{
		permissions_first(check);
		tg_report(&verdict);
	}
}

/*
 * Apply tenant_guard's rules to one table a statement touches: report the
 * verdicts of rules 4 and 5 (rules.c), in warn mode every one, and judge
 * the tenant context if the table needs one.
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
	TgRelationUse use;
	TgVerdict	verdicts[TG_MAX_RELATION_VERDICTS];
	bool		needs_tenant;
	int			n;

	/* Built-in catalogs never have row-level security. */
	if (relid < (Oid) FirstNormalObjectId)
		return;

	use.relid = relid;
	use.pstmt = check->pstmt;
	use.named_by_query = named_by_query;
	use.check_as_user = check_as_user;
	use.in_worker = check->in_worker;
	use.in_referential_action = check->in_referential_action;
	n = tg_rule_relation(&use, verdicts, &needs_tenant);
	if (n > 0)
		permissions_first(check);
	for (int i = 0; i < n; i++)
		tg_report(&verdicts[i]);

	/* Rules 1 to 3: a valid tenant context. */
	if (needs_tenant && !check->tenant_checked)
		check_statement_context(check, relid);
}

/*
 * Is this one of the queries PostgreSQL runs to enforce a foreign key
 * (ri_triggers.c): a key check (SELECT ... FOR KEY SHARE) or a referential
 * action (UPDATE or DELETE, without RETURNING) on one table, or a
 * partitioned table and its partitions, run as the table's owner?
 *
 * They run with InNoForceRLSOperation() set, but so does everything that
 * triggers fired by a referential action run, and their authors choose the
 * shape of their statements.  What they cannot choose is how the executor
 * is started: ri_triggers.c runs its queries through
 * SPI_execute_snapshot() without firing triggers, which starts them with
 * EXEC_FLAG_SKIP_TRIGGERS and an SPI destination.  Statements of PL/pgSQL
 * start without that flag; the lazily evaluated final SELECT of a SQL
 * function starts with it, but sends its rows to the function.  The rest
 * is checked all the same: the query names one table (the others in its
 * range table are partitions or children PostgreSQL added), owned by the
 * current user, and has no subquery.
 */
static bool
is_referential_integrity_query(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *pstmt = queryDesc->plannedstmt;
	ListCell   *lc;
	RangeTblEntry *target;

	if ((eflags & EXEC_FLAG_SKIP_TRIGGERS) == 0 ||
		queryDesc->dest->mydest != DestSPI ||
		pstmt->rtable == NIL || pstmt->subplans != NIL)
		return false;

	foreach(lc, pstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Oid			check_as_user;

		if (rte->rtekind != RTE_RELATION ||
			(rte->relkind != RELKIND_RELATION &&
			 rte->relkind != RELKIND_PARTITIONED_TABLE))
			return false;
		if (foreach_current_index(lc) > 0 &&
			tg_rte_named_by_query(pstmt, rte, &check_as_user))
			return false;
	}
	target = linitial_node(RangeTblEntry, pstmt->rtable);
	if (!tg_relation_ownercheck(target->relid, GetUserId()))
		return false;

	switch (pstmt->commandType)
	{
		case CMD_SELECT:
			if (pstmt->rowMarks == NIL)
				return false;
			foreach(lc, pstmt->rowMarks)
			{
				if (lfirst_node(PlanRowMark, lc)->markType != ROW_MARK_KEYSHARE)
					return false;
			}
			return true;
		case CMD_UPDATE:
		case CMD_DELETE:
			return !pstmt->hasReturning;
		default:
			return false;
	}
}

/*
 * Could a range table entry name a table with something to check: a user
 * table, partitioned table or foreign table?
 */
static inline bool
rte_may_need_check(RangeTblEntry *rte)
{
	return rte->rtekind == RTE_RELATION &&
		(rte->relkind == RELKIND_RELATION ||
		 rte->relkind == RELKIND_PARTITIONED_TABLE ||
		 rte->relkind == RELKIND_FOREIGN_TABLE) &&
		rte->relid >= (Oid) FirstNormalObjectId;
}

/*
 * Position in the range table of the first entry that may have something
 * to check, or -1: an entry that is not in the relation cache's front
 * (rel_cache.h), or one with row-level security or parents.  Most tables of
 * most statements have nothing to check and are found in the front: the
 * loop calls nothing, so that the ExecutorStart hook of a statement without
 * such a table saves no registers.  check_plan() looks at each entry from
 * there on.
 */
static inline int
first_rte_to_check(List *rtable)
{
	ListCell   *lc;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		TgRelInfo  *info;

		if (!rte_may_need_check(rte))
			continue;
		info = tg_rel_slots[rte->relid % TG_REL_SLOTS];
		if (info == NULL || info->relid != rte->relid || !info->valid ||
			info->rls_enabled || tg_rel_has_parents(info))
			return foreach_current_index(lc);
	}
	return -1;
}

/*
 * Is the statement's tenant context what check_statement_context() would
 * find without reporting: a tenant context known valid (enforce mode, the
 * value unchanged since it was judged), and no cursor kept past COMMIT?
 */
static inline bool
statement_context_known_good(void)
{
	return tg_tenant_known_valid() && tg_mode == TG_MODE_ENFORCE &&
		(ActivePortal == NULL ||
		 (ActivePortal->cursorOptions & CURSOR_OPT_HOLD) == 0);
}

/*
 * The plan reaches a table with something to check: bring the drift
 * guard's view of protected hierarchies up to date before it reads, and
 * judge it whole if it is one of the queries that enforce foreign keys
 * (then returns false: nothing more to check).
 */
static bool
plan_check_begins(QueryDesc *queryDesc, int eflags, TgStatementCheck *check)
{
	if (unlikely(tg_drift_hierarchy_unchecked))
		tg_drift_check_hierarchy_now();
	check->in_referential_action = InNoForceRLSOperation();
	if (check->in_referential_action &&
		is_referential_integrity_query(queryDesc, eflags))
	{
		tg_check_referential_action(queryDesc);
		return false;
	}
	return true;
}

/*
 * Put the tables of a range table, from position first on, in the relation
 * cache's front, for a statement that checks none of them (a role outside
 * the rules): first_rte_to_check() then passes over those without
 * row-level security next time, instead of sending every statement of such
 * a role to check_plan() for a cache miss.
 */
static void
learn_relations(List *rtable, int first)
{
	ListCell   *lc;

	for_each_from(lc, rtable, first)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte_may_need_check(rte))
			(void) tg_rel_info(rte->relid);
	}
}

/*
 * Apply the rules to the tables of a plan's range table, from position
 * first on (an entry that may have something to check), unless the
 * session's role is outside the rules.  A plan that reaches no table with
 * something to check is let through, also when it is one of the queries
 * that enforce foreign keys.
 */
static pg_noinline void
check_plan(QueryDesc *queryDesc, int eflags, int first, bool in_worker)
{
	PlannedStmt *pstmt = queryDesc->plannedstmt;
	TgStatementCheck check = {pstmt, false, in_worker, false};
	ListCell   *lc;
	Oid			outer = GetOuterUserId();
	Oid			user = InvalidOid;
	bool		begun = false;

	if (tg_mode == TG_MODE_OFF)
		return;
	if (tg_role_is_exempt(outer))
	{
		learn_relations(pstmt->rtable, first);
		return;
	}

	for_each_from(lc, pstmt->rtable, first)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		TgRelInfo  *info;
		TgRelationUse use;

		if (!rte_may_need_check(rte))
			continue;
		info = tg_rel_info(rte->relid);
		if (!info->rls_enabled && !tg_rel_has_parents(info))
			continue;
		if (unlikely(!begun))
		{
			begun = true;
			if (!plan_check_begins(queryDesc, eflags, &check))
				return;
			user = GetUserId();
			info = tg_rel_info(rte->relid);		/* may have been refilled */
		}
		use.named_by_query = tg_rte_named_by_query(pstmt, rte,
												   &use.check_as_user);
		use.in_worker = in_worker;
		use.in_referential_action = check.in_referential_action;
		if (tg_rule_relation_plain(&use, info->rls_enabled,
								   info->rls_forced, user, outer))
		{
			if (check.tenant_checked)
				continue;
			if (likely(statement_context_known_good()))
			{
				check.tenant_checked = true;
				tg_tenant_note_read(rte->relid);
			}
			else
				check_statement_context(&check, rte->relid);
		}
		else
			tg_check_relation(&check, rte->relid, use.named_by_query,
							  use.check_as_user);
	}
}

/*
 * Check a plan about to start in a parallel worker, except the fragment
 * the leader sent (the leader checked it).
 */
static pg_noinline void
guard_worker_plan(QueryDesc *queryDesc, int eflags)
{
	bool		fragment = !worker_plan_started;
	int			first;

	worker_plan_started = true;
	if (fragment)
		return;
	first = first_rte_to_check(queryDesc->plannedstmt->rtable);
	if (first >= 0)
		check_plan(queryDesc, eflags, first, true);
}

/*
 * The session holds statements SQL PREPARE made: is the portal being run
 * one that a protocol-level Bind made of such a statement
 * (exec_bind_message names the portal's statement; SQL EXECUTE and cursors
 * do not)?  Its custom plan was checked before planning (tg_planner), a
 * cached plan is checked here, before the executor starts.
 */
static pg_noinline void
check_prepared_portal(void)
{
	if (ActivePortal != NULL && ActivePortal->prepStmtName != NULL)
		tg_check_prepared_statement(ActivePortal->prepStmtName, NULL);
}

/*
 * ExecutorStart in the unusual session: one whose tenant setting was
 * renamed, that holds statements SQL PREPARE made, or a parallel worker.
 */
static pg_noinline void
check_and_start(QueryDesc *queryDesc, int eflags)
{
	/* a renamed tenant setting gets its check hook before anything runs */
	tg_tenant_setting_sync();

	if (unlikely(tg_sql_prepared != NIL))
		check_prepared_portal();

	if (tg_mode != TG_MODE_OFF && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0)
	{
		int			first;

		if (unlikely(IsParallelWorker()))
			guard_worker_plan(queryDesc, eflags);
		else if ((first = first_rte_to_check(queryDesc->plannedstmt->rtable)) >= 0)
			check_plan(queryDesc, eflags, first, false);
	}

	if (tg_prev_ExecutorStart)
		tg_prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * ExecutorStart hook: check the plan before execution starts.  EXPLAIN
 * without ANALYZE reads no rows and is let through, and so is a plan that
 * reads no table at all, outside parallel workers (where the first plan
 * must be seen).  Kept small, so that a statement with nothing to look
 * at, which is most of them, is handed on in a jump.
 */
void
tg_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	int			first;

	if (unlikely(tg_tenant_setting_changed || tg_sql_prepared != NIL ||
				 IsParallelWorker()))
	{
		check_and_start(queryDesc, eflags);
		return;
	}
	if (tg_mode != TG_MODE_OFF && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		(first = first_rte_to_check(queryDesc->plannedstmt->rtable)) >= 0)
		check_plan(queryDesc, eflags, first, false);
	if (tg_prev_ExecutorStart)
		tg_prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * Is a cursor being kept past COMMIT?  PersistHoldablePortal() runs the
 * rest of the cursor's query into its hold store with the portal active,
 * and detaches the query from the portal just before ending it; a FOR loop
 * in a procedure that commits is kept the same way (HoldPinnedPortals).
 * Only a cursor's portal (PORTAL_ONE_SELECT) gets a hold store that way;
 * portals of other strategies keep their results in one all along.
 * Refuse it if the query reads a table with row-level security: its rows
 * would outlive the transaction and its tenant context.  Refuse it too if
 * the transaction read such a table anywhere else, at any nesting level:
 * in a function the query calls (whose loops run under portals of their
 * own), while planning it, or before, into a temporary table or a setting
 * that the query reads now.  The rows held are computed in the
 * transaction, so they may carry anything it read.
 */
static pg_noinline void
check_held_cursor(QueryDesc *queryDesc, Portal portal)
{
	ListCell   *lc;
	TgVerdict	verdict;
	Oid			read;

	if (portal->queryDesc != NULL || !IsTransactionState() ||
		!tg_guard_applies())
		return;

	foreach(lc, queryDesc->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION &&
			rte->relid >= (Oid) FirstNormalObjectId &&
			tg_rel_info(rte->relid)->rls_enabled &&
			!tg_rule_held_cursor(rte->relid, portal->name, false, &verdict))
			tg_report(&verdict);
	}
	read = tg_tenant_first_read();
	if (OidIsValid(read) &&
		!tg_rule_held_cursor(read, portal->name, true, &verdict))
		tg_report(&verdict);
}

/*
 * ExecutorRun hook: refuse a session-level tenant the statement assigned,
 * as soon as the run that assigned it is over.  The error fails the
 * statement and the transaction, which undoes the assignment.  Statements
 * run inside are nested ones, for the statistics (tenant_stats.c).
 */
void
tg_ExecutorRun(TG_EXECUTOR_RUN_PARAMS)
{
	bool		stats_entered = tg_stats_enter();

	if (tg_prev_ExecutorRun)
		tg_prev_ExecutorRun(TG_EXECUTOR_RUN_ARGS);
	else
		standard_ExecutorRun(TG_EXECUTOR_RUN_ARGS);
	tg_stats_leave(stats_entered);

	if (unlikely(tg_tenant_touched))
		tg_check_session_tenant();
}

/*
 * End a statement that has something to check: a cursor kept past COMMIT
 * over row-level security tables, and a session-level tenant the statement
 * assigned.  The error fails the transaction, which undoes both.  Without
 * an active portal, the executor is ended by a portal drop between
 * statements (the client's next Bind or query, COMMIT's included); a
 * session-level tenant is then left to the next statement's end or to the
 * commit, where an error ends the transaction instead of leaving it
 * aborted.
 */
static pg_noinline void
end_and_check(QueryDesc *queryDesc, Portal portal)
{
	if (portal != NULL && portal->holdStore != NULL &&
		portal->strategy == PORTAL_ONE_SELECT)
		check_held_cursor(queryDesc, portal);

	if (tg_prev_ExecutorEnd)
		tg_prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);

	if (tg_tenant_touched && ActivePortal != NULL)
		tg_check_session_tenant();
}

/*
 * ExecutorEnd hook.  A statement with nothing to check, which is nearly
 * every one, is handed on in a jump, after the statistics have counted it.
 */
void
tg_ExecutorEnd(QueryDesc *queryDesc)
{
	Portal		portal = ActivePortal;

	tg_stats_statement_end(queryDesc);
	if (unlikely((portal != NULL && portal->holdStore != NULL &&
				  portal->strategy == PORTAL_ONE_SELECT) ||
				 tg_tenant_touched))
	{
		end_and_check(queryDesc, portal);
		return;
	}
	if (tg_prev_ExecutorEnd)
		tg_prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

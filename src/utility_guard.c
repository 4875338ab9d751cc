/*-------------------------------------------------------------------------
 *
 * utility_guard.c
 *	  The rules as they apply to utility statements.
 *
 * Most statements that read or write rows go through the executor and are
 * checked there.  The utility statements that matter here are:
 *
 *	SET of the tenant setting without LOCAL: refused before it runs, since
 *		a session-level tenant would serve the next request on a pooled
 *		connection (rule 2).  SET LOCAL, RESET, SET ... TO DEFAULT and
 *		setting it to '' are allowed; a tenant switch by SET LOCAL is caught
 *		by the setting's check hook (tenant_context.c).
 *	COPY table TO/FROM: copies a table without a plan when row-level
 *		security does not apply to the copying role (e.g. its owner on an
 *		unforced table), so the table is checked here like one a query
 *		names (rules 1 and 4).
 *	ALTER TABLE ... ROW LEVEL SECURITY: the table is remembered, and at
 *		commit it must not be left enabled but not forced (rule 4,
 *		xact_guard.c).
 *	PREPARE: the statement's name is remembered: a statement made with
 *		SQL in an earlier transaction must not be in the session when a
 *		transaction gets its tenant, and may not run (rule 2,
 *		session_state.c).  EXECUTE, EXPLAIN EXECUTE and CREATE TABLE AS
 *		EXECUTE of such a statement are refused before they convert a
 *		parameter, and cost a pointer test when the session has none.
 *	ALTER ROLE/DATABASE ... SET or RESET, ALTER SYSTEM: refused to roles
 *		inside the rules, since later sessions start with those settings
 *		(rule 2).
 *
 * After any utility statement, a session-level tenant it assigned (say, by
 * set_config(..., false) in a DO block) is refused.
 *
 * The drift guard (drift_guard.c) gets a look before and after every
 * utility statement too, for tables protect() protected.
 *
 * src/utility_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"
#include "tcop/pquery.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"

#include "compat.h"
#include "drift_guard.h"
#include "executor_guard.h"
#include "planner_guard.h"
#include "report.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "utility_guard.h"
#include "withheld_values.h"
#include "xact_guard.h"

ProcessUtility_hook_type tg_prev_ProcessUtility = NULL;

static bool
is_plain_explain(Node *parsetree)
{
	ListCell   *lc;

	if (!IsA(parsetree, ExplainStmt))
		return false;
	foreach(lc, ((ExplainStmt *) parsetree)->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, "analyze") == 0)
			return !defGetBoolean(opt);
	}
	return true;
}

/*
 * Does this SET give the tenant setting a non-empty value at session level?
 */
static bool
sets_session_tenant(VariableSetStmt *stmt)
{
	char	   *value;

	if (stmt->is_local || !tg_is_tenant_setting(stmt->name))
		return false;

	switch (stmt->kind)
	{
		case VAR_SET_VALUE:
			value = ExtractSetVariableArgs(stmt);
			return value != NULL && value[0] != '\0';
		case VAR_SET_CURRENT:
			/* SET ... FROM CURRENT makes the current value session-level */
			value = GetConfigOptionByName(stmt->name, NULL, true);
			return value != NULL && value[0] != '\0';
		default:
			/* DEFAULT and RESET restore the configured value */
			return false;
	}
}

/* Any ALTER TABLE subcommand that changes row-level security settings? */
static bool
changes_row_security(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_EnableRowSecurity:
			case AT_DisableRowSecurity:
			case AT_ForceRowSecurity:
			case AT_NoForceRowSecurity:
				return true;
			default:
				break;
		}
	}
	return false;
}

/* Any ALTER TABLE subcommand that makes the table inherit from another? */
static bool
adds_inheritance(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		if (lfirst_node(AlterTableCmd, lc)->subtype == AT_AddInherit)
			return true;
	}
	return false;
}

static void
check_copy(CopyStmt *stmt)
{
	TgStatementCheck check = {NULL, false, false, false};
	Oid			relid;
	AclMode		mode;

	if (stmt->relation == NULL)
		return;					/* COPY (query) goes through the executor */
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;

	/*
	 * PostgreSQL checks COPY's privileges after this hook: a role with no
	 * privilege to COPY the table at all (none on any column either) is
	 * told so first, as it would be without tenant_guard.
	 */
	mode = stmt->is_from ? ACL_INSERT : ACL_SELECT;
	if (pg_class_aclcheck(relid, GetUserId(), mode) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), mode,
								  ACLMASK_ANY) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV,
					   get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	tg_check_relation(&check, relid, true, InvalidOid);
}

/*
 * ALTER ROLE/DATABASE ... SET or RESET and ALTER SYSTEM store settings that
 * later sessions start with, and on pooled connections those serve other
 * tenants' requests: a role inside the rules may not make them (PostgreSQL
 * lets a role change its own defaults), whatever the setting.  ALTER ROLE
 * and ALTER DATABASE are refused after they ran, so that PostgreSQL's own
 * refusal comes first; the error undoes them.  ALTER SYSTEM writes a file
 * that no rollback undoes: it is refused before, where the role holds the
 * privilege to run it at all.
 */
static void
check_lasting_setting(Node *parsetree)
{
	TgVerdict	verdict;

	switch (nodeTag(parsetree))
	{
		case T_AlterRoleSetStmt:
			{
				AlterRoleSetStmt *stmt = (AlterRoleSetStmt *) parsetree;

				if (!tg_rule_lasting_setting("ALTER ROLE ... SET",
											 stmt->role == NULL ? "all roles" :
											 psprintf("role \"%s\"",
													  get_rolespec_name(stmt->role)),
											 &verdict))
					tg_report(&verdict);
				break;
			}
		case T_AlterDatabaseSetStmt:
			if (!tg_rule_lasting_setting("ALTER DATABASE ... SET",
										 psprintf("database \"%s\"",
												  ((AlterDatabaseSetStmt *) parsetree)->dbname),
										 &verdict))
				tg_report(&verdict);
			break;
		case T_AlterSystemStmt:
			{
				VariableSetStmt *setstmt = ((AlterSystemStmt *) parsetree)->setstmt;

				if (setstmt->name != NULL &&
					tg_may_alter_system(setstmt->name) &&
					!tg_rule_lasting_setting("ALTER SYSTEM", "the server",
											 &verdict))
					tg_report(&verdict);
				break;
			}
		default:
			break;
	}
}

/*
 * Checks that must pass before the statement runs.  Returns true if a
 * session-level SET of the tenant was reported (as a warning, or the
 * statement would not go on), so that it is not reported twice.
 */
static bool
check_before(Node *parsetree)
{
	TgVerdict	verdict;

	switch (nodeTag(parsetree))
	{
		case T_VariableSetStmt:
			if (sets_session_tenant((VariableSetStmt *) parsetree) &&
				!tg_rule_session_set(((VariableSetStmt *) parsetree)->name,
									 &verdict))
			{
				tg_report(&verdict);
				return true;
			}
			break;
		case T_CopyStmt:
			check_copy((CopyStmt *) parsetree);
			break;
		case T_AlterSystemStmt:
			check_lasting_setting(parsetree);
			break;
		default:
			break;
	}
	return false;
}

/*
 * ALTER ROLE/DATABASE ... SET and ALTER SYSTEM SET of the tenant setting
 * are allowed, but such a value never counts as a tenant context: say so
 * now rather than when every statement of the application fails.
 */
static void
advise_configured_tenant(Node *parsetree)
{
	VariableSetStmt *setstmt;
	const char *where;
	char	   *value;

	switch (nodeTag(parsetree))
	{
		case T_AlterRoleSetStmt:
			setstmt = ((AlterRoleSetStmt *) parsetree)->setstmt;
			where = "ALTER ROLE ... SET";
			break;
		case T_AlterDatabaseSetStmt:
			setstmt = ((AlterDatabaseSetStmt *) parsetree)->setstmt;
			where = "ALTER DATABASE ... SET";
			break;
		case T_AlterSystemStmt:
			setstmt = ((AlterSystemStmt *) parsetree)->setstmt;
			where = "ALTER SYSTEM";
			break;
		default:
			return;
	}
	if (setstmt == NULL || setstmt->kind != VAR_SET_VALUE ||
		!tg_is_tenant_setting(setstmt->name))
		return;
	value = ExtractSetVariableArgs(setstmt);
	if (value == NULL || value[0] == '\0')
		return;
	tg_report_configured_tenant(where, setstmt->name);
}

/* Bookkeeping for checks made when the transaction commits. */
static void
note_after(Node *parsetree)
{
	if (IsA(parsetree, AlterTableStmt) &&
		changes_row_security((AlterTableStmt *) parsetree))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

		if (OidIsValid(relid))
			tg_remember_rls_change(relid);
	}
}

/*
 * ALTER TABLE ... INHERIT adds a row to pg_inherits, which by itself
 * invalidates nothing: invalidate the child, so that every backend's
 * relation cache learns that it now has a parent (rel_cache.c).
 */
static void
note_inheritance(Node *parsetree)
{
	AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
	Oid			relid;

	if (!IsA(parsetree, AlterTableStmt) || !adds_inheritance(stmt))
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
}

static void
run_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			ProcessUtilityContext context, ParamListInfo params,
			QueryEnvironment *queryEnv, DestReceiver *dest,
			QueryCompletion *qc)
{
	if (tg_prev_ProcessUtility)
		tg_prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * Run a CREATE TABLE (AS) ... ON COMMIT DROP that tg_on_commit_drop_begin()
 * started following, and end that, however it ends.
 */
static pg_noinline void
run_creating_table(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc,
				   const TgOnCommitDrop *enclosing)
{
	PG_TRY();
	{
		run_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		tg_on_commit_drop_end(enclosing);
		PG_RE_THROW();
	}
	PG_END_TRY();
	tg_on_commit_drop_end(enclosing);
}

/*
 * Run an EXPLAIN without ANALYZE: while it runs, the planner knows that
 * the statement it plans reads no rows (planner_guard.c).
 */
static void
run_plain_explain(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	tg_plain_explain_begin();
	PG_TRY();
	{
		run_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		tg_plain_explain_end();
	}
	PG_END_TRY();
}

/*
 * Run DDL that reads every tenant's rows for a role inside the rules: an
 * error that may quote a value of one reaches the role without it
 * (withheld_values.c).  CurrentMemoryContext may not outlive the
 * statement: VACUUM, ANALYZE and CREATE INDEX CONCURRENTLY end
 * transactions of their own.
 */
static pg_noinline void
run_withholding_values(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	PG_TRY();
	{
		run_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		tg_rethrow_withholding_values(pstmt->utilityStmt);
	}
	PG_END_TRY();
}

/*
 * Is this a kind of utility statement tenant_guard or its drift guard looks
 * at, before or after it runs?  What all others (CALL, DO, FETCH, ...) run
 * is checked where it runs.
 */
static bool
is_guarded_statement(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_VariableSetStmt:
		case T_CopyStmt:
		case T_ExplainStmt:
		case T_AlterTableStmt:
		case T_CreateStmt:
		case T_CreateCastStmt:	/* rule 6, owner_code.c */
		case T_CreateTableAsStmt:	/* ON COMMIT DROP, session_state.c */
		case T_CreateForeignTableStmt:
		case T_DropStmt:
		case T_DropOwnedStmt:
		case T_AlterPolicyStmt:
		case T_CreatePolicyStmt:	/* where Citus is, drift_guard.c */
		case T_CreateTrigStmt:	/* on a Citus shard, drift_guard.c */
		case T_RenameStmt:
		case T_AlterRoleSetStmt:
		case T_AlterDatabaseSetStmt:
		case T_AlterSystemStmt:
		case T_PrepareStmt:
		case T_ReindexStmt:		/* rule 6, owner_code.c */
		case T_ClusterStmt:
		case T_VacuumStmt:
		case T_AlterDomainStmt:	/* VALIDATE CONSTRAINT, owner_code.c */
		case T_IndexStmt:		/* errors, withheld_values.c */
			return true;
		default:
			return false;
	}
}

/*
 * Run a statement of a kind tenant_guard looks at: its checks before, the
 * statement, its bookkeeping after.
 */
static pg_noinline void
guard_utility(PlannedStmt *pstmt, const char *queryString,
			  bool readOnlyTree, ProcessUtilityContext context,
			  ParamListInfo params, QueryEnvironment *queryEnv,
			  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	bool		session_set_reported = false;
	TgOnCommitDrop enclosing;

	/* a renamed tenant setting gets its check hook before anything runs */
	tg_tenant_setting_sync();

	/* no catalog access in an aborted transaction, where only ROLLBACK runs */
	if (IsTransactionState())
	{
		tg_drift_check(parsetree);
		if (tg_guard_applies())
			session_set_reported = check_before(parsetree);
		if (tg_mode != TG_MODE_OFF)
			advise_configured_tenant(parsetree);
	}

	if (is_plain_explain(parsetree))
		run_plain_explain(pstmt, queryString, readOnlyTree, context, params,
						  queryEnv, dest, qc);
	else if (tg_on_commit_drop_begin(parsetree, &enclosing))
		run_creating_table(pstmt, queryString, readOnlyTree, context, params,
						   queryEnv, dest, qc, &enclosing);
	else if (tg_mode == TG_MODE_ENFORCE && IsTransactionState() &&
			 tg_guard_applies() && tg_reads_every_tenants_rows(parsetree))
		run_withholding_values(pstmt, queryString, readOnlyTree, context,
							   params, queryEnv, dest, qc);
	else
		run_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);

	if (IsTransactionState())
	{
		tg_drift_follow_up(parsetree);
		note_inheritance(parsetree);
		if (IsA(parsetree, PrepareStmt))
			tg_note_sql_prepare(((PrepareStmt *) parsetree)->name);
		if (tg_guard_applies())
		{
			note_after(parsetree);
			if (IsA(parsetree, AlterRoleSetStmt) ||
				IsA(parsetree, AlterDatabaseSetStmt))
				check_lasting_setting(parsetree);
		}
	}
	if (unlikely(tg_tenant_touched))
	{
		if (session_set_reported)
			tg_tenant_forget_touch();
		else
			tg_check_session_tenant();
	}
}

/*
 * Run a statement tenant_guard does not examine, then refuse a
 * session-level tenant it assigned outside the executor, whose end would
 * have caught it: PL/pgSQL evaluates simple expressions such as a
 * set_config() call without the executor (DO, CALL), FETCH runs a cursor's
 * query without ending it, utility statements evaluate index expressions.
 */
static pg_noinline void
run_and_check_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	run_utility(pstmt, queryString, readOnlyTree, context, params,
				queryEnv, dest, qc);
	if (tg_tenant_touched)
		tg_check_session_tenant();
}

/*
 * The name of the prepared statement that EXECUTE, EXPLAIN EXECUTE or
 * CREATE TABLE AS EXECUTE (after parse analysis, their query is a Query
 * around the ExecuteStmt) runs, or NULL.
 */
static const char *
executed_statement(Node *node)
{
	while (node != NULL)
	{
		switch (nodeTag(node))
		{
			case T_ExecuteStmt:
				return ((ExecuteStmt *) node)->name;
			case T_ExplainStmt:
				node = ((ExplainStmt *) node)->query;
				break;
			case T_CreateTableAsStmt:
				node = ((CreateTableAsStmt *) node)->query;
				break;
			case T_Query:
				node = ((Query *) node)->utilityStmt;
				break;
			default:
				return NULL;
		}
	}
	return NULL;
}

/*
 * The session holds statements that SQL PREPARE made (session_state.c): is
 * this utility statement about to run one of an earlier transaction,
 * named by the statement, or is it itself part of one that a protocol-level
 * Bind made a portal of (a rule can make a DML statement a NOTIFY)?
 * DEALLOCATE and DISCARD may leave names to forget at the end of the
 * transaction.
 */
static pg_noinline void
check_prepared_use(Node *parsetree)
{
	const char *name = executed_statement(parsetree);

	if (IsA(parsetree, DeallocateStmt) || IsA(parsetree, DiscardStmt))
		tg_note_sql_deallocate();
	if (name != NULL)
		tg_check_prepared_statement(name, NULL);
	if (ActivePortal != NULL && ActivePortal->prepStmtName != NULL)
		tg_check_prepared_statement(ActivePortal->prepStmtName, NULL);
}

/*
 * Send the statement on its way: the statements that run most often go
 * through with a jump: transaction control, where the commit is checked
 * (xact_guard.c), and EXECUTE, whose query the executor hooks check.
 */
static inline void
dispatch_utility(PlannedStmt *pstmt, const char *queryString,
				 bool readOnlyTree, ProcessUtilityContext context,
				 ParamListInfo params, QueryEnvironment *queryEnv,
				 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, TransactionStmt) || IsA(parsetree, ExecuteStmt))
		run_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);
	else if (is_guarded_statement(parsetree))
		guard_utility(pstmt, queryString, readOnlyTree, context, params,
					  queryEnv, dest, qc);
	else
		run_and_check_utility(pstmt, queryString, readOnlyTree, context,
							  params, queryEnv, dest, qc);
}

/*
 * The session holds statements SQL PREPARE made, or a CREATE TABLE (AS)
 * ... ON COMMIT DROP is running: check the first, count this statement as
 * nested in the second (session_state.c), and dispatch.
 */
static pg_noinline void
check_and_dispatch(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	if (tg_sql_prepared != NIL)
		check_prepared_use(pstmt->utilityStmt);
	if (tg_on_commit_drop_name == NULL)
	{
		dispatch_utility(pstmt, queryString, readOnlyTree, context, params,
						 queryEnv, dest, qc);
		return;
	}
	tg_on_commit_drop_nesting++;
	PG_TRY();
	{
		dispatch_utility(pstmt, queryString, readOnlyTree, context, params,
						 queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		tg_on_commit_drop_nesting--;
	}
	PG_END_TRY();
}

/* Everything but the common statement of a common session. */
static pg_noinline void
process_utility(PlannedStmt *pstmt, const char *queryString,
				bool readOnlyTree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *queryEnv,
				DestReceiver *dest, QueryCompletion *qc)
{
	if (tg_sql_prepared != NIL || tg_on_commit_drop_name != NULL)
		check_and_dispatch(pstmt, queryString, readOnlyTree, context,
						   params, queryEnv, dest, qc);
	else
		dispatch_utility(pstmt, queryString, readOnlyTree, context, params,
						 queryEnv, dest, qc);
}

/*
 * ProcessUtility hook.  Kept small, so that every way out is a jump: in a
 * session without statements made by SQL PREPARE, transaction control and
 * EXECUTE (where the executor hooks do the checking) are handed on after
 * three tests, with the arguments as they came.
 */
void
tg_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	NodeTag		tag = nodeTag(pstmt->utilityStmt);

	if (likely((tag == T_TransactionStmt || tag == T_ExecuteStmt) &&
			   tg_sql_prepared == NIL && tg_on_commit_drop_name == NULL))
	{
		if (tg_prev_ProcessUtility)
			tg_prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								   params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree,
									context, params, queryEnv, dest, qc);
		return;
	}
	process_utility(pstmt, queryString, readOnlyTree, context, params,
					queryEnv, dest, qc);
}

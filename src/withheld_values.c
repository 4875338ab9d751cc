/*-------------------------------------------------------------------------
 *
 * withheld_values.c
 *	  Rule 6 for error messages: DDL that reads every tenant's rows does not
 *	  show a role inside the rules the value it failed on.
 *
 * PostgreSQL applies no row-level security to the rows DDL reads, and its
 * errors quote the value they failed on: a check constraint, an index
 * expression, a USING expression or a partition bound that converts a
 * column with a built-in cast fails with
 *
 *	invalid input syntax for type integer: "pear"
 *
 * where "pear" is whichever tenant's value came first.  Built-in code is
 * what rule 6 lets the tables' owner use in DDL, and CASE WHEN id = 2 THEN
 * item::int END chooses the row: one statement per value would read every
 * tenant's rows.  So when a role inside the rules runs such a statement on
 * a table with row-level security, an error of a class that can carry a
 * value (data exceptions, errors raised by functions, internal errors)
 * reaches it with its SQLSTATE but without its message, detail, context or
 * internal query; the server log keeps them (errdetail_log).  The guard's
 * own refusals and PostgreSQL's permission, syntax, lock and resource
 * errors, which name objects rather than values, pass unchanged; so do
 * integrity violations (a foreign key, unique or check constraint found
 * broken), whose messages PostgreSQL already words without the key when
 * row-level security applies to the role.
 *
 * src/withheld_values.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/memutils.h"

#include "rel_cache.h"
#include "withheld_values.h"

/* Where a caught error is copied: survives the transactions VACUUM ends */
static MemoryContext withheld_context = NULL;

/* Does the table, or a partition or child of it, have row-level security? */
static bool
reaches_rls(RangeVar *relation)
{
	Oid			relid;
	List	   *tables;
	ListCell   *lc;

	if (relation == NULL)
		return true;			/* every table the role may process */
	relid = RangeVarGetRelid(relation, NoLock, true);
	if (!OidIsValid(relid))
		return false;			/* PostgreSQL reports that itself */
	tables = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, tables)
	{
		if (tg_rel_info(lfirst_oid(lc))->rls_enabled)
			return true;
	}
	return false;
}

/* Does a VACUUM or ANALYZE evaluate code over a table with RLS? */
static bool
vacuum_reaches_rls(VacuumStmt *stmt)
{
	ListCell   *lc;

	if (stmt->rels == NIL)
		return true;
	foreach(lc, stmt->rels)
	{
		if (reaches_rls(((VacuumRelation *) lfirst(lc))->relation))
			return true;
	}
	return false;
}

/*
 * Is this DDL that evaluates expressions over the rows of a table with
 * row-level security, every tenant's (the statements rule 6 judges)?
 * Asked only for roles inside the rules.
 */
bool
tg_reads_every_tenants_rows(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;

				/* ALTER TYPE ... CASCADE rewrites the tables of the type */
				return stmt->objtype == OBJECT_TYPE ||
					reaches_rls(stmt->relation);
			}
		case T_IndexStmt:
			return reaches_rls(((IndexStmt *) parsetree)->relation);
		case T_ReindexStmt:
			return reaches_rls(((ReindexStmt *) parsetree)->relation);
		case T_ClusterStmt:
			return reaches_rls(((ClusterStmt *) parsetree)->relation);
		case T_VacuumStmt:
			return vacuum_reaches_rls((VacuumStmt *) parsetree);
		case T_AlterDomainStmt:
			return true;		/* validates over the tables of the domain */
		case T_CreateStmt:
			/* a new partition: the default partition's rows are checked */
			return ((CreateStmt *) parsetree)->partbound != NULL;
		default:
			return false;
	}
}

/* Can an error of this SQLSTATE quote a value it failed on? */
static bool
may_quote_a_value(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_DATA_EXCEPTION:
		case ERRCODE_SQL_ROUTINE_EXCEPTION:
		case ERRCODE_EXTERNAL_ROUTINE_EXCEPTION:
		case ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION:
		case ERRCODE_TRIGGERED_ACTION_EXCEPTION:
		case ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION:
		case ERRCODE_PLPGSQL_ERROR:
		case ERRCODE_INTERNAL_ERROR:
			return true;
		default:
			return false;
	}
}

/*
 * Called in PG_CATCH() around such a statement (the caller switched out of
 * ErrorContext): rethrow the error, without what could quote a value.
 */
void
tg_rethrow_withholding_values(Node *parsetree)
{
	ErrorData  *edata;
	char	   *original;

	if (withheld_context == NULL)
		withheld_context = AllocSetContextCreate(TopMemoryContext,
												 "tenant_guard withheld error",
												 ALLOCSET_SMALL_SIZES);
	MemoryContextReset(withheld_context);
	MemoryContextSwitchTo(withheld_context);
	edata = CopyErrorData();
	if (!may_quote_a_value(edata->sqlerrcode))
		ReThrowError(edata);
	FlushErrorState();

	original = psprintf("%s%s%s", edata->message,
						edata->detail ? " DETAIL: " : "",
						edata->detail ? edata->detail : "");
	edata->message = psprintf("%s failed on a row of a table with row-level security",
							  GetCommandTagName(CreateCommandTag(parsetree)));
	edata->detail = psprintf("PostgreSQL's message may quote a value of another tenant's row, which the statement reads without row-level security; role \"%s\" is inside tenant_guard's rules, so the message was written to the server log only.",
							 GetUserNameFromId(GetUserId(), false));
	edata->detail_log = psprintf("The message was: %s", original);
	edata->hint = pstrdup("Run the migration as a role outside the rules (a superuser or a role with BYPASSRLS) to see the message.");
	edata->context = NULL;
	edata->internalquery = NULL;
	edata->internalpos = 0;
	edata->cursorpos = 0;
	ReThrowError(edata);
}

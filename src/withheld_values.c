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
 * a table with row-level security (or attaches one as a partition), an
 * error reaches it with its SQLSTATE but without its message, detail,
 * context or internal query; the server log keeps them (errdetail_log).
 * Only errors known to name objects rather than values pass unchanged
 * (may_quote_a_value()): the guard's own refusals and PostgreSQL's
 * permission, lock and resource errors, and integrity violations (a
 * foreign key, unique or check constraint found broken), whose messages
 * PostgreSQL already words without the key when row-level security applies
 * to the role.  That a statement failed at all still tells one bit about
 * the rows it read; that is inherent to DDL that checks them.
 *
 * src/withheld_values.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rel_cache.h"
#include "report.h"
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
	if (get_rel_relkind(relid) == RELKIND_INDEX ||
		get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX)
		relid = IndexGetRelation(relid, false);	/* REINDEX INDEX */
	tables = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, tables)
	{
		if (tg_rel_info(lfirst_oid(lc))->rls_enabled)
			return true;
	}
	return false;
}

/* Does ALTER TABLE attach a table with RLS (checking its rows)? */
static bool
attaches_rls(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AttachPartition &&
			reaches_rls(((PartitionCmd *) cmd->def)->name))
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
					reaches_rls(stmt->relation) || attaches_rls(stmt);
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

/*
 * Can an error of this SQLSTATE quote a value it failed on?  Most can: a
 * conversion fails with the text it could not convert in any class (a
 * cast to regclass says the relation "pear" does not exist, one to
 * tsquery reports a syntax error in "pear", has_column_privilege() that
 * column "pear" does not exist, an index build that a row of a length
 * chosen by its value is too long).  So every error is withheld but those
 * known to name objects only: privileges, integrity violations (whose keys
 * PostgreSQL leaves out when row-level security applies), the state and
 * locks of objects, resources, cancellation and transaction rollback.
 */
static bool
may_quote_a_value(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
		case ERRCODE_TRANSACTION_ROLLBACK:
		case ERRCODE_INSUFFICIENT_RESOURCES:
		case ERRCODE_OPERATOR_INTERVENTION:
		case ERRCODE_INVALID_TRANSACTION_STATE:
			return false;
		default:
			break;
	}
	switch (sqlerrcode)
	{
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
		case ERRCODE_LOCK_NOT_AVAILABLE:
		case ERRCODE_OBJECT_IN_USE:
		case ERRCODE_DUPLICATE_OBJECT:
		case ERRCODE_DUPLICATE_TABLE:
		case ERRCODE_DUPLICATE_COLUMN:
		case ERRCODE_WRONG_OBJECT_TYPE:
		case ERRCODE_INVALID_TABLE_DEFINITION:
		case ERRCODE_INVALID_OBJECT_DEFINITION:
		case ERRCODE_DATATYPE_MISMATCH:
		case ERRCODE_FEATURE_NOT_SUPPORTED:
		case ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST:
			return false;
		default:
			return true;
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

	tg_word_withheld_error(edata,
						   GetCommandTagName(CreateCommandTag(parsetree)),
						   GetUserNameFromId(GetUserId(), false));
	edata->context = NULL;
	edata->internalquery = NULL;
	edata->internalpos = 0;
	edata->cursorpos = 0;
	ReThrowError(edata);
}

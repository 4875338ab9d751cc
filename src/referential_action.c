/*-------------------------------------------------------------------------
 *
 * referential_action.c
 *	  Rule 6 at run time: a foreign key's ON UPDATE or ON DELETE action
 *	  does not fire code a role inside the rules wrote on other tenants'
 *	  rows.
 *
 * When a referenced key changes, PostgreSQL updates or deletes the
 * referencing rows itself (ri_triggers.c), as the referencing table's
 * owner and without row-level security: it changes every row that holds
 * the old key, whatever its tenant.  The row triggers of the referencing
 * table fire on each of those rows, and are given them (OLD and NEW) to
 * read, copy and change.  A role inside the rules that owns the tables
 * could put a trigger there, change a key in a table it controls, and so
 * run its trigger over every tenant's rows, without a tenant: what rule 6
 * refuses to DDL.
 *
 * Triggers elsewhere are allowed: they run on the rows of the request's
 * own statement, in its tenant context, like the functions and views the
 * schema's owners write for the application.  And a referential action
 * stays within one tenant when its foreign key carries the tenant column:
 * (tenant_id, customer_id) REFERENCES customers (tenant_id, id) on a
 * protected customers changes only the rows of the tenant whose customer
 * the request changed, under that table's policies.
 *
 * So the query a referential action runs on a table with row-level
 * security is refused, for sessions inside the rules, when the table (or a
 * partition it reaches) has a row trigger for that action whose function
 * or WHEN condition is code a role inside the rules wrote, unless every
 * foreign key of the table whose action runs such a query carries the
 * tenant column to the tenant column of a protected table.  Which of the
 * table's foreign keys fired is not known here; asking that of all of
 * them errs on the side of refusing.
 *
 * src/referential_action.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "owner_code.h"
#include "referential_action.h"
#include "registry.h"
#include "report.h"
#include "tenant_guard.h"
#include "type_code.h"

/*
 * Does the trigger fire on the rows of a referential action's query
 * (operation CMD_UPDATE or CMD_DELETE), running code a role inside the
 * rules wrote?  Disabled triggers do not fire; column lists and WHEN
 * conditions may keep a trigger from firing, but are not counted on.
 */
static bool
fires_owner_code(const Trigger *trigger, CmdType operation)
{
	TgCodeSearch search = {true, InvalidOid};

	if (trigger->tgisinternal || trigger->tgenabled == TRIGGER_DISABLED ||
		!TRIGGER_FOR_ROW(trigger->tgtype))
		return false;
	if (operation == CMD_UPDATE ? !TRIGGER_FOR_UPDATE(trigger->tgtype) :
		!TRIGGER_FOR_DELETE(trigger->tgtype))
		return false;
	if (tg_controlled_inside(trigger->tgfoid))
		return true;
	return trigger->tgqual != NULL &&
		tg_find_harmful_code((Node *) stringToNode(trigger->tgqual), &search);
}

/* The first trigger of a relation that fires_owner_code(), or NULL. */
static const char *
owner_trigger_of(Oid relid, CmdType operation)
{
	Relation	rel = table_open(relid, NoLock);
	TriggerDesc *trigdesc = rel->trigdesc;
	const char *found = NULL;

	for (int i = 0; trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		if (fires_owner_code(&trigdesc->triggers[i], operation))
		{
			found = pstrdup(trigdesc->triggers[i].tgname);
			break;
		}
	}
	table_close(rel, NoLock);
	return found;
}

/* The attribute number of a protected table's tenant column, or 0. */
static AttrNumber
protected_tenant_attnum(Oid relid)
{
	TgProtection prot;

	if (!tg_registry_lookup(relid, &prot))
		return InvalidAttrNumber;
	return get_attnum(relid, NameStr(prot.tenant_column));
}

/*
 * Does a foreign key carry the referencing table's tenant column (tenant)
 * to the tenant column of a protected referenced table, in the same
 * position of the key?
 */
static bool
carries_tenant(HeapTuple tuple, TupleDesc desc, AttrNumber tenant)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
	AttrNumber	ref_tenant;
	ArrayType  *keys;
	ArrayType  *refkeys;
	bool		isnull;

	if (tenant == InvalidAttrNumber)
		return false;
	ref_tenant = protected_tenant_attnum(con->confrelid);
	if (ref_tenant == InvalidAttrNumber)
		return false;
	keys = DatumGetArrayTypeP(heap_getattr(tuple, Anum_pg_constraint_conkey,
										   desc, &isnull));
	refkeys = DatumGetArrayTypeP(heap_getattr(tuple, Anum_pg_constraint_confkey,
											  desc, &isnull));
	for (int i = 0; i < ARR_DIMS(keys)[0] && i < ARR_DIMS(refkeys)[0]; i++)
	{
		if (((int16 *) ARR_DATA_PTR(keys))[i] == tenant &&
			((int16 *) ARR_DATA_PTR(refkeys))[i] == ref_tenant)
			return true;
	}
	return false;
}

/* Does the foreign key's action run a query of this kind on its table? */
static bool
acts_by(Form_pg_constraint con, CmdType operation)
{
	if (operation == CMD_DELETE)
		return con->confdeltype == FKCONSTR_ACTION_CASCADE;
	return con->confupdtype == FKCONSTR_ACTION_CASCADE ||
		con->confupdtype == FKCONSTR_ACTION_SETNULL ||
		con->confupdtype == FKCONSTR_ACTION_SETDEFAULT ||
		con->confdeltype == FKCONSTR_ACTION_SETNULL ||
		con->confdeltype == FKCONSTR_ACTION_SETDEFAULT;
}

/*
 * The first foreign key of the table whose action runs a query of this
 * kind and does not carry the tenant column (carries_tenant()), or NULL.
 */
static char *
cross_tenant_foreign_key(Oid relid, CmdType operation)
{
	AttrNumber	tenant = protected_tenant_attnum(relid);
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *found = NULL;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (found == NULL && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->contype == CONSTRAINT_FOREIGN && acts_by(con, operation) &&
			!carries_tenant(tuple, RelationGetDescr(conrel), tenant))
			found = pstrdup(NameStr(con->conname));
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}

/*
 * Check the query a referential action runs (the executor guard has
 * recognised it): its first range table entry is the table the foreign
 * key is on, the others the partitions or children the query reaches,
 * all locked by now.
 */
void
tg_check_referential_action(PlannedStmt *pstmt)
{
	Oid			relid;
	ListCell   *lc;
	const char *trigger = NULL;
	Oid			trigger_rel = InvalidOid;
	char	   *fkey;

	if (pstmt->commandType != CMD_UPDATE && pstmt->commandType != CMD_DELETE)
		return;
	relid = linitial_node(RangeTblEntry, pstmt->rtable)->relid;
	foreach(lc, pstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->relkind == RELKIND_RELATION &&
			(trigger = owner_trigger_of(rte->relid, pstmt->commandType)) != NULL)
		{
			trigger_rel = rte->relid;
			break;
		}
	}
	if (trigger == NULL)
		return;
	fkey = cross_tenant_foreign_key(relid, pstmt->commandType);
	if (fkey != NULL)
		tg_report_referential_trigger(relid, fkey, trigger_rel, trigger);
}

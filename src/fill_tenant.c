/*-------------------------------------------------------------------------
 *
 * fill_tenant.c
 *	  tenant_guard.fill_tenant(): the trigger that gives a row inserted with
 *	  a NULL tenant column the transaction's tenant.
 *
 * protect() gives the tenant column the default tenant_guard.tenant(), so
 * an INSERT that leaves the column out gets the transaction's tenant.  ORMs
 * (Django, SQLAlchemy) name every column of the model in their INSERTs and
 * send an explicit NULL for the tenant column unless told otherwise; a
 * default never applies to an explicit NULL, and PostgreSQL checks the
 * policies before NOT NULL, so such an insert failed with "new row
 * violates row-level security policy", which points at the wrong cause.
 *
 * protect() therefore also installs
 *	CREATE TRIGGER tenant_guard_fill_tenant BEFORE INSERT ON tbl
 *	  FOR EACH ROW WHEN (NEW.tenant_column IS NULL)
 *	  EXECUTE FUNCTION tenant_guard.fill_tenant()
 * The WHEN clause keeps the cost for every other row to one null test (no
 * function call, no tuple copy), and it names the column to fill: the
 * function reads the column from it, so it follows a renamed column, and a
 * partition's clone of the trigger has the partition's attribute number.
 * The row gets exactly what the default would have given it, so isolation
 * is unchanged: without a tenant the insert is refused with a message that
 * names the column and says what to do.
 *
 * src/fill_tenant.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "compat.h"
#include "rel_cache.h"
#include "report.h"

TG_FUNCTION_INFO_V1(tenant_guard_fill_tenant);

/* status.c */
extern PGDLLEXPORT Datum tenant_guard_tenant(PG_FUNCTION_ARGS);

/*
 * The column the trigger's WHEN clause tests for NULL (NEW.col IS NULL),
 * or InvalidAttrNumber.
 */
static AttrNumber
column_tested_for_null(Trigger *trigger)
{
	Node	   *qual;
	NullTest   *test;

	if (trigger->tgqual == NULL)
		return InvalidAttrNumber;
	qual = (Node *) stringToNode(trigger->tgqual);
	if (IsA(qual, List) && list_length((List *) qual) == 1)
		qual = linitial((List *) qual);
	if (!IsA(qual, NullTest))
		return InvalidAttrNumber;
	test = (NullTest *) qual;
	if (test->nulltesttype != IS_NULL || !IsA(test->arg, Var))
		return InvalidAttrNumber;
	return ((Var *) test->arg)->varattno;
}

/*
 * The tenant of the current transaction, as tenant_guard.tenant() gives it
 * to the column default: NULL without a valid tenant context.
 */
static Datum
transaction_tenant(bool *isnull)
{
	Datum		result;
	LOCAL_FCINFO(tenant_fcinfo, 0);

	InitFunctionCallInfoData(*tenant_fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	result = tenant_guard_tenant(tenant_fcinfo);
	*isnull = tenant_fcinfo->isnull;
	return result;
}

/*
 * BEFORE INSERT ... FOR EACH ROW trigger: set a NULL tenant column to the
 * transaction's tenant, converted to the column's type.
 */
Datum
tenant_guard_fill_tenant(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tuple;
	AttrNumber	attnum;
	Form_pg_attribute att;
	Datum		tenant;
	bool		isnull;
	Oid			infunc;
	Oid			ioparam;
	Datum		value;
	bool		value_isnull = false;
	int			column;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		tg_report_fill_tenant_misfired();

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	attnum = column_tested_for_null(trigdata->tg_trigger);
	if (attnum <= 0 || attnum > desc->natts)
		tg_report_fill_trigger_without_when(trigdata->tg_trigger->tgname,
											RelationGetRelationName(rel));
	if (!heap_attisnull(tuple, attnum, desc))
		return PointerGetDatum(tuple);

	att = TupleDescAttr(desc, attnum - 1);
	tenant = transaction_tenant(&isnull);
	if (isnull)
		tg_report_fill_without_tenant(NameStr(att->attname),
									  tg_relation_name(RelationGetRelid(rel)));

	getTypeInputInfo(att->atttypid, &infunc, &ioparam);
	value = OidInputFunctionCall(infunc, TextDatumGetCString(tenant), ioparam,
								 att->atttypmod);
	column = attnum;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 1, &column,
													 &value, &value_isnull));
}

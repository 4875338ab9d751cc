/*-------------------------------------------------------------------------
 *
 * referential_action.c
 *	  A foreign key's ON UPDATE or ON DELETE action changes only the rows
 *	  of the transaction's tenant.
 *
 * When a referenced key changes, PostgreSQL updates or deletes the
 * referencing rows itself (ri_triggers.c), as the referencing table's
 * owner and without row-level security: every row that holds the old key,
 * whatever its tenant.  So a request could change or delete other tenants'
 * rows, or give them to another tenant, by changing a key in a table that
 * its own policies let it change (or that has none: a table of tenants, a
 * global lookup table); and everything that runs on the changed rows runs
 * over other tenants' rows without a tenant: triggers, row and statement
 * level, of the table and of the partitions the rows move between, index
 * expressions, checks, and the errors that quote a failing row.
 *
 * So the query a referential action runs on a table with row-level
 * security must be bounded to the transaction's tenant: for a session
 * inside the rules it runs only when the transaction has a tenant context,
 * every scan of the table compares the tenant column for equality with a
 * parameter whose value is that tenant, and an UPDATE that sets the tenant
 * column sets it to a parameter of that value (a custom plan has the
 * values in place of the parameters).  That holds when the
 * foreign key carries the tenant column (FOREIGN KEY (tenant_id,
 * customer_id) REFERENCES customers (tenant_id, id)) and the referenced
 * row was the tenant's own; then what runs on the rows runs on the
 * tenant's rows, in its tenant context, as for its own statements, except
 * that no policy's WITH CHECK stops a BEFORE UPDATE trigger from moving a
 * row to another tenant: an UPDATE action is refused where a role inside
 * the rules controls such a trigger.  Equality must be plain (no
 * nondeterministic collation, under which 'acme' equals 'ACME').  A key
 * without the tenant column (the one-column keys of knex, Rails or Prisma)
 * passes when no row of another tenant holds the old key, which a query of
 * the table, run before the action's, finds out
 * (other_tenants_hold_key()).  The
 * parameters' values are known when the query starts: ri_triggers.c
 * passes the old (and new) key.  The tenant column is the protected
 * table's (registry.c), or one named tenant_id.
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
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_trigger.h"
#include "executor/spi.h"
#include "commands/trigger.h"
#include "nodes/nodeFuncs.h"
#include "nodes/params.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "referential_action.h"
#include "registry.h"
#include "rel_cache.h"
#include "report.h"
#include "rules.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "type_code.h"

/* What a check of the action's query needs at every step */
typedef struct ActionCheck
{
	PlannedStmt *pstmt;
	ParamListInfo params;
	const char *tenant;			/* the transaction's tenant */
	const char *column;			/* the tenant column's name */
} ActionCheck;

/* The name of a table's tenant column, or NULL if it has none known. */
static const char *
tenant_column_of(Oid relid)
{
	TgProtection prot;

	if (tg_registry_lookup(relid, &prot))
		return pstrdup(NameStr(prot.tenant_column));
	if (get_attnum(relid, "tenant_id") != InvalidAttrNumber)
		return "tenant_id";
	return NULL;
}

/* The expression under implicit casts and relabellings. */
static Node *
strip_implicit_casts(Node *node)
{
	for (;;)
	{
		if (IsA(node, RelabelType))
			node = (Node *) ((RelabelType *) node)->arg;
		else if (IsA(node, FuncExpr) &&
				 ((FuncExpr *) node)->funcformat == COERCE_IMPLICIT_CAST &&
				 list_length(((FuncExpr *) node)->args) == 1)
			node = linitial(((FuncExpr *) node)->args);
		else
			return node;
	}
}

/* The value of a parameter of the query, or of a constant in its place. */
static bool
param_value(const ActionCheck *check, Node *node, Oid *type, Datum *value)
{
	node = strip_implicit_casts(node);
	if (IsA(node, Const) && !((Const *) node)->constisnull)
	{
		*type = ((Const *) node)->consttype;
		*value = ((Const *) node)->constvalue;
		return true;
	}
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN &&
		check->params != NULL && ((Param *) node)->paramid >= 1 &&
		((Param *) node)->paramid <= check->params->numParams)
	{
		int			id = ((Param *) node)->paramid;
		ParamExternData workspace;
		ParamExternData *prm = check->params->paramFetch != NULL ?
			check->params->paramFetch(check->params, id, false, &workspace) :
			&check->params->params[id - 1];

		if (prm == NULL || prm->isnull || !OidIsValid(prm->ptype))
			return false;
		*type = prm->ptype;
		*value = prm->value;
		return true;
	}
	return false;
}

/*
 * Is the node a parameter of the query whose value is the transaction's
 * tenant, compared in the parameter's type?  A custom plan has the value
 * in its place, as a constant.
 */
static bool
is_tenant_param(const ActionCheck *check, Node *node)
{
	Oid			type;
	Datum		value;
	Oid			typinput;
	Oid			typoutput;
	Oid			ioparam;
	bool		varlena;
	char	   *tenant;

	if (!param_value(check, node, &type, &value))
		return false;
	getTypeInputInfo(type, &typinput, &ioparam);
	getTypeOutputInfo(type, &typoutput, &varlena);
	/* the tenant in the value's type, written as that type writes it */
	tenant = OidOutputFunctionCall(typoutput,
								   OidInputFunctionCall(typinput,
														(char *) check->tenant,
														ioparam, -1));
	return strcmp(OidOutputFunctionCall(typoutput, value), tenant) == 0;
}

/* Is the node a Var of the tenant column of its table? */
static bool
is_tenant_column(const ActionCheck *check, Node *node)
{
	Var		   *var;
	RangeTblEntry *rte;
	char	   *name;

	node = strip_implicit_casts(node);
	if (!IsA(node, Var))
		return false;
	var = (Var *) node;
	if (var->varlevelsup != 0 || var->varattno <= 0 ||
		var->varno < 1 || var->varno > list_length(check->pstmt->rtable))
		return false;
	rte = rt_fetch(var->varno, check->pstmt->rtable);
	if (rte->rtekind != RTE_RELATION)
		return false;
	name = get_attname(rte->relid, var->varattno, true);
	return name != NULL && strcmp(name, check->column) == 0;
}

/*
 * Is the condition an equality of two values that holds only between
 * equal values: not under a nondeterministic collation, which makes
 * 'acme' equal to 'ACME'?
 */
static bool
is_plain_equality(OpExpr *op)
{
	return IsA(op, OpExpr) && list_length(op->args) == 2 &&
		get_oprrest(op->opno) == F_EQSEL &&
		(!OidIsValid(op->inputcollid) ||
		 get_collation_isdeterministic(op->inputcollid));
}

/*
 * The conditions a scan applies to every row it returns, implicitly ANDed:
 * its filter, and the original form of the index conditions.
 */
static List *
scan_quals(Plan *scan)
{
	List	   *quals = list_copy(scan->qual);

	if (IsA(scan, IndexScan))
		quals = list_concat(quals, ((IndexScan *) scan)->indexqualorig);
	else if (IsA(scan, BitmapHeapScan))
		quals = list_concat(quals, ((BitmapHeapScan *) scan)->bitmapqualorig);
	return quals;
}

/*
 * Does an implicitly ANDed list of conditions compare the tenant column for
 * equality with a parameter holding the tenant?
 */
static bool
binds_tenant(const ActionCheck *check, List *quals)
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		OpExpr	   *op = (OpExpr *) lfirst(lc);
		Node	   *left;
		Node	   *right;

		if (!is_plain_equality(op))
			continue;
		left = linitial(op->args);
		right = lsecond(op->args);
		if ((is_tenant_column(check, left) && is_tenant_param(check, right)) ||
			(is_tenant_column(check, right) && is_tenant_param(check, left)))
			return true;
	}
	return false;
}

/*
 * Is every row the plan reads from a table bound to the tenant?  Scans
 * must carry the condition themselves; nodes above them pass rows on.
 */
static bool
plan_bound_to_tenant(const ActionCheck *check, Plan *plan)
{
	ListCell   *lc;

	if (plan == NULL)
		return true;
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_IndexScan:
		case T_BitmapHeapScan:
			return binds_tenant(check, scan_quals(plan));
		case T_Append:
			foreach(lc, ((Append *) plan)->appendplans)
			{
				if (!plan_bound_to_tenant(check, (Plan *) lfirst(lc)))
					return false;
			}
			return true;
		case T_ModifyTable:
		case T_Result:
		case T_LockRows:
		case T_Material:
		case T_Gather:
			return plan->righttree == NULL &&
				plan_bound_to_tenant(check, plan->lefttree);
		default:
			return false;		/* not a plan ri_triggers.c's queries get */
	}
}

/*
 * Is entry number position of a plan's target list a parameter holding
 * the tenant?  An Append (an UPDATE of a partitioned table) refers to the
 * same entry of each of its subplans, whose own entry must be one.
 */
static bool
new_value_is_tenant(const ActionCheck *check, Plan *plan, int position)
{
	TargetEntry *tle;
	Node	   *expr;
	ListCell   *lc;

	if (plan == NULL || position >= list_length(plan->targetlist))
		return false;
	tle = list_nth_node(TargetEntry, plan->targetlist, position);
	expr = strip_implicit_casts((Node *) tle->expr);
	if (!IsA(expr, Var) || ((Var *) expr)->varno != OUTER_VAR)
		return is_tenant_param(check, expr);
	position = ((Var *) expr)->varattno - 1;
	if (!IsA(plan, Append))
		return new_value_is_tenant(check, plan->lefttree, position);
	foreach(lc, ((Append *) plan)->appendplans)
	{
		if (!new_value_is_tenant(check, (Plan *) lfirst(lc), position))
			return false;
	}
	return true;
}

/*
 * Does an UPDATE leave the tenant column alone, or set it to a parameter
 * holding the tenant?  Its subplan's first entries are the new values of
 * the columns it sets, in the order of the first result relation's list.
 */
static bool
keeps_tenant(const ActionCheck *check, ModifyTable *mt)
{
	List	   *colnos;
	Index		rti;
	Oid			relid;
	int			position = 0;
	ListCell   *lc;

	if (mt->operation != CMD_UPDATE)
		return true;
	colnos = linitial(mt->updateColnosLists);
	rti = linitial_int(mt->resultRelations);
	relid = rt_fetch(rti, check->pstmt->rtable)->relid;
	foreach(lc, colnos)
	{
		char	   *name = get_attname(relid, lfirst_int(lc), true);

		if (name != NULL && strcmp(name, check->column) == 0)
			return new_value_is_tenant(check, mt->plan.lefttree, position);
		position++;
	}
	return true;
}

/*
 * The first scan of a plan (for a partitioned table, of its first
 * partition), or NULL.
 */
static Plan *
first_scan(Plan *plan)
{
	while (plan != NULL)
	{
		switch (nodeTag(plan))
		{
			case T_SeqScan:
			case T_IndexScan:
			case T_BitmapHeapScan:
				return plan;
			case T_Append:
				if (((Append *) plan)->appendplans == NIL)
					return NULL;
				plan = (Plan *) linitial(((Append *) plan)->appendplans);
				break;
			default:
				plan = plan->lefttree;
				break;
		}
	}
	return NULL;
}

/* The schema-qualified name of an operator, for OPERATOR(...). */
static char *
operator_sql(Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator form;
	char	   *sql;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	sql = psprintf("%s.%s",
				   quote_identifier(get_namespace_name(form->oprnamespace)),
				   NameStr(form->oprname));
	ReleaseSysCache(tuple);
	return sql;
}

/*
 * Add to a query the conditions of a scan that compare a column with a
 * parameter: the old key of the action (ri_triggers.c writes WHERE $1 =
 * col1 AND $2 = col2 ...), each with its own operator.  False if there is
 * none, or one that cannot be written again.
 */
static bool
add_key_conditions(const ActionCheck *check, Plan *scan, StringInfo sql,
				   Oid *types, Datum *values, int *n)
{
	ListCell   *lc;

	foreach(lc, scan_quals(scan))
	{
		OpExpr	   *op = (OpExpr *) lfirst(lc);
		bool		var_left;
		Var		   *var;
		const char *column;

		if (!is_plain_equality(op) || *n >= FUNC_MAX_ARGS - 1)
			return false;
		var_left = IsA(strip_implicit_casts(linitial(op->args)), Var);
		var = (Var *) strip_implicit_casts(var_left ? linitial(op->args) :
										   lsecond(op->args));
		if (!IsA(var, Var) || var->varno < 1 ||
			var->varno > list_length(check->pstmt->rtable) ||
			!param_value(check, var_left ? lsecond(op->args) : linitial(op->args),
						 &types[*n], &values[*n]))
			return false;
		(*n)++;
		column = quote_identifier(get_attname(rt_fetch(var->varno, check->pstmt->rtable)->relid,
											  var->varattno, false));
		if (var_left)
			appendStringInfo(sql, " AND %s OPERATOR(%s) $%d",
							 column, operator_sql(op->opno), *n);
		else
			appendStringInfo(sql, " AND $%d OPERATOR(%s) %s",
							 *n, operator_sql(op->opno), column);
	}
	return *n > 0;
}

/*
 * Do rows of other tenants than the transaction's hold the key the action
 * is about to change?  Asked of a key without the tenant column: a row of
 * another tenant may reference the tenant's row (made so by that tenant,
 * or by the owner, or left from before the key was valid).  The query
 * runs as the action runs, as the table's owner without row-level
 * security, with a snapshot of its own as the action takes one; started
 * like a foreign key's own key check (FOR KEY SHARE, without firing
 * triggers), the executor guard takes it for one.  The row it finds, if
 * any, stays locked until the refusal ends the transaction.
 */
static bool
other_tenants_hold_key(const ActionCheck *check, Oid relid, Plan *scan)
{
	StringInfoData sql;
	Oid			types[FUNC_MAX_ARGS];
	Datum		values[FUNC_MAX_ARGS];
	int			n = 0;
	AttrNumber	tenant = get_attnum(relid, check->column);
	Oid			typinput;
	Oid			ioparam;
	SPIPlanPtr	plan;
	bool		found;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT 1 FROM %s%s WHERE true",
					 get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE ? "" : "ONLY ",
					 tg_relation_sql(relid));
	if (tenant == InvalidAttrNumber ||
		!add_key_conditions(check, scan, &sql, types, values, &n))
		return true;
	types[n] = get_atttype(relid, tenant);
	getTypeInputInfo(types[n], &typinput, &ioparam);
	values[n] = OidInputFunctionCall(typinput, (char *) check->tenant, ioparam, -1);
	n++;
	appendStringInfo(&sql, " AND %s IS DISTINCT FROM $%d LIMIT 1 FOR KEY SHARE",
					 quote_identifier(check->column), n);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql.data, n, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare the check of a referential action: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_execute_snapshot(plan, values, NULL, InvalidSnapshot,
							 InvalidSnapshot, false, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "the check of a referential action failed");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/* Refuse the action on the table, with the transaction's tenant or none. */
static void
refuse(Oid relid, const char *tenant)
{
	TgVerdict	verdict;

	memset(&verdict, 0, sizeof(TgVerdict));
	verdict.refusal = tenant ? TG_ACTION_OTHER_TENANTS : TG_ACTION_WITHOUT_TENANT;
	verdict.as_warning = (tg_mode == TG_MODE_WARN);
	verdict.rel = tg_relation_name(relid);
	verdict.value = tenant;
	tg_report(&verdict);
}

/*
 * Does the table have a BEFORE row trigger for this event that a role
 * inside the rules controls?
 */
static bool
has_owner_before_trigger(Oid relid, int event)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TriggerDesc *trigdesc = rel->trigdesc;
	bool		found = false;

	for (int i = 0; !found && trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		Trigger    *trigger = &trigdesc->triggers[i];

		found = !trigger->tgisinternal &&
			trigger->tgenabled != TRIGGER_DISABLED &&
			TRIGGER_FOR_ROW(trigger->tgtype) &&
			TRIGGER_FOR_BEFORE(trigger->tgtype) &&
			(trigger->tgtype & event) != 0 &&
			tg_controlled_inside(trigger->tgfoid);
	}
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Could a BEFORE row trigger that a role inside the rules controls change
 * the tenant column of a row an UPDATE action writes: a BEFORE UPDATE
 * trigger, or, where the update moves the row to another partition, the
 * destination's BEFORE INSERT trigger?  In the request's own statements a
 * policy's WITH CHECK would stop it; here no policy applies.
 */
static bool
owner_may_move_rows(Oid relid)
{
	bool		partitioned = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
	List	   *tables = find_all_inheritors(relid, NoLock, NULL);
	ListCell   *lc;

	foreach(lc, tables)
	{
		Oid			table = lfirst_oid(lc);

		if (get_rel_relkind(table) == RELKIND_RELATION &&
			has_owner_before_trigger(table, TRIGGER_TYPE_UPDATE |
									 (partitioned ? TRIGGER_TYPE_INSERT : 0)))
			return true;
	}
	return false;
}

/*
 * Check the query a referential action runs (the executor guard has
 * recognised it, for a session inside the rules): its first range table
 * entry is the table the foreign key is on.
 */
void
tg_check_referential_action(QueryDesc *queryDesc)
{
	PlannedStmt *pstmt = queryDesc->plannedstmt;
	ActionCheck check = {pstmt, queryDesc->params, NULL, NULL};
	TgTenantState state;
	TgVerdict	verdict;
	Oid			relid;
	ModifyTable *mt = (ModifyTable *) pstmt->planTree;

	if (pstmt->commandType != CMD_UPDATE && pstmt->commandType != CMD_DELETE)
		return;					/* a key check, which changes nothing */
	relid = linitial_node(RangeTblEntry, pstmt->rtable)->relid;
	tg_tenant_state(&state);
	state.session_pending = false;	/* the statement's own check saw to it */
	if (!tg_rule_tenant_context(&state, relid, &verdict))
	{
		refuse(relid, NULL);
		return;
	}
	tg_tenant_pin(&state, &verdict);
	check.tenant = state.value;
	check.column = tenant_column_of(relid);
	if (check.column == NULL || !IsA(mt, ModifyTable) ||
		!keeps_tenant(&check, mt) ||
		(mt->operation == CMD_UPDATE && owner_may_move_rows(relid)))
		refuse(relid, state.value);
	else if (!plan_bound_to_tenant(&check, (Plan *) mt))
	{
		Plan	   *scan = first_scan((Plan *) mt);

		if (scan == NULL || other_tenants_hold_key(&check, relid, scan))
			refuse(relid, state.value);
	}
}

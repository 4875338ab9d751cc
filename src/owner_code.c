/*-------------------------------------------------------------------------
 *
 * owner_code.c
 *	  Rule 6: DDL does not run code a role inside the rules wrote over
 *	  every tenant's rows.
 *
 * PostgreSQL applies no row-level security to the rows that DDL reads:
 * validating a CHECK constraint, building an index, computing a generated
 * column or extended statistics, rewriting a column with ALTER COLUMN ...
 * TYPE ... USING, and validating a domain constraint all see every
 * tenant's rows, without a tenant.  A table's owner who runs migrations
 * could make such DDL call a function of its own that copies or raises
 * each row, or rewrite another tenant's rows with a USING expression; a
 * rule (CREATE RULE ... DO ALSO) copies every tenant's new rows elsewhere;
 * and a policy's conditions run on every row a query scans, in an order
 * the planner picks by cost, so a function given the row there sees other
 * tenants' rows too.
 *
 * So on a table with row-level security, a role inside the rules may
 * create CHECK constraints, index expressions and predicates, generated
 * columns, statistics, and domain constraints on domains such a table
 * uses, only with "harmless" functions: built in (OIDs below
 * FirstNormalObjectId, which no user can create) and not volatile
 * (volatile built-ins such as pg_notify() or set_config() carry values
 * elsewhere).  ALTER COLUMN ... TYPE may read only the column itself, with
 * such functions; a policy may hand the row's columns to no other
 * function; no rules.  It may not replace a function that such stored code
 * calls, nor make PostgreSQL run stored code again (REINDEX, CLUSTER,
 * VACUUM FULL, ANALYZE, VALIDATE CONSTRAINT, a rewriting ALTER TABLE) when
 * that code calls a function owned by a role inside the rules, which could
 * have been written before the table had row-level security.  Roles
 * outside the rules (superusers, BYPASSRLS) may do all of it: they read
 * every row anyway.  Triggers are not refused: they run on the rows of the
 * request's own statements, in its tenant context.
 *
 * New objects are judged after PostgreSQL created them and before it uses
 * them (the object access hook's OAT_POST_CREATE comes before the index
 * build and before the constraint's validation), from their stored
 * expression trees; the rows just inserted are read with SnapshotSelf.
 * Statements are judged before they run (ProcessUtility, via the drift
 * guard's check).
 *
 * src/owner_code.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_type.h"
#include "access/transam.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "commands/defrem.h"
#include "commands/vacuum.h"
#include "utils/regproc.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "drift_guard.h"
#include "owner_code.h"
#include "protect.h"
#include "rel_cache.h"
#include "report.h"
#include "role_cache.h"
#include "tenant_guard.h"

static Oid	foreign_code_in(Node *node);
static Oid	base_type_of(Oid typid);

/*
 * Could the function do anything with the values it is given?  Functions
 * that are not built in could; so could volatile built-in ones, which
 * have side effects that carry a value elsewhere: pg_notify(),
 * set_config(), lo_from_bytea(), or query_to_xml() and ts_stat(), which
 * run SQL built from their arguments.  Built-in functions that are not
 * volatile only compute their result.
 */
static bool
is_foreign_code(Oid funcid)
{
	return funcid >= FirstNormalObjectId ||
		func_volatile(funcid) == PROVOLATILE_VOLATILE;
}

/* check_functions_in_node() callback */
static bool
not_built_in(Oid funcid, void *context)
{
	if (!is_foreign_code(funcid))
		return false;
	*(Oid *) context = funcid;
	return true;
}

/*
 * The first function of a domain's CHECK constraints (and its base
 * domains') that is not built in, or InvalidOid.
 */
static Oid
foreign_code_in_domain(Oid typid)
{
	Oid			found = InvalidOid;

	while (!OidIsValid(found) && OidIsValid(typid) &&
		   get_typtype(typid) == TYPTYPE_DOMAIN)
	{
		Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(typid));
		scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL,
								  1, &key);
		while (!OidIsValid(found) &&
			   HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			bool		isnull;
			Datum		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
										   RelationGetDescr(rel), &isnull);

			if (!isnull)
				found = foreign_code_in(stringToNode(TextDatumGetCString(bin)));
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		typid = base_type_of(typid);
	}
	return found;
}

/* The type a domain is defined over (one level). */
static Oid
base_type_of(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Oid			base;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	base = ((Form_pg_type) GETSTRUCT(tuple))->typbasetype;
	ReleaseSysCache(tuple);
	return base;
}

static bool
foreign_code_walker(Node *node, Oid *found)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, not_built_in, found))
		return true;
	if (IsA(node, CoerceToDomain))
	{
		*found = foreign_code_in_domain(((CoerceToDomain *) node)->resulttype);
		if (OidIsValid(*found))
			return true;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, foreign_code_walker,
								 (void *) found, 0);
	return expression_tree_walker(node, foreign_code_walker, (void *) found);
}

/* The first function in an expression that is not built in, or InvalidOid. */
static Oid
foreign_code_in(Node *node)
{
	Oid			found = InvalidOid;

	(void) foreign_code_walker(node, &found);
	return found;
}

static bool
has_rls(Oid relid)
{
	return tg_rel_info(relid)->rls_enabled;
}

/* Refuse an object on a table with row-level security; what says which. */
static void
report_owner_code(Oid relid, const char *what, Oid funcid)
{
	char	   *rel = tg_relation_name(relid);

	if (OidIsValid(funcid))
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s on table \"%s\" would run function %s over every tenant's rows",
						what, rel, format_procedure_qualified(funcid)),
				 errdetail("Table \"%s\" has row-level security, which PostgreSQL does not apply to the rows DDL reads; roles inside tenant_guard's rules may run only built-in functions that are not volatile there.",
						   rel),
				 errhint("Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS), or call only built-in functions that are not volatile.")));
	else
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s on table \"%s\" would act on every tenant's rows",
						what, rel),
				 errdetail("Table \"%s\" has row-level security, which PostgreSQL does not apply to the rows DDL reads or rules write; roles inside tenant_guard's rules may not do this there.",
						   rel),
				 errhint("Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS).")));
}

/*
 * Read one catalog row by its OID index, including rows inserted by the
 * current command (SnapshotSelf), which the caches do not see yet: the
 * object access hook's OAT_POST_CREATE comes before the command counter is
 * incremented.  Returns a copy or NULL.
 */
HeapTuple
tg_fresh_catalog_row(Oid catalog, Oid index, AttrNumber keyatt, Oid objectId,
				  TupleDesc *desc)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&key, keyatt, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objectId));
	scan = systable_beginscan(rel, index, true, SnapshotSelf, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		tuple = heap_copytuple(tuple);
	*desc = CreateTupleDescCopy(RelationGetDescr(rel));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return tuple;
}

static Node *
stored_expr(HeapTuple tuple, TupleDesc desc, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, att, desc, &isnull);

	return isnull ? NULL : stringToNode(TextDatumGetCString(d));
}

/* Does a column of a table with row-level security use this domain? */
static bool
domain_used_under_rls(Oid typid, int depth)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		used = false;

	if (depth > 8)
		return true;			/* deeply nested domains: assume so */
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (!used && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->classid == RelationRelationId && dep->objsubid > 0)
			used = has_rls(dep->objid);
		else if (dep->classid == TypeRelationId &&
				 get_typtype(dep->objid) == TYPTYPE_DOMAIN)
			used = domain_used_under_rls(dep->objid, depth + 1);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return used;
}

static void
check_constraint(Oid conid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(ConstraintRelationId,
										  ConstraintOidIndexId,
										  Anum_pg_constraint_oid, conid, &desc);
	Form_pg_constraint con;
	Oid			funcid;

	if (tuple == NULL)
		return;
	con = (Form_pg_constraint) GETSTRUCT(tuple);
	if (con->contype != CONSTRAINT_CHECK)
		return;
	if (OidIsValid(con->conrelid) && !has_rls(con->conrelid))
		return;
	funcid = foreign_code_in(stored_expr(tuple, desc, Anum_pg_constraint_conbin));
	if (!OidIsValid(funcid))
		return;
	if (OidIsValid(con->conrelid))
		report_owner_code(con->conrelid,
						  psprintf("check constraint \"%s\"",
								   NameStr(con->conname)), funcid);
	else if (OidIsValid(con->contypid) &&
			 domain_used_under_rls(con->contypid, 0))
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("check constraint \"%s\" on domain %s would run function %s over every tenant's rows",
						NameStr(con->conname), format_type_be(con->contypid),
						format_procedure_qualified(funcid)),
				 errdetail("A table with row-level security has a column of this domain, and PostgreSQL applies no row-level security to the rows DDL reads."),
				 errhint("Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS), or call only built-in functions that are not volatile.")));
}

static void
check_index(Oid indexid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(IndexRelationId, IndexRelidIndexId,
										  Anum_pg_index_indexrelid, indexid,
										  &desc);
	Oid			relid;
	Oid			funcid;

	if (tuple == NULL)
		return;					/* not an index */
	relid = ((Form_pg_index) GETSTRUCT(tuple))->indrelid;
	if (!has_rls(relid))
		return;
	funcid = foreign_code_in(stored_expr(tuple, desc, Anum_pg_index_indexprs));
	if (!OidIsValid(funcid))
		funcid = foreign_code_in(stored_expr(tuple, desc, Anum_pg_index_indpred));
	if (OidIsValid(funcid))
	{
		HeapTuple	classtup = tg_fresh_catalog_row(RelationRelationId,
												 ClassOidIndexId,
												 Anum_pg_class_oid, indexid,
												 &desc);

		report_owner_code(relid,
						  psprintf("index \"%s\"", classtup == NULL ? "?" :
								   NameStr(((Form_pg_class) GETSTRUCT(classtup))->relname)),
						  funcid);
	}
}

/*
 * A generated column: a default that reads the row's columns.  The hook
 * names the table and the column number.
 */
static void
check_attrdef(Oid relid, AttrNumber attnum)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Node	   *expr = NULL;
	Oid			funcid;

	if (attnum <= 0 || !has_rls(relid))
		return;
	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	scan = systable_beginscan(rel, AttrDefaultIndexId, true, SnapshotSelf,
							  2, keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		expr = stored_expr(tuple, RelationGetDescr(rel), Anum_pg_attrdef_adbin);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (expr == NULL || !contain_var_clause(expr))
		return;					/* a default sees no row */
	funcid = foreign_code_in(expr);
	if (OidIsValid(funcid))
		report_owner_code(relid,
						  psprintf("generated column \"%s\"",
								   get_attname(relid, attnum, false)),
						  funcid);
}

static void
check_rule(Oid ruleid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(RewriteRelationId, RewriteOidIndexId,
										  Anum_pg_rewrite_oid, ruleid, &desc);
	Form_pg_rewrite rule;

	if (tuple == NULL)
		return;
	rule = (Form_pg_rewrite) GETSTRUCT(tuple);
	if (get_rel_relkind(rule->ev_class) != RELKIND_RELATION &&
		get_rel_relkind(rule->ev_class) != RELKIND_PARTITIONED_TABLE)
		return;
	if (has_rls(rule->ev_class))
		report_owner_code(rule->ev_class,
						  psprintf("rule \"%s\"", NameStr(rule->rulename)),
						  InvalidOid);
}

/* Extended statistics on expressions: ANALYZE computes them over every row. */
static void
check_statistics(Oid statid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(StatisticExtRelationId,
										  StatisticExtOidIndexId,
										  Anum_pg_statistic_ext_oid, statid,
										  &desc);
	Form_pg_statistic_ext stat;
	Oid			funcid;

	if (tuple == NULL)
		return;
	stat = (Form_pg_statistic_ext) GETSTRUCT(tuple);
	if (!has_rls(stat->stxrelid))
		return;
	funcid = foreign_code_in(stored_expr(tuple, desc, Anum_pg_statistic_ext_stxexprs));
	if (OidIsValid(funcid))
		report_owner_code(stat->stxrelid,
						  psprintf("statistics object \"%s\"",
								   NameStr(stat->stxname)), funcid);
}

/* Does the expression read a column of some row, at any query level? */
static bool
reads_a_column(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, reads_a_column, context, 0);
	return expression_tree_walker(node, reads_a_column, context);
}

/*
 * The first function that is not built in and is given a column of the row
 * as an argument, or InvalidOid.  A policy's conditions are evaluated on
 * every row a query scans, other tenants' included, in an order the
 * planner picks by cost: such a function sees every tenant's rows.  One
 * that sees no column (tenant_guard.tenant(), a current_tenant_id()
 * wrapper) sees none.
 */
static bool
row_fed_code_walker(Node *node, Oid *found)
{
	Oid			funcid = InvalidOid;
	List	   *args = NIL;

	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
	{
		funcid = ((FuncExpr *) node)->funcid;
		args = ((FuncExpr *) node)->args;
	}
	else if (IsA(node, OpExpr) || IsA(node, DistinctExpr) ||
			 IsA(node, NullIfExpr))
	{
		set_opfuncid((OpExpr *) node);
		funcid = ((OpExpr *) node)->opfuncid;
		args = ((OpExpr *) node)->args;
	}
	else if (IsA(node, ScalarArrayOpExpr))
	{
		set_sa_opfuncid((ScalarArrayOpExpr *) node);
		funcid = ((ScalarArrayOpExpr *) node)->opfuncid;
		args = ((ScalarArrayOpExpr *) node)->args;
	}
	if (OidIsValid(funcid) && is_foreign_code(funcid) &&
		reads_a_column((Node *) args, NULL))
	{
		*found = funcid;
		return true;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, row_fed_code_walker,
								 (void *) found, 0);
	return expression_tree_walker(node, row_fed_code_walker, (void *) found);
}

static void
check_policy(Oid policyid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(PolicyRelationId, PolicyOidIndexId,
										  Anum_pg_policy_oid, policyid, &desc);
	Form_pg_policy pol;
	Oid			funcid = InvalidOid;

	if (tuple == NULL)
		return;
	pol = (Form_pg_policy) GETSTRUCT(tuple);
	(void) row_fed_code_walker(stored_expr(tuple, desc, Anum_pg_policy_polqual),
							   &funcid);
	if (!OidIsValid(funcid))
		(void) row_fed_code_walker(stored_expr(tuple, desc,
											   Anum_pg_policy_polwithcheck),
								   &funcid);
	if (OidIsValid(funcid))
		report_owner_code(pol->polrelid,
						  psprintf("policy \"%s\"", NameStr(pol->polname)),
						  funcid);
}

/*
 * The table with row-level security whose stored code (index, check
 * constraint, generated column, statistics, policy) the dependent object
 * of a pg_depend row is, or InvalidOid.  *what names the object.
 */
static Oid
code_user_table(Form_pg_depend dep, char **what)
{
	Oid			relid = InvalidOid;

	if (dep->classid == PolicyRelationId)
	{
		relid = tg_policy_table(dep->objid);
		*what = "a policy";
		return relid;			/* judged with or without RLS enabled */
	}
	if (dep->classid == RelationRelationId)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID,
										   ObjectIdGetDatum(dep->objid));

		if (HeapTupleIsValid(tuple))
		{
			relid = ((Form_pg_index) GETSTRUCT(tuple))->indrelid;
			ReleaseSysCache(tuple);
		}
		*what = "an index";
	}
	else if (dep->classid == ConstraintRelationId)
	{
		HeapTuple	tuple = SearchSysCache1(CONSTROID,
										   ObjectIdGetDatum(dep->objid));

		if (HeapTupleIsValid(tuple))
		{
			relid = ((Form_pg_constraint) GETSTRUCT(tuple))->conrelid;
			ReleaseSysCache(tuple);
		}
		*what = "a check constraint";
	}
	else if (dep->classid == StatisticExtRelationId)
	{
		HeapTuple	tuple = SearchSysCache1(STATEXTOID,
										   ObjectIdGetDatum(dep->objid));

		if (HeapTupleIsValid(tuple))
		{
			relid = ((Form_pg_statistic_ext) GETSTRUCT(tuple))->stxrelid;
			ReleaseSysCache(tuple);
		}
		*what = "a statistics object";
	}
	if (OidIsValid(relid) && !has_rls(relid))
		relid = InvalidOid;
	return relid;
}

/*
 * CREATE OR REPLACE FUNCTION of a function that stored code on a table
 * with row-level security calls: the new body would run over every
 * tenant's rows (at the next index build or ANALYZE, or, for a policy,
 * at the next query).
 */
static void
check_function_replacement(Oid funcid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ProcedureRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(funcid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		char	   *what = NULL;
		Oid			relid = code_user_table((Form_pg_depend) GETSTRUCT(tuple),
											&what);

		if (OidIsValid(relid))
			ereport(tg_violation_level(),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot replace function %s, which %s on table \"%s\" runs over every tenant's rows",
							format_procedure_qualified(funcid), what,
							tg_relation_name(relid)),
					 errdetail("Roles inside tenant_guard's rules may not change code that runs over the rows of a table with row-level security."),
					 errhint("Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS).")));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Object access hook, OAT_POST_CREATE and OAT_POST_ALTER (object_guard.c):
 * judge new constraints, indexes, generated columns and rules, and have
 * the drift guard look again at commit when a table or policy changed.
 */
void
tg_owner_code_object_access(int access, Oid classId, Oid objectId,
							int subId)
{
	if (tg_mode == TG_MODE_OFF || !IsTransactionState())
		return;
	if (classId == PolicyRelationId)
		tg_drift_note_hierarchy_change(tg_policy_table(objectId));
	else if (classId == RelationRelationId && access == OAT_POST_ALTER)
		tg_drift_note_hierarchy_change(objectId);
	if (tg_protection_change_in_progress() || !tg_guard_applies())
		return;
	if (access == OAT_POST_ALTER)
	{
		/* ALTER POLICY ... USING: the new conditions */
		if (classId == PolicyRelationId)
			check_policy(objectId);
		return;
	}

	switch (classId)
	{
		case ConstraintRelationId:
			check_constraint(objectId);
			break;
		case RelationRelationId:
			if (subId == 0)
				check_index(objectId);
			break;
		case AttrDefaultRelationId:
			check_attrdef(objectId, (AttrNumber) subId);
			break;
		case RewriteRelationId:
			check_rule(objectId);
			break;
		case StatisticExtRelationId:
			check_statistics(objectId);
			break;
		case PolicyRelationId:
			check_policy(objectId);
			break;
		case ProcedureRelationId:
			check_function_replacement(objectId);
			break;
		default:
			break;
	}
}

/* Does the expression read any column other than attnum of the row? */
static bool
reads_other_column_walker(Node *node, AttrNumber *attnum)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varattno != *attnum;
	return expression_tree_walker(node, reads_other_column_walker,
								  (void *) attnum);
}

/*
 * ALTER TABLE ... ALTER COLUMN ... TYPE on a table with row-level
 * security: transform the USING expression (or the implicit cast) as
 * ALTER TABLE will, and refuse one that reads other columns (it could
 * single out a tenant's rows) or calls functions that are not built in.
 */
static void
check_alter_column_type(Oid relid, AlterTableCmd *cmd)
{
	ColumnDef  *def = (ColumnDef *) cmd->def;
	Relation	rel = relation_open(relid, NoLock);
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem;
	AttrNumber	attnum = get_attnum(relid, cmd->name);
	Oid			typid;
	int32		typmod;
	Node	   *expr;
	Oid			funcid;

	if (attnum <= 0)
	{
		relation_close(rel, NoLock);
		return;					/* ALTER TABLE will say what is wrong */
	}
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
										   NULL, false, true);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	typenameTypeIdAndMod(pstate, def->typeName, &typid, &typmod);
	if (def->raw_default)
		expr = transformExpr(pstate, copyObject(def->raw_default),
							 EXPR_KIND_ALTER_COL_TRANSFORM);
	else
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

		expr = (Node *) makeVar(1, attnum, att->atttypid, att->atttypmod,
								att->attcollation, 0);
	}
	relation_close(rel, NoLock);
	if (def->raw_default && reads_other_column_walker(expr, &attnum))
		report_owner_code(relid,
						  psprintf("the USING expression of column \"%s\"",
								   cmd->name), InvalidOid);
	expr = coerce_to_target_type(pstate, expr, exprType(expr), typid, typmod,
								 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	funcid = foreign_code_in(expr);
	if (OidIsValid(funcid))
		report_owner_code(relid,
						  psprintf(def->raw_default ?
								   "the USING expression of column \"%s\"" :
								   "the new type of column \"%s\"", cmd->name),
						  funcid);
}

/*
 * A function that stored code on relid (an index, a check constraint, a
 * generated column, a statistics object) calls, that is not built in and
 * whose owner is inside the rules (so could have written anything), or
 * InvalidOid.  Found through pg_depend, which records both steps.
 */
static Oid
existing_owner_code(Oid relid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			found = InvalidOid;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (!OidIsValid(found) && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		ScanKeyData fkeys[2];
		SysScanDesc fscan;
		HeapTuple	ftuple;

		if (dep->classid != RelationRelationId &&
			dep->classid != ConstraintRelationId &&
			dep->classid != AttrDefaultRelationId &&
			dep->classid != StatisticExtRelationId)
			continue;
		ScanKeyInit(&fkeys[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(dep->classid));
		ScanKeyInit(&fkeys[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(dep->objid));
		fscan = systable_beginscan(rel, DependDependerIndexId, true, NULL,
								   2, fkeys);
		while (!OidIsValid(found) &&
			   HeapTupleIsValid(ftuple = systable_getnext(fscan)))
		{
			Form_pg_depend fdep = (Form_pg_depend) GETSTRUCT(ftuple);
			HeapTuple	proc;

			if (fdep->refclassid != ProcedureRelationId ||
				fdep->refobjid < FirstNormalObjectId)
				continue;
			proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fdep->refobjid));
			if (!HeapTupleIsValid(proc))
				continue;
			if (!tg_role_is_exempt(((Form_pg_proc) GETSTRUCT(proc))->proowner))
				found = fdep->refobjid;
			ReleaseSysCache(proc);
		}
		systable_endscan(fscan);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * A statement that evaluates a table's existing indexes, constraints,
 * generated columns or statistics over every row (REINDEX, CLUSTER,
 * VACUUM FULL, ANALYZE, VALIDATE CONSTRAINT, a rewriting ALTER TABLE):
 * refused if that code calls a function its owner, inside the rules, could
 * have written to leak the rows.  Code created before the table had
 * row-level security, or by a superuser around such a function, is caught
 * here.
 */
static void
check_rebuild(RangeVar *relation, bool is_index, const char *what)
{
	Oid			relid;
	Oid			funcid;

	if (relation == NULL)
		return;
	relid = RangeVarGetRelid(relation, NoLock, true);
	if (OidIsValid(relid) && is_index)
		relid = get_rel_relkind(relid) == RELKIND_INDEX ||
			get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX ?
			IndexGetRelation(relid, true) : InvalidOid;
	if (!OidIsValid(relid) || !has_rls(relid))
		return;
	funcid = existing_owner_code(relid);
	if (OidIsValid(funcid))
		report_owner_code(relid, what, funcid);
}

/* VACUUM FULL and ANALYZE evaluate index expressions and statistics. */
static void
check_vacuum(VacuumStmt *stmt)
{
	bool		evaluates = !stmt->is_vacuumcmd;
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if ((strcmp(opt->defname, "full") == 0 ||
			 strcmp(opt->defname, "analyze") == 0) && defGetBoolean(opt))
			evaluates = true;
	}
	if (!evaluates)
		return;
	foreach(lc, stmt->rels)
		check_rebuild(lfirst_node(VacuumRelation, lc)->relation, false,
					  stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE");
}

/*
 * Before a utility statement: ALTER COLUMN ... TYPE by a role inside the
 * rules on a table with row-level security.
 */
void
tg_owner_code_check_utility(Node *parsetree)
{
	AlterTableStmt *stmt;
	Oid			relid = InvalidOid;
	ListCell   *lc;

	if (tg_protection_change_in_progress() || !tg_guard_applies())
		return;
	switch (nodeTag(parsetree))
	{
		case T_ReindexStmt:
			if (((ReindexStmt *) parsetree)->kind == REINDEX_OBJECT_TABLE ||
				((ReindexStmt *) parsetree)->kind == REINDEX_OBJECT_INDEX)
				check_rebuild(((ReindexStmt *) parsetree)->relation,
							  ((ReindexStmt *) parsetree)->kind == REINDEX_OBJECT_INDEX,
							  "REINDEX");
			return;
		case T_ClusterStmt:
			check_rebuild(((ClusterStmt *) parsetree)->relation, false,
						  "CLUSTER");
			return;
		case T_VacuumStmt:
			check_vacuum((VacuumStmt *) parsetree);
			return;
		case T_AlterTableStmt:
			break;
		default:
			return;
	}
	stmt = (AlterTableStmt *) parsetree;
	if (stmt->objtype != OBJECT_TABLE)
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_ValidateConstraint ||
			cmd->subtype == AT_SetLogged || cmd->subtype == AT_SetUnLogged)
			check_rebuild(stmt->relation, false, "ALTER TABLE");
		if (cmd->subtype != AT_AlterColumnType)
			continue;
		if (!OidIsValid(relid))
		{
			/* the lock ALTER COLUMN ... TYPE takes anyway */
			relid = RangeVarGetRelid(stmt->relation, AccessExclusiveLock, true);
			if (!OidIsValid(relid) || !has_rls(relid))
				return;
			/* the rewrite rebuilds the table's indexes */
			check_rebuild(stmt->relation, false, "ALTER TABLE");
		}
		check_alter_column_type(relid, cmd);
	}
}

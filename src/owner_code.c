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
 * Types carry code too.  Converting a value to a domain runs the domain's
 * checks, and converting it to an array, range, multirange or composite
 * type converts each element, bound or attribute, down to any domain inside
 * (type_code.c): stored code that converts to such a type is judged with
 * the functions of those checks, and so is a direct call of the input
 * functions that convert to a type given as an argument (domain_in(),
 * array_in(), record_in(), ...).  And a type has support code that runs
 * over every row without any conversion: a range's subtype_diff, which
 * ANALYZE (autovacuum's too) and GiST builds call, and its canonical
 * function; the functions of operator classes, which index builds and
 * ANALYZE call.  A role inside the rules picks a type or an operator class
 * but not their functions, so those are judged as existing code is: refused
 * if not built in and owned by a role inside the rules (extensions'
 * functions, a superuser's, pass).  So on a table with row-level security
 * a role inside the rules may not add a column, index key or statistics
 * column of a type with such support code, change a column to one, or use
 * an operator class with such functions; nor replace such a function once
 * it is in use there, nor validate a domain check that runs over such a
 * table's rows, nor re-run stored code (REINDEX, ANALYZE, ...) that
 * reaches such code.  Base types' input, output and analyze functions are
 * a superuser's to write and are not judged.
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
#include "catalog/pg_amproc.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_operator.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_partitioned_table.h"
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
#include "parser/parse_func.h"
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

#include "compat.h"
#include "drift_guard.h"
#include "owner_code.h"
#include "protect.h"
#include "rel_cache.h"
#include "report.h"
#include "role_cache.h"
#include "tenant_guard.h"
#include "type_code.h"

static Oid	foreign_code_in(Node *node);

/*
 * Does a built-in function that is not volatile read a relation, schema or
 * database its arguments name, and so run the views and functions there
 * (table_to_xml() of a view the owner wrote)?
 */
static bool
runs_relation_of_argument(Oid funcid)
{
	switch (funcid)
	{
		case F_TABLE_TO_XML:
		case F_TABLE_TO_XMLSCHEMA:
		case F_TABLE_TO_XML_AND_XMLSCHEMA:
		case F_SCHEMA_TO_XML:
		case F_SCHEMA_TO_XMLSCHEMA:
		case F_SCHEMA_TO_XML_AND_XMLSCHEMA:
		case F_DATABASE_TO_XML:
		case F_DATABASE_TO_XMLSCHEMA:
		case F_DATABASE_TO_XML_AND_XMLSCHEMA:
		case F_CURSOR_TO_XML:
		case F_CURSOR_TO_XMLSCHEMA:
			return true;
		default:
			return false;
	}
}

/*
 * Could the function do anything with the values it is given?  Functions
 * that are not built in could; so could volatile built-in ones, which
 * have side effects that carry a value elsewhere: pg_notify(),
 * set_config(), lo_from_bytea(), or query_to_xml() and ts_stat(), which
 * run SQL built from their arguments.  Built-in functions that are not
 * volatile only compute their result, except those that convert a value
 * to a type they are given (tg_converts_to_any_type()).
 */
static bool
is_foreign_code(Oid funcid)
{
	return funcid >= FirstNormalObjectId ||
		func_volatile(funcid) == PROVOLATILE_VOLATILE ||
		tg_converts_to_any_type(funcid) || runs_relation_of_argument(funcid);
}

/* check_functions_in_node() callback: a function the search refuses */
static bool
harmful(Oid funcid, void *context)
{
	TgCodeSearch *search = (TgCodeSearch *) context;

	if (!(search->existing ? tg_controlled_inside(funcid) : is_foreign_code(funcid)))
		return false;
	search->found = funcid;
	return true;
}

/*
 * The type a node converts values to, running that type's conversion: a
 * cast to a domain, through input and output functions or element by
 * element; a function's result (jsonb_populate_record() converts to the
 * type of its first argument, and a function that returns a domain or a
 * container of one may have built it by conversion); JSON_VALUE() and the
 * like with RETURNING (compat.h).  InvalidOid if none.
 */
static Oid
converted_type(Node *node)
{
	switch (nodeTag(node))
	{
		case T_CoerceToDomain:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_FuncExpr:
			return exprType(node);
		default:
			return tg_node_converts_to_its_type(node) ?
				exprType(node) : InvalidOid;
	}
}

/*
 * The harmful code that a node itself (not its arguments) runs by
 * converting values: see converted_type(), and the column types of a
 * function in FROM (jsonb_to_record(...) AS (v d)) and of XMLTABLE.
 */
static Oid
conversion_code_of_node(Node *node, TgCodeSearch *search)
{
	Oid			typid = converted_type(node);
	ListCell   *lc;

	if (OidIsValid(typid))
		return tg_type_code(typid, true, search);
	if (IsA(node, RangeTblFunction))
		foreach(lc, ((RangeTblFunction *) node)->funccoltypes)
		{
			if (OidIsValid(tg_type_code(lfirst_oid(lc), true, search)))
				break;
		}
	else if (IsA(node, TableFunc))
		foreach(lc, ((TableFunc *) node)->coltypes)
		{
			if (OidIsValid(tg_type_code(lfirst_oid(lc), true, search)))
				break;
		}
	return search->found;
}

/*
 * A cast through a type's output and input functions runs the output
 * function of its argument's type and the conversion to its result type;
 * the input functions of arrays, records and ranges (which
 * tg_converts_to_any_type() refuses when called directly) are judged by the
 * latter.
 */
static bool
harmful_io_cast(CoerceViaIO *io, TgCodeSearch *search)
{
	Oid			outfunc;
	bool		varlena;

	getTypeOutputInfo(exprType((Node *) io->arg), &outfunc, &varlena);
	if (!tg_converts_to_any_type(outfunc) && harmful(outfunc, search))
		return true;
	return OidIsValid(tg_type_code(io->resulttype, true, search));
}

bool
tg_find_harmful_code(Node *node, TgCodeSearch *search)
{
	if (node == NULL)
		return false;
	if (IsA(node, CoerceViaIO))
	{
		if (harmful_io_cast((CoerceViaIO *) node, search))
			return true;
	}
	else
	{
		if (check_functions_in_node(node, harmful, search))
			return true;
		if (OidIsValid(conversion_code_of_node(node, search)))
			return true;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, tg_find_harmful_code,
								 (void *) search, 0);
	return expression_tree_walker(node, tg_find_harmful_code, (void *) search);
}

/*
 * The first function in an expression about to be stored that is not
 * built in (or is volatile), including the checks of domains it converts
 * values to; or InvalidOid.
 */
static Oid
foreign_code_in(Node *node)
{
	TgCodeSearch	search = {false, InvalidOid};

	(void) tg_find_harmful_code(node, &search);
	return search.found;
}

/* The code a column of this type makes ANALYZE and index builds run. */
static Oid
column_type_code(Oid typid)
{
	TgCodeSearch	search = {false, InvalidOid};

	return tg_type_code(typid, false, &search);
}

static bool
has_rls(Oid relid)
{
	return tg_rel_info(relid)->rls_enabled;
}

/*
 * Is the function owned by a role outside the rules?  Existing code of
 * such a role is harmful only when the search_path can change what its
 * body calls (tg_controlled_inside()), which the message then explains.
 */
static bool
owned_outside(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		outside = false;

	if (HeapTupleIsValid(tuple))
	{
		outside = tg_role_is_exempt(((Form_pg_proc) GETSTRUCT(tuple))->proowner);
		ReleaseSysCache(tuple);
	}
	return outside;
}

/*
 * Start a verdict of rule 6 about the code of function funcid (or none),
 * in the severity of tenant_guard.mode; the caller names the rest.
 */
static void
owner_code_verdict(TgVerdict *verdict, TgRefusal refusal, Oid funcid)
{
	memset(verdict, 0, sizeof(TgVerdict));
	verdict->refusal = refusal;
	verdict->as_warning = (tg_mode == TG_MODE_WARN);
	if (OidIsValid(funcid))
		verdict->other = format_procedure_qualified(funcid);
}

/*
 * Refuse an object on a table with row-level security; what says which.
 * Existing code of a role outside the rules is refused only because the
 * search_path can redirect it, which the message then explains.
 */
static void
report_owner_code(Oid relid, const char *what, Oid funcid)
{
	TgVerdict	verdict;
	TgRefusal	refusal = TG_OWNER_ACTION;

	if (OidIsValid(funcid))
		refusal = owned_outside(funcid) && tg_controlled_inside(funcid) ?
			TG_OWNER_CODE_SEARCH_PATH : TG_OWNER_CODE;
	owner_code_verdict(&verdict, refusal, funcid);
	verdict.rel = tg_relation_name(relid);
	verdict.what = what;
	tg_report(&verdict);
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
	else if (dep->classid == AttrDefaultRelationId)
	{
		TupleDesc	desc;
		HeapTuple	tuple = tg_fresh_catalog_row(AttrDefaultRelationId,
											  AttrDefaultOidIndexId,
											  Anum_pg_attrdef_oid, dep->objid,
											  &desc);

		if (tuple != NULL)
			relid = ((Form_pg_attrdef) GETSTRUCT(tuple))->adrelid;
		*what = "a generated column";
	}
	if (OidIsValid(relid) && !has_rls(relid))
		relid = InvalidOid;
	return relid;
}

/*
 * A table with row-level security that uses this type, or InvalidOid: with
 * a column of it, or of an array, range or composite type of it, or of a
 * domain over any of these; or with stored code (an index, a check
 * constraint, a generated column, statistics, a policy) that names it.  A
 * domain's new check would run wherever values are converted to it, and a
 * range's subtype_diff wherever its values are analyzed.  (The graph of
 * types is acyclic: no depth limit that nesting could get past.)
 */
static Oid
type_user_table(Oid typid)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	check_stack_depth();
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (!OidIsValid(relid) && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		char	   *what;

		if (dep->classid == RelationRelationId && dep->objsubid > 0 &&
			get_rel_relkind(dep->objid) == RELKIND_COMPOSITE_TYPE)
			relid = type_user_table(get_rel_type_id(dep->objid));
		else if (dep->classid == RelationRelationId && dep->objsubid > 0)
			relid = has_rls(dep->objid) ? dep->objid : InvalidOid;
		else if (dep->classid == TypeRelationId)
			relid = type_user_table(dep->objid);
		else
			relid = code_user_table(dep, &what);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/*
 * A table with row-level security with an index that uses an operator
 * class of this family, or InvalidOid.
 */
static Oid
opfamily_user_table(Oid opfamily)
{
	Relation	rel = table_open(OperatorClassRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_opclass_opcfamily, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(opfamily));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	while (!OidIsValid(relid) && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Relation	deprel = table_open(DependRelationId, AccessShareLock);
		ScanKeyData keys[2];
		SysScanDesc depscan;
		HeapTuple	deptuple;

		ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(OperatorClassRelationId));
		ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ,
					ObjectIdGetDatum(((Form_pg_opclass) GETSTRUCT(tuple))->oid));
		depscan = systable_beginscan(deprel, DependReferenceIndexId, true,
									 NULL, 2, keys);
		while (!OidIsValid(relid) &&
			   HeapTupleIsValid(deptuple = systable_getnext(depscan)))
		{
			char	   *what;

			relid = code_user_table((Form_pg_depend) GETSTRUCT(deptuple), &what);
		}
		systable_endscan(depscan);
		table_close(deprel, AccessShareLock);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/*
 * Refuse a check of a domain that a table with row-level security uses
 * (type_user_table()): validating it reads every tenant's rows.
 */
static void
report_domain_code(const char *conname, Oid typid, Oid funcid)
{
	TgVerdict	verdict;

	owner_code_verdict(&verdict, TG_OWNER_DOMAIN_CHECK, funcid);
	verdict.name = conname;
	verdict.type = format_type_be(typid);
	tg_report(&verdict);
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
			 OidIsValid(type_user_table(con->contypid)))
		report_domain_code(NameStr(con->conname), con->contypid, funcid);
}

/*
 * The code an index build runs on each key: the functions of the key's
 * operator class, and the support code of the key's type (a GiST index on
 * a range calls its subtype_diff).  A pg_index row, with its descriptor.
 */
static Oid
index_key_code(HeapTuple tuple, TupleDesc desc)
{
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
	bool		isnull;
	oidvector  *indclass = (oidvector *)
		DatumGetPointer(heap_getattr(tuple, Anum_pg_index_indclass, desc,
									 &isnull));
	List	   *exprs = (List *) stored_expr(tuple, desc, Anum_pg_index_indexprs);
	ListCell   *next_expr = list_head(exprs);
	TgCodeSearch	search = {false, InvalidOid};

	for (int i = 0; i < index->indnkeyatts && !OidIsValid(search.found); i++)
	{
		AttrNumber	attnum = index->indkey.values[i];
		Oid			typid;

		if (attnum != 0)
			typid = get_atttype(index->indrelid, attnum);
		else if (next_expr != NULL)
		{
			typid = exprType((Node *) lfirst(next_expr));
			next_expr = lnext(exprs, next_expr);
		}
		else
			continue;
		if (!isnull && !OidIsValid(tg_opclass_code(indclass->values[i], &search)))
			(void) tg_type_code(typid, false, &search);
	}
	return search.found;
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
	if (!OidIsValid(funcid))
		funcid = index_key_code(tuple, desc);
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

/*
 * Extended statistics: ANALYZE computes them over every row, evaluating
 * their expressions and comparing the values with their types' code.
 */
static void
check_statistics(Oid statid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(StatisticExtRelationId,
										  StatisticExtOidIndexId,
										  Anum_pg_statistic_ext_oid, statid,
										  &desc);
	Form_pg_statistic_ext stat;
	List	   *exprs;
	ListCell   *lc;
	Oid			funcid;

	if (tuple == NULL)
		return;
	stat = (Form_pg_statistic_ext) GETSTRUCT(tuple);
	if (!has_rls(stat->stxrelid))
		return;
	exprs = (List *) stored_expr(tuple, desc, Anum_pg_statistic_ext_stxexprs);
	funcid = foreign_code_in((Node *) exprs);
	for (int i = 0; i < stat->stxkeys.dim1 && !OidIsValid(funcid); i++)
		funcid = column_type_code(get_atttype(stat->stxrelid,
											  stat->stxkeys.values[i]));
	foreach(lc, exprs)
	{
		if (!OidIsValid(funcid))
			funcid = column_type_code(exprType((Node *) lfirst(lc)));
	}
	if (OidIsValid(funcid))
		report_owner_code(stat->stxrelid,
						  psprintf("statistics object \"%s\"",
								   NameStr(stat->stxname)), funcid);
}

/*
 * A new column (ALTER TABLE ... ADD COLUMN): ANALYZE, autovacuum's too,
 * and index builds run the support code of its type over every row
 * (column_type_code()).
 */
static void
check_column(Oid relid, AttrNumber attnum)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			typid = InvalidOid;
	NameData	attname;
	Oid			funcid;

	if (!has_rls(relid))
		return;
	/* the new pg_attribute row, which the syscache does not see yet */
	rel = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_attribute_attnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	scan = systable_beginscan(rel, AttributeRelidNumIndexId, true,
							  SnapshotSelf, 2, keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		typid = ((Form_pg_attribute) GETSTRUCT(tuple))->atttypid;
		attname = ((Form_pg_attribute) GETSTRUCT(tuple))->attname;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(typid))
		return;
	funcid = column_type_code(typid);
	if (OidIsValid(funcid))
		report_owner_code(relid,
						  psprintf("column \"%s\"", NameStr(attname)),
						  funcid);
}

/*
 * Does the expression read a column of some row, at any query level?  The
 * value a simple CASE compares (CASE item WHEN ...) reaches the operators
 * of its WHEN clauses as a placeholder: it counts as the column it may be.
 */
static bool
reads_a_column(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) || IsA(node, CaseTestExpr))
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
 * wrapper) sees none.  Converting a column's value to a domain, or to an
 * array, range or composite of one, hands it to the domain's checks.
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
	else if (IsA(node, Aggref))
	{
		funcid = ((Aggref *) node)->aggfnoid;
		args = ((Aggref *) node)->args;
	}
	else if (IsA(node, WindowFunc))
	{
		funcid = ((WindowFunc *) node)->winfnoid;
		args = ((WindowFunc *) node)->args;
	}
	if (OidIsValid(funcid) && is_foreign_code(funcid) &&
		reads_a_column((Node *) args, NULL))
	{
		*found = funcid;
		return true;
	}
	if (!IsA(node, Query) && reads_a_column(node, NULL))
	{
		TgCodeSearch	search = {false, InvalidOid};

		*found = conversion_code_of_node(node, &search);
		if (OidIsValid(*found))
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
 * The table with row-level security over whose rows the type code that the
 * dependent object of a pg_depend row is runs, or InvalidOid: a domain's
 * check, a range type (its subtype_diff or canonical function), an
 * operator class's support function.  *what names it.
 */
static Oid
type_code_user_table(Form_pg_depend dep, char **what)
{
	Oid			relid = InvalidOid;
	HeapTuple	tuple;

	if (dep->classid == ConstraintRelationId)
	{
		tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(dep->objid));
		if (!HeapTupleIsValid(tuple))
			return InvalidOid;
		if (OidIsValid(((Form_pg_constraint) GETSTRUCT(tuple))->contypid))
		{
			relid = type_user_table(((Form_pg_constraint) GETSTRUCT(tuple))->contypid);
			*what = psprintf("a check of domain %s",
							 format_type_be(((Form_pg_constraint) GETSTRUCT(tuple))->contypid));
		}
		ReleaseSysCache(tuple);
	}
	else if (dep->classid == TypeRelationId)
	{
		relid = type_user_table(dep->objid);
		*what = psprintf("type %s", format_type_be(dep->objid));
	}
	else if (dep->classid == AccessMethodProcedureRelationId)
	{
		TupleDesc	desc;

		tuple = tg_fresh_catalog_row(AccessMethodProcedureRelationId,
								  AccessMethodProcedureOidIndexId,
								  Anum_pg_amproc_oid, dep->objid, &desc);
		if (tuple != NULL)
			relid = opfamily_user_table(((Form_pg_amproc) GETSTRUCT(tuple))->amprocfamily);
		*what = "an index's operator class";
	}
	return relid;
}

/*
 * Refuse the replacement of function funcid if stored code that runs over
 * the rows of a table with row-level security depends on the object
 * (refclassid, refobjid): the function itself, or an operator it
 * implements (PostgreSQL records the operator an index or a check calls,
 * not its function).
 */
static void
check_code_users(Oid refclassid, Oid refobjid, Oid funcid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(refclassid));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(refobjid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		char	   *what = NULL;
		Oid			relid = code_user_table((Form_pg_depend) GETSTRUCT(tuple),
											&what);

		if (!OidIsValid(relid))
			relid = type_code_user_table((Form_pg_depend) GETSTRUCT(tuple),
										 &what);
		if (OidIsValid(relid))
		{
			TgVerdict	verdict;

			owner_code_verdict(&verdict, TG_OWNER_REPLACE, funcid);
			verdict.what = what;
			verdict.rel = tg_relation_name(relid);
			tg_report(&verdict);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * CREATE OR REPLACE FUNCTION of a function that stored code on a table
 * with row-level security calls, directly or as an operator's function
 * (pg_operator has no index on oprcode: scanned, only when a role inside
 * the rules replaces a function).
 */
static void
check_function_replacement(Oid funcid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;

	check_code_users(ProcedureRelationId, funcid, funcid);
	rel = table_open(OperatorRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tuple);

		if (op->oprcode == funcid)
			check_code_users(OperatorRelationId, op->oid, funcid);
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
			else
				check_column(objectId, (AttrNumber) subId);
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
	if (!OidIsValid(funcid))
		funcid = column_type_code(typid);
	if (OidIsValid(funcid))
		report_owner_code(relid,
						  psprintf(def->raw_default ?
								   "the USING expression of column \"%s\"" :
								   "the new type of column \"%s\"", cmd->name),
						  funcid);
}

/*
 * The harmful code that stored code reaches through what it refers to (a
 * pg_depend row): a function, the checks of a domain it converts values to
 * (at any depth of arrays, ranges and composites), an index's operator
 * class.  Judged as existing code (tg_controlled_inside()).
 */
static Oid
existing_code_of(Form_pg_depend dep)
{
	TgCodeSearch	search = {true, InvalidOid};

	if (dep->refclassid == ProcedureRelationId)
		(void) harmful(dep->refobjid, &search);
	else if (dep->refclassid == TypeRelationId)
		(void) tg_type_code(dep->refobjid, true, &search);
	else if (dep->refclassid == OperatorClassRelationId)
		(void) tg_opclass_code(dep->refobjid, &search);
	else if (dep->refclassid == OperatorRelationId)
		(void) harmful(get_opcode(dep->refobjid), &search);	/* its function */
	return search.found;
}

/*
 * The support code of the types of a table's columns (column_type_code()),
 * which ANALYZE and index builds run over every row.
 */
static Oid
existing_column_code(Oid relid)
{
	Relation	rel = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			found = InvalidOid;

	/*
	 * From pg_attribute, without locking the table: the statement locks it
	 * more strongly later, and taking a weaker lock first would invite
	 * deadlocks between two such statements.
	 */
	ScanKeyInit(&key, Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, AttributeRelidNumIndexId, true, NULL,
							  1, &key);
	while (!OidIsValid(found) && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tuple);

		if (att->attnum > 0 && !att->attisdropped)
			found = column_type_code(att->atttypid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * A function that stored code on relid (an index, a check constraint, a
 * generated column, a statistics object) calls, that is not built in and
 * whose owner is inside the rules (so could have written anything), or
 * InvalidOid; directly, through the domains and operator classes it uses,
 * or through the support code of the table's column types.  Found through
 * pg_depend, which records both steps.
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
			found = existing_code_of((Form_pg_depend) GETSTRUCT(ftuple));
		systable_endscan(fscan);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(found))
		found = existing_column_code(relid);
	return found;
}

/*
 * check_rebuild() of a table known by its OID.  The statements recurse to
 * the table's partitions and inheritance children, whose code counts as
 * the table's: each one with row-level security is judged.
 */
static void
check_rebuild_relid(Oid relid, const char *what)
{
	List	   *tables = find_all_inheritors(relid, NoLock, NULL);
	ListCell   *lc;

	foreach(lc, tables)
	{
		Oid			table = lfirst_oid(lc);
		Oid			funcid;

		if (!has_rls(table))
			continue;
		funcid = existing_owner_code(table);
		if (OidIsValid(funcid))
			report_owner_code(table, what, funcid);
	}
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

	if (relation == NULL)
		return;
	relid = RangeVarGetRelid(relation, NoLock, true);
	if (OidIsValid(relid) && is_index)
		relid = get_rel_relkind(relid) == RELKIND_INDEX ||
			get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX ?
			IndexGetRelation(relid, true) : InvalidOid;
	if (OidIsValid(relid))
		check_rebuild_relid(relid, what);
}

/*
 * A statement that names no table (ANALYZE;, VACUUM (FULL);, CLUSTER;,
 * REINDEX SCHEMA or DATABASE) re-runs the stored code of every table the
 * role may process, in the schema if one is given: those it owns, or all
 * if it owns the database.  Refused if one of them with row-level security
 * has code check_rebuild() would refuse.
 */
static void
check_unnamed_rebuild(Oid nspid, const char *what)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			roleid = GetUserId();
	bool		all = tg_database_ownercheck(MyDatabaseId, roleid);
	Oid			relid = InvalidOid;
	Oid			funcid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_class_relnamespace, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nspid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL,
							  OidIsValid(nspid) ? 1 : 0, &key);
	while (!OidIsValid(funcid) && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (!form->relrowsecurity ||
			(form->relkind != RELKIND_RELATION &&
			 form->relkind != RELKIND_PARTITIONED_TABLE) ||
			(!all && !tg_relation_ownercheck(form->oid, roleid)))
			continue;
		relid = form->oid;
		funcid = existing_owner_code(relid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
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
	if (stmt->rels == NIL)
		check_unnamed_rebuild(InvalidOid,
							  stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE");
	foreach(lc, stmt->rels)
		check_rebuild(lfirst_node(VacuumRelation, lc)->relation, false,
					  stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE");
}

/* REINDEX of a table, an index, a schema or the database */
static void
check_reindex(ReindexStmt *stmt)
{
	Oid			nspid;

	switch (stmt->kind)
	{
		case REINDEX_OBJECT_TABLE:
		case REINDEX_OBJECT_INDEX:
			check_rebuild(stmt->relation,
						  stmt->kind == REINDEX_OBJECT_INDEX, "REINDEX");
			break;
		case REINDEX_OBJECT_SCHEMA:
			nspid = get_namespace_oid(stmt->name, true);
			if (OidIsValid(nspid))
				check_unnamed_rebuild(nspid, "REINDEX");
			break;
		case REINDEX_OBJECT_DATABASE:
			check_unnamed_rebuild(InvalidOid, "REINDEX");
			break;
		default:
			break;				/* REINDEX SYSTEM: the catalogs only */
	}
}

/*
 * ALTER DOMAIN ... VALIDATE CONSTRAINT of a domain that a table with
 * row-level security uses: the check (made NOT VALID before the table used
 * the domain) runs over every tenant's rows.
 */
static void
check_domain_validation(AlterDomainStmt *stmt)
{
	Oid			typid;
	Oid			conid;
	HeapTuple	tuple;
	Oid			funcid = InvalidOid;
	bool		isnull;
	Datum		bin;

	if (stmt->subtype != 'V')
		return;
	typid = LookupTypeNameOid(NULL, makeTypeNameFromNameList(stmt->typeName),
							  true);
	if (!OidIsValid(typid))
		return;					/* ALTER DOMAIN will say what is wrong */
	conid = get_domain_constraint_oid(typid, stmt->name, true);
	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conid));
	if (!HeapTupleIsValid(tuple))
		return;
	bin = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_conbin, &isnull);
	if (!isnull)
		funcid = foreign_code_in(stringToNode(TextDatumGetCString(bin)));
	ReleaseSysCache(tuple);
	if (OidIsValid(funcid) && OidIsValid(type_user_table(typid)))
		report_domain_code(stmt->name, typid, funcid);
}

/*
 * CREATE CAST ... WITH FUNCTION by a role inside the rules.  PostgreSQL
 * calls casts where no statement names them: the built-in functions that
 * turn any value into text or json (text || anynonarray, quote_literal(),
 * to_json()) and a foreign key's validation call them, in DDL that reads
 * every tenant's rows.  Refused unless the function is built in and not
 * volatile; WITHOUT FUNCTION and WITH INOUT run no code of the role's.
 */
static void
check_create_cast(CreateCastStmt *stmt)
{
	Oid			source;
	Oid			target;
	Oid			funcid;
	TgVerdict	verdict;

	if (stmt->func == NULL)
		return;
	/* PostgreSQL's own refusals (no such type, no privilege) come first */
	source = LookupTypeNameOid(NULL, stmt->sourcetype, true);
	target = LookupTypeNameOid(NULL, stmt->targettype, true);
	if (!OidIsValid(source) || !OidIsValid(target) ||
		!tg_may_create_cast(source, target, GetUserId()))
		return;
	funcid = LookupFuncWithArgs(OBJECT_FUNCTION, stmt->func, true);
	if (!OidIsValid(funcid) || !is_foreign_code(funcid))
		return;
	owner_code_verdict(&verdict, TG_OWNER_CAST, funcid);
	verdict.role = GetUserNameFromId(GetUserId(), false);
	tg_report(&verdict);
}

/*
 * The code a partitioned table's key runs over a row: its expressions,
 * judged as new code, and the support functions of its operator classes,
 * judged as existing code.  InvalidOid if none.
 */
static Oid
partition_key_code(Oid parent)
{
	HeapTuple	tuple = SearchSysCache1(PARTRELID, ObjectIdGetDatum(parent));
	Form_pg_partitioned_table part;
	Datum		datum;
	bool		isnull;
	oidvector  *classes;
	Oid			found = InvalidOid;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	part = (Form_pg_partitioned_table) GETSTRUCT(tuple);
	datum = SysCacheGetAttr(PARTRELID, tuple,
							Anum_pg_partitioned_table_partexprs, &isnull);
	if (!isnull)
		found = foreign_code_in(stringToNode(TextDatumGetCString(datum)));
	datum = SysCacheGetAttr(PARTRELID, tuple,
							Anum_pg_partitioned_table_partclass, &isnull);
	classes = (oidvector *) DatumGetPointer(datum);
	for (int i = 0; i < part->partnatts && !OidIsValid(found); i++)
	{
		TgCodeSearch existing = {true, InvalidOid};

		found = tg_opclass_code(classes->values[i], &existing);
	}
	ReleaseSysCache(tuple);
	return found;
}

/*
 * ATTACH PARTITION checks the partition constraint on every row of the
 * table attached, and it and CREATE TABLE ... PARTITION OF on every row of
 * the parent's default partition: the parent's partition key runs over
 * them.  Refused if one of those tables has row-level security and the key
 * runs code rule 6 refuses.
 */
static void
check_partition_key(Oid parent, Oid attached, const char *what)
{
	Oid			scanned[2];
	Oid			funcid = InvalidOid;

	if (!OidIsValid(parent) ||
		get_rel_relkind(parent) != RELKIND_PARTITIONED_TABLE)
		return;
	scanned[0] = attached;
	scanned[1] = get_default_partition_oid(parent);
	for (int i = 0; i < 2; i++)
	{
		if (!OidIsValid(scanned[i]) || !has_rls(scanned[i]))
			continue;
		if (!OidIsValid(funcid))
			funcid = partition_key_code(parent);
		if (OidIsValid(funcid))
			report_owner_code(scanned[i], what, funcid);
	}
}

/*
 * ALTER TYPE ... ALTER ATTRIBUTE ... TYPE ... CASCADE changes the column of
 * every table of the composite type (CREATE TABLE ... OF type), and
 * rewrites it: judged as ALTER COLUMN ... TYPE on each with row-level
 * security.
 */
static void
check_alter_attribute_type(AlterTableStmt *stmt, AlterTableCmd *cmd)
{
	Oid			typrel = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid			typid = OidIsValid(typrel) ? get_rel_type_id(typrel) : InvalidOid;
	Relation	depend;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *tables = NIL;
	ListCell   *lc;

	if (!OidIsValid(typid))
		return;
	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL,
							  2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->classid == RelationRelationId && dep->objsubid == 0 &&
			get_rel_relkind(dep->objid) == RELKIND_RELATION)
			tables = list_append_unique_oid(tables, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	foreach(lc, tables)
	{
		Oid			relid = lfirst_oid(lc);

		if (!has_rls(relid))
			continue;
		check_rebuild_relid(relid, "ALTER TYPE");
		check_alter_column_type(relid, cmd);
	}
}

/* Does ALTER TABLE ... ADD COLUMN rewrite the table (a default, identity)? */
static bool
adds_rewriting_column(AlterTableCmd *cmd)
{
	ColumnDef  *def = (ColumnDef *) cmd->def;
	ListCell   *lc;

	if (cmd->subtype != AT_AddColumn || def == NULL || !IsA(def, ColumnDef))
		return false;
	if (def->raw_default != NULL || def->identity)
		return true;
	foreach(lc, def->constraints)
	{
		ConstrType	contype = lfirst_node(Constraint, lc)->contype;

		if (contype == CONSTR_DEFAULT || contype == CONSTR_IDENTITY ||
			contype == CONSTR_GENERATED)
			return true;
	}
	return false;
}

/* REINDEX, CLUSTER, VACUUM and ANALYZE run stored code again. */
static void
check_maintenance_statement(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_ReindexStmt:
			check_reindex((ReindexStmt *) parsetree);
			break;
		case T_ClusterStmt:
			if (((ClusterStmt *) parsetree)->relation == NULL)
				check_unnamed_rebuild(InvalidOid, "CLUSTER");
			else
				check_rebuild(((ClusterStmt *) parsetree)->relation, false,
							  "CLUSTER");
			break;
		default:
			check_vacuum((VacuumStmt *) parsetree);
			break;
	}
}

/*
 * A maintenance command, judged with the search_path PostgreSQL runs its
 * stored code with (type_code.c).
 */
static pg_noinline void
check_maintenance(Node *parsetree)
{
	tg_judge_maintenance(true);
	PG_TRY();
	{
		check_maintenance_statement(parsetree);
	}
	PG_FINALLY();
	{
		tg_judge_maintenance(false);
	}
	PG_END_TRY();
}

/*
 * Before a utility statement: ALTER COLUMN ... TYPE by a role inside the
 * rules on a table with row-level security, statements that run stored code
 * again, ALTER DOMAIN ... VALIDATE CONSTRAINT.
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
		case T_ClusterStmt:
		case T_VacuumStmt:
			check_maintenance(parsetree);
			return;
		case T_AlterDomainStmt:
			check_domain_validation((AlterDomainStmt *) parsetree);
			return;
		case T_CreateCastStmt:
			check_create_cast((CreateCastStmt *) parsetree);
			return;
		case T_CreateStmt:
			if (((CreateStmt *) parsetree)->partbound != NULL &&
				((CreateStmt *) parsetree)->inhRelations != NIL)
				check_partition_key(RangeVarGetRelid(linitial(((CreateStmt *) parsetree)->inhRelations),
													 NoLock, true),
									InvalidOid, "CREATE TABLE ... PARTITION OF");
			return;
		case T_AlterTableStmt:
			break;
		default:
			return;
	}
	stmt = (AlterTableStmt *) parsetree;
	if (stmt->objtype == OBJECT_TYPE)
	{
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_AlterColumnType)
				check_alter_attribute_type(stmt, cmd);
		}
		return;
	}
	if (stmt->objtype != OBJECT_TABLE)
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_ValidateConstraint ||
			cmd->subtype == AT_SetLogged || cmd->subtype == AT_SetUnLogged ||
			tg_at_sets_access_method(cmd->subtype) ||
			adds_rewriting_column(cmd))
			check_rebuild(stmt->relation, false, "ALTER TABLE");
		if (cmd->subtype == AT_AttachPartition)
			check_partition_key(RangeVarGetRelid(stmt->relation, NoLock, true),
								RangeVarGetRelid(((PartitionCmd *) cmd->def)->name,
												 NoLock, true),
								"ATTACH PARTITION");
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

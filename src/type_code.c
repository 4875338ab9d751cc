/*-------------------------------------------------------------------------
 *
 * type_code.c
 *	  Rule 6 through types: the code that a type's values run.
 *
 * Converting a value to a domain runs the domain's checks, and converting
 * it to an array, range, multirange or composite type converts each
 * element, bound or attribute, down to any domain inside.  And a type has
 * support code that runs over every row without any conversion: a range's
 * subtype_diff (ANALYZE, GiST builds) and canonical function, and the
 * functions of operator classes (index builds; ANALYZE with a type's
 * default btree and hash classes).  owner_code.c asks for the first
 * harmful function of either kind; this file walks the catalogs for it.
 *
 * Support functions are judged as existing code is (tg_controlled_inside()): a
 * role inside the rules picks a type or an operator class, but not their
 * functions, which whoever made them chose; extensions' functions, which
 * are not built in either, are a superuser's.  A domain's checks are
 * expressions, judged by owner_code.c's walker (tg_find_harmful_code()).
 *
 * src/type_code.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_amop.h"
#include "catalog/namespace.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "compat.h"
#include "role_cache.h"
#include "tenant_guard.h"
#include "type_code.h"

/*
 * Built-in functions that convert a value to a type named by an argument:
 * the input and receive functions of arrays, records, ranges, multiranges
 * and domains run whatever that type's conversion runs (a domain's
 * checks), so called directly (domain_in(item::cstring, 'd'::regtype, -1))
 * they run code that the expression does not show.  Casts that use them
 * (CoerceViaIO) are judged by their result type instead.
 */
bool
tg_converts_to_any_type(Oid funcid)
{
	switch (funcid)
	{
		case F_ARRAY_IN:
		case F_ARRAY_RECV:
		case F_RECORD_IN:
		case F_RECORD_RECV:
		case F_RANGE_IN:
		case F_RANGE_RECV:
		case F_MULTIRANGE_IN:
		case F_MULTIRANGE_RECV:
		case F_DOMAIN_IN:
		case F_DOMAIN_RECV:
			return true;
		default:
			return tg_func_converts_to_named_type(funcid);
	}
}

/* Is the code judged run by a maintenance command (tg_judge_maintenance())? */
static bool judging_maintenance = false;

/* May the current role or the session's role create objects in the schema? */
static bool
capturing(Oid nspid)
{
	return OidIsValid(nspid) && !isTempNamespace(nspid) &&
		(tg_may_create_in_schema(nspid, GetUserId()) ||
		 tg_may_create_in_schema(nspid, GetOuterUserId()));
}

/*
 * Is there a schema named after a role inside the rules that owns it?
 * "$user" in a search_path names the schema of whichever role runs the
 * code: a maintenance command runs stored code as the table's owner, with
 * the search_path looked up again for that role.
 */
static bool
role_schema_inside(void)
{
	Relation	rel = table_open(NamespaceRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	bool		found = false;

	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tuple);
		char	   *owner = GetUserNameFromId(nsp->nspowner, true);

		found = owner != NULL && strcmp(owner, NameStr(nsp->nspname)) == 0 &&
			!tg_role_is_exempt(nsp->nspowner);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Does the session's search_path name a schema capturing() is true of, or
 * "$user" while a role inside the rules has a schema of its name?  The
 * temporary schema does not count: functions and operators are never
 * looked up there.  From PostgreSQL 17 maintenance commands (REINDEX,
 * ANALYZE, CLUSTER, VACUUM) use a search_path of their own instead
 * (tg_judge_maintenance()).
 */
static bool
session_path_captures(void)
{
	List	   *path;
	ListCell   *lc;
	bool		found = false;

	if (judging_maintenance)
		return false;
	path = fetch_search_path(false);
	foreach(lc, path)
	{
		if (capturing(lfirst_oid(lc)))
		{
			found = true;
			break;
		}
	}
	list_free(path);
	return found || (strstr(namespace_search_path, "$user") != NULL &&
					 role_schema_inside());
}

/*
 * Judge the code a maintenance command runs (PostgreSQL 17 and later run
 * it with search_path pg_catalog, pg_temp: the session's does not count).
 * Ended by tg_judge_maintenance(false), also on error.
 */
void
tg_judge_maintenance(bool on)
{
	judging_maintenance = on && TG_MAINTENANCE_HAS_OWN_SEARCH_PATH;
}

/*
 * The search_path a function's SET clause gives it, or NULL if it has
 * none and runs with the caller's.
 */
static char *
own_search_path(HeapTuple proctup)
{
	bool		isnull;
	Datum		config = SysCacheGetAttr(PROCOID, proctup,
										 Anum_pg_proc_proconfig, &isnull);
	Datum	   *items;
	int			n;

	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false,
					  TYPALIGN_INT, &items, NULL, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *item = TextDatumGetCString(items[i]);

		if (strncmp(item, "search_path=", 12) == 0)
			return item + 12;
	}
	return NULL;
}

/* Does a search_path value name a schema capturing() is true of? */
static bool
path_value_captures(const char *value)
{
	List	   *names;
	ListCell   *lc;

	if (!SplitIdentifierString(pstrdup(value), ',', &names))
		return false;			/* the function fails to run */
	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);

		if (strcmp(name, "$user") == 0)
		{
			/* the schema of whichever role runs it: the table's owner too */
			if (role_schema_inside())
				return true;
			name = GetUserNameFromId(GetUserId(), true);
		}
		if (name != NULL && capturing(get_namespace_oid(name, true)))
			return true;
	}
	return false;
}

/*
 * Could a role inside the rules decide what an existing function does?  It
 * could if it owns it (and so could have written anything), unless it is
 * built in; and if the function is in a language that looks names up when
 * it runs (SQL, PL/pgSQL, ...) and its search_path (its own, or else the
 * session's) names a schema where such a role may create objects: a
 * function of that name there, or an operator, takes the place of the one
 * the body meant.  PostgreSQL 17 and later run maintenance
 * commands with a search_path of their own, but not the rest of DDL, nor a
 * referential action's triggers.
 */
bool
tg_controlled_inside(Oid funcid)
{
	HeapTuple	tuple;
	Form_pg_proc proc;
	bool		controlled;

	if (funcid < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (!tg_role_is_exempt(proc->proowner))
		controlled = true;
	else if (proc->prolang == ClanguageId || proc->prolang == INTERNALlanguageId)
		controlled = false;
	else
	{
		char	   *path = own_search_path(tuple);

		controlled = path != NULL ? path_value_captures(path) :
			session_path_captures();
	}
	ReleaseSysCache(tuple);
	return controlled;
}

/* A type support function, judged by tg_controlled_inside(). */
static bool
harmful_support(Oid funcid, TgCodeSearch *search)
{
	if (!OidIsValid(funcid) || !tg_controlled_inside(funcid))
		return false;
	search->found = funcid;
	return true;
}

/*
 * The first harmful function of a domain's own CHECK constraints (not its
 * base type's), or InvalidOid.
 */
static Oid
domain_check_code(Oid typid, TgCodeSearch *search)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL,
							  1, &key);
	while (!OidIsValid(search->found) &&
		   HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
									   RelationGetDescr(rel), &isnull);

		if (!isnull)
			(void) tg_find_harmful_code(stringToNode(TextDatumGetCString(bin)),
									   search);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return search->found;
}

/*
 * The functions of an operator family: support functions, and those of its
 * operators.  Index builds call them on every row they sort or place, and
 * ANALYZE the ones of a column type's default operator classes.  Operator
 * classes are a superuser's, but the functions may be another role's, who
 * can replace them.
 */
static Oid
opfamily_code(Oid opfamily, TgCodeSearch *search)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	rel = table_open(AccessMethodProcedureRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_amproc_amprocfamily, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(opfamily));
	scan = systable_beginscan(rel, AccessMethodProcedureIndexId, true, NULL,
							  1, &key);
	while (!OidIsValid(search->found) &&
		   HeapTupleIsValid(tuple = systable_getnext(scan)))
		(void) harmful_support(((Form_pg_amproc) GETSTRUCT(tuple))->amproc,
							   search);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	rel = table_open(AccessMethodOperatorRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_amop_amopfamily, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(opfamily));
	scan = systable_beginscan(rel, AccessMethodStrategyIndexId, true, NULL,
							  1, &key);
	while (!OidIsValid(search->found) &&
		   HeapTupleIsValid(tuple = systable_getnext(scan)))
		(void) harmful_support(get_opcode(((Form_pg_amop) GETSTRUCT(tuple))->amopopr),
							   search);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return search->found;
}

Oid
tg_opclass_code(Oid opclass, TgCodeSearch *search)
{
	if (!OidIsValid(opclass))
		return InvalidOid;
	return opfamily_code(get_opclass_family(opclass), search);
}

/*
 * A range type's own code: its canonical function (which every conversion
 * to the range calls), its subtype_diff function (which ANALYZE and GiST
 * index builds call on every row), and its subtype's operator class (which
 * compares the bounds).
 */
static Oid
range_code(Oid typid, TgCodeSearch *search)
{
	HeapTuple	tuple = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
	Form_pg_range range;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	range = (Form_pg_range) GETSTRUCT(tuple);
	if (!harmful_support(range->rngcanonical, search) &&
		!harmful_support(range->rngsubdiff, search))
		(void) tg_opclass_code(range->rngsubopc, search);
	ReleaseSysCache(tuple);
	return search->found;
}

/*
 * The code of a type's default btree and hash operator classes, with which
 * ANALYZE sorts and compares a column's values (and extended statistics
 * and GROUP BY theirs).  Built-in types have built-in ones, but a
 * superuser may make a default class for a type that has none (point, a
 * composite type) over another role's function.
 */
static Oid
default_opclass_code(Oid typid, TgCodeSearch *search)
{
	if (!OidIsValid(tg_opclass_code(GetDefaultOpClass(typid, BTREE_AM_OID),
								 search)))
		(void) tg_opclass_code(GetDefaultOpClass(typid, HASH_AM_OID), search);
	return search->found;
}

/* tg_type_code() of each attribute of a composite type */
static Oid
composite_code(Oid typid, bool conversion, TgCodeSearch *search)
{
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(typid, -1);

	for (int i = 0; i < tupdesc->natts && !OidIsValid(search->found); i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			(void) tg_type_code(att->atttypid, conversion, search);
	}
	ReleaseTupleDesc(tupdesc);
	return search->found;
}

/*
 * The first harmful function that a type's values can run, or InvalidOid:
 * the support functions of ranges (range_code()), and, for a conversion to
 * the type, the checks of domains; through domains' base types, the
 * elements of arrays, the attributes of composite types and the subtypes
 * of ranges and multiranges, at any depth (a domain over an array of a
 * composite of a domain).  Converting a value to an array converts each
 * element, and so on down.  Without conversion, the code that storing,
 * comparing and analyzing values runs, with the functions of default
 * operator classes: ANALYZE and index builds call no domain checks.
 */
Oid
tg_type_code(Oid typid, bool conversion, TgCodeSearch *search)
{
	HeapTuple	tuple;
	Form_pg_type typ;
	Oid			inner = InvalidOid;

	check_stack_depth();
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	switch (typ->typtype)
	{
		case TYPTYPE_DOMAIN:
			if (conversion)
				(void) domain_check_code(typid, search);
			inner = typ->typbasetype;
			break;
		case TYPTYPE_COMPOSITE:
			(void) composite_code(typid, conversion, search);
			break;
		case TYPTYPE_RANGE:
			if (!OidIsValid(range_code(typid, search)))
				inner = get_range_subtype(typid);
			break;
		case TYPTYPE_MULTIRANGE:
			inner = get_multirange_range(typid);
			break;
		default:
			if (OidIsValid(typ->typelem) && typ->typlen == -1)
				inner = typ->typelem;	/* an array */
			break;
	}
	ReleaseSysCache(tuple);
	if (!conversion && !OidIsValid(search->found))
		(void) default_opclass_code(typid, search);
	if (!OidIsValid(search->found) && OidIsValid(inner))
		(void) tg_type_code(inner, conversion, search);
	return search->found;
}

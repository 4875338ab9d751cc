/*-------------------------------------------------------------------------
 *
 * policy_analysis.c
 *	  Does a row-level security policy enforce the tenant condition?
 *
 * The classic policy bug is an OR where an AND belonged:
 * "tenant_id = current_setting(...)::int OR is_admin" lets every admin row
 * of every tenant through.  Grepping policy text for "OR" finds too much and
 * too little, so the audit asks this module instead, which reads the
 * policy's expression tree as PostgreSQL stored it.
 *
 * An expression enforces the tenant condition when, whatever else it says,
 * a row can only pass if its tenant column equals the tenant of the
 * transaction:
 *
 *	col = T					where col is the tenant column (possibly cast, but
 *							only in ways that keep distinct values distinct:
 *							no ::boolean, ::"char", numeric to integer,
 *							char(n) truncation; see strip_casts_side()),
 *							= is the equality of a btree operator family, and
 *							compared with a deterministic collation, and
 *							T is exactly the tenant: tenant_guard.tenant() or
 *							current_setting() of the tenant setting, possibly
 *							cast (parsed into an integer or uuid, or cast
 *							exactly), under NULLIF(T, constant) or in a scalar
 *							subquery (SELECT T);
 *	col = ANY (A)			where A is such a T cast to an array,
 *							string_to_array(T, ...), or ARRAY[T, ...] of
 *							such T only;
 *	A AND B					if either side enforces it;
 *	A OR B					if both sides do.
 *
 * Anything else (true, NOT, CASE, COALESCE, another function of the tenant,
 * an array with other elements) is taken not to.  The analysis is
 * conservative: it may call a safe but unusual policy unsafe, never the
 * other way round.
 *
 * src/policy_analysis.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/stratnum.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "compat.h"
#include "policy_analysis.h"
#include "tenant_guard.h"

TG_FUNCTION_INFO_V1(tenant_guard_policy_enforces_tenant);

/* OID of tenant_guard.tenant(), or InvalidOid if not installed. */
Oid
tg_tenant_function_oid(void)
{
	List	   *name = list_make2(makeString("tenant_guard"),
								  makeString("tenant"));

	return LookupFuncName(name, 0, NULL, true);
}

typedef struct TenantRefContext
{
	Oid			tenant_func;	/* tenant_guard.tenant() */
	bool		found;
} TenantRefContext;

/* Is this a call that reads the tenant? */
static bool
is_tenant_read(Node *node, TenantRefContext *cxt)
{
	FuncExpr   *func;
	Const	   *name;

	if (!IsA(node, FuncExpr))
		return false;
	func = (FuncExpr *) node;
	if (OidIsValid(cxt->tenant_func) && func->funcid == cxt->tenant_func)
		return true;
	if (func->funcid != F_CURRENT_SETTING_TEXT &&
		func->funcid != F_CURRENT_SETTING_TEXT_BOOL)
		return false;
	name = (Const *) linitial(func->args);
	return IsA(name, Const) && !name->constisnull &&
		name->consttype == TEXTOID &&
		tg_is_tenant_setting(TextDatumGetCString(name->constvalue));
}

static bool
find_tenant_read(Node *node, TenantRefContext *cxt)
{
	if (node == NULL)
		return false;
	if (is_tenant_read(node, cxt))
	{
		cxt->found = true;
		return true;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, find_tenant_read,
								 (void *) cxt, 0);
	return expression_tree_walker(node, find_tenant_read, (void *) cxt);
}

/*
 * Which side of a comparison an expression is on.  Casts are stripped only
 * where they preserve equality on that side (see strip_casts()).
 */
typedef enum CastSide
{
	SIDE_COLUMN,				/* the row's tenant column */
	SIDE_TENANT,				/* the tenant read from the setting */
	SIDE_ANY					/* anything: only looking for a constant */
} CastSide;

/*
 * Types whose values have exactly one text form, and between which the
 * built-in casts are exact: integers (a narrowing cast fails rather than
 * wraps), oid, uuid and unbounded text.
 */
static bool
is_exact_type(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case UUIDOID:
		case TEXTOID:
		case VARCHAROID:
			return true;
		default:
			return false;
	}
}

/*
 * Does a cast from source to target keep distinct values distinct, so that
 * equality after the cast means equality before it?  On the column side it
 * must hold for every value of the column: integers among themselves or
 * to numeric, an exact type, name or char to text.  On the tenant side the
 * setting's text may also be parsed into any type by its input function
 * (text to integer, uuid, numeric, or the column's own type, as protect()
 * writes it): each string names at most one value, and the rows that match
 * all have that one value.  Everything else loses information: numeric or float to
 * integer rounds, anything to boolean or "char" collapses values, char(n)
 * and varchar(n) truncate (their length coercion is a separate call with a
 * typmod, refused below), text to name truncates, and a cast to a type of
 * an extension (citext) may compare more loosely.
 */
static bool
cast_preserves_equality(Node *cast, Oid source, Oid target, CastSide side)
{
	bool		from_text;
	bool		to_text;

	if (side == SIDE_ANY)
		return true;
	source = getBaseType(source);
	target = getBaseType(target);
	from_text = source == TEXTOID || source == VARCHAROID;
	to_text = target == TEXTOID || target == VARCHAROID;
	if (source == target)
		return true;
	/* the setting's text parsed by the type's input function */
	if (side == SIDE_TENANT && from_text &&
		(IsA(cast, CoerceViaIO) || IsA(cast, RelabelType)))
		return true;
	if (is_exact_type(source) && is_exact_type(target))
		/* text parsed into an integer or uuid: "01" and "1" are one value */
		return to_text || !from_text || side == SIDE_TENANT;
	if (target == NUMERICOID)
		return source == INT2OID || source == INT4OID || source == INT8OID;
	return to_text && (source == NAMEOID || source == BPCHAROID);
}

/*
 * Strip casts and collations that preserve equality on this side of a
 * comparison (collations are judged at the comparison, whose input
 * collation must be deterministic).  A lossy cast is left in place, where
 * it is neither the column nor the tenant.
 */
static Node *
strip_casts_side(Node *node, CastSide side)
{
	for (;;)
	{
		Node	   *arg;

		if (node == NULL)
			return NULL;
		if (IsA(node, CollateExpr))
		{
			node = (Node *) ((CollateExpr *) node)->arg;
			continue;
		}
		if (IsA(node, RelabelType))
			arg = (Node *) ((RelabelType *) node)->arg;
		else if (IsA(node, CoerceViaIO))
			arg = (Node *) ((CoerceViaIO *) node)->arg;
		else if (IsA(node, ArrayCoerceExpr))
		{
			ArrayCoerceExpr *ac = (ArrayCoerceExpr *) node;

			/* each element must be cast the same, equality-preserving way */
			if (side != SIDE_ANY &&
				!IsA(strip_casts_side((Node *) ac->elemexpr, side), CaseTestExpr))
				return node;
			node = (Node *) ac->arg;
			continue;
		}
		else if (IsA(node, FuncExpr) &&
				 (((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CAST ||
				  ((FuncExpr *) node)->funcformat == COERCE_IMPLICIT_CAST) &&
				 list_length(((FuncExpr *) node)->args) == 1)
			arg = linitial(((FuncExpr *) node)->args);
		else
			return node;

		if (!cast_preserves_equality(node, exprType(arg), exprType(node), side))
		{
			/* an array parsed from the setting: judge its elements */
			Oid			selem = get_element_type(exprType(arg));
			Oid			telem = get_element_type(exprType(node));

			if (!IsA(node, CoerceViaIO) || !OidIsValid(telem) ||
				!cast_preserves_equality(node,
										 OidIsValid(selem) ? selem : exprType(arg),
										 telem, side))
				return node;
		}
		node = arg;
	}
}

/* Strip any casts, to find a constant. */
static Node *
strip_casts(Node *node)
{
	return strip_casts_side(node, SIDE_ANY);
}

/* Does a comparison with this input collation tell equal values apart? */
static bool
collation_is_exact(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

/* Is the query just SELECT <expression>, with nothing else? */
static bool
is_plain_select_of_one(Query *query)
{
	return query->commandType == CMD_SELECT && query->rtable == NIL &&
		query->jointree->fromlist == NIL && query->jointree->quals == NULL &&
		list_length(query->targetList) == 1 && query->setOperations == NULL &&
		query->cteList == NIL && !query->hasAggs && !query->hasWindowFuncs &&
		!query->hasTargetSRFs && query->groupClause == NIL &&
		query->havingQual == NULL && query->limitCount == NULL &&
		query->limitOffset == NULL;
}

/*
 * Is the expression exactly the tenant, read from the tenant setting, and
 * nothing else: a read of it (possibly cast), NULLIF(<read>, <constant>),
 * or a scalar subquery selecting one?  Anything computed from the tenant
 * (a CASE, a function, an array with other elements) could map it to
 * another tenant, and does not count.
 */
static bool
is_tenant_value(Node *node, TenantRefContext *cxt)
{
	node = strip_casts_side(node, SIDE_TENANT);
	if (node == NULL)
		return false;
	if (is_tenant_read(node, cxt))
		return true;
	if (IsA(node, NullIfExpr))
	{
		NullIfExpr *nullif = (NullIfExpr *) node;

		return is_tenant_value(linitial(nullif->args), cxt) &&
			IsA(strip_casts(lsecond(nullif->args)), Const);
	}
	if (IsA(node, SubLink) &&
		((SubLink *) node)->subLinkType == EXPR_SUBLINK &&
		is_plain_select_of_one((Query *) ((SubLink *) node)->subselect))
	{
		Query	   *query = (Query *) ((SubLink *) node)->subselect;

		return is_tenant_value((Node *) linitial_node(TargetEntry,
													  query->targetList)->expr,
							   cxt);
	}
	return false;
}

/*
 * Is the expression an array of tenants read from the tenant setting (for
 * col = ANY (...)): the setting cast to an array, string_to_array() of it,
 * or an ARRAY[...] whose every element is the tenant?
 */
static bool
is_tenant_array(Node *node, TenantRefContext *cxt)
{
	ListCell   *lc;

	node = strip_casts_side(node, SIDE_TENANT);
	if (node == NULL)
		return false;
	if (IsA(node, ArrayExpr))
	{
		if (((ArrayExpr *) node)->elements == NIL)
			return false;
		foreach(lc, ((ArrayExpr *) node)->elements)
		{
			if (!is_tenant_value(lfirst(lc), cxt))
				return false;
		}
		return true;
	}
	if (IsA(node, FuncExpr) &&
		(((FuncExpr *) node)->funcid == F_STRING_TO_ARRAY_TEXT_TEXT ||
		 ((FuncExpr *) node)->funcid == F_STRING_TO_ARRAY_TEXT_TEXT_TEXT))
	{
		List	   *args = ((FuncExpr *) node)->args;

		if (!is_tenant_value(linitial(args), cxt))
			return false;
		for_each_from(lc, args, 1)
		{
			if (!IsA(strip_casts(lfirst(lc)), Const))
				return false;
		}
		return true;
	}
	return is_tenant_value(node, cxt);
}

/* Does the expression mention tenant_guard.tenant()? */
bool
tg_expr_reads_tenant_function(Node *node)
{
	TenantRefContext cxt = {tg_tenant_function_oid(), false};

	(void) find_tenant_read(node, &cxt);
	return cxt.found && OidIsValid(cxt.tenant_func);
}

/* Is the column itself, possibly cast in a way that keeps it exact? */
static bool
is_column(Node *node, AttrNumber attnum)
{
	node = strip_casts_side(node, SIDE_COLUMN);
	return node != NULL && IsA(node, Var) &&
		((Var *) node)->varlevelsup == 0 &&
		((Var *) node)->varattno == attnum;
}

/*
 * Is the operator the equality of a btree operator family?  Only a
 * superuser can create operator classes, so unlike the operator's name this
 * cannot be faked.
 */
static bool
is_equality(Oid opno)
{
	CatCList   *catlist = SearchSysCacheList1(AMOPOPID, ObjectIdGetDatum(opno));
	bool		result = false;

	for (int i = 0; i < catlist->n_members; i++)
	{
		Form_pg_amop amop = (Form_pg_amop) GETSTRUCT(&catlist->members[i]->tuple);

		if (amop->amopmethod == BTREE_AM_OID &&
			amop->amopstrategy == BTEqualStrategyNumber &&
			amop->amoppurpose == AMOP_SEARCH)
			result = true;
	}
	ReleaseSysCacheList(catlist);
	return result;
}

static bool
enforces(Node *node, AttrNumber attnum, TenantRefContext *cxt)
{
	if (node == NULL)
		return false;

	if (IsA(node, List))
	{
		/* an implicitly-ANDed list */
		ListCell   *lc;

		foreach(lc, (List *) node)
		{
			if (enforces(lfirst(lc), attnum, cxt))
				return true;
		}
		return false;
	}

	if (IsA(node, BoolExpr))
	{
		BoolExpr   *expr = (BoolExpr *) node;
		ListCell   *lc;

		if (expr->boolop == AND_EXPR)
			return enforces((Node *) expr->args, attnum, cxt);
		if (expr->boolop == OR_EXPR)
		{
			foreach(lc, expr->args)
			{
				if (!enforces(lfirst(lc), attnum, cxt))
					return false;
			}
			return true;
		}
		return false;
	}

	if (IsA(node, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) node;
		Node	   *left;
		Node	   *right;

		if (list_length(op->args) != 2 || !is_equality(op->opno) ||
			!collation_is_exact(op->inputcollid))
			return false;
		left = linitial(op->args);
		right = lsecond(op->args);
		return (is_column(left, attnum) && is_tenant_value(right, cxt)) ||
			(is_column(right, attnum) && is_tenant_value(left, cxt));
	}

	if (IsA(node, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *) node;

		return op->useOr && is_equality(op->opno) &&
			collation_is_exact(op->inputcollid) &&
			is_column(linitial(op->args), attnum) &&
			is_tenant_array(lsecond(op->args), cxt);
	}

	return false;
}

/*
 * Does a stored policy expression (pg_node_tree text) enforce the tenant
 * condition on column attnum?
 */
bool
tg_policy_expr_enforces(const char *nodetext, AttrNumber attnum)
{
	TenantRefContext cxt = {tg_tenant_function_oid(), false};

	if (nodetext == NULL)
		return false;
	return enforces(stringToNode(nodetext), attnum, &cxt);
}

static char *
policy_expr_text(HeapTuple tuple, TupleDesc desc, int attno)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attno, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Does a policy row enforce the tenant condition on every row it lets
 * through: in USING for the commands that have one, and in WITH CHECK (or
 * USING standing in for it) for those that check new rows?
 */
bool
tg_policy_tuple_enforces(HeapTuple tuple, TupleDesc desc, AttrNumber attnum)
{
	Form_pg_policy form = (Form_pg_policy) GETSTRUCT(tuple);
	char	   *qual = policy_expr_text(tuple, desc, Anum_pg_policy_polqual);
	char	   *check = policy_expr_text(tuple, desc, Anum_pg_policy_polwithcheck);
	bool		has_using = form->polcmd != ACL_INSERT_CHR;
	bool		has_check = form->polcmd == '*' || form->polcmd == ACL_INSERT_CHR ||
		form->polcmd == ACL_UPDATE_CHR;

	if (has_using && !tg_policy_expr_enforces(qual, attnum))
		return false;
	if (has_check && !tg_policy_expr_enforces(check ? check : qual, attnum))
		return false;
	return true;
}

/*
 * tenant_guard.policy_enforces_tenant(policy oid, tenant_column name):
 * does the policy enforce the tenant condition on that column of its
 * table?  NULL if there is no such policy or column.
 */
Datum
tenant_guard_policy_enforces_tenant(PG_FUNCTION_ARGS)
{
	Oid			policy = PG_GETARG_OID(0);
	Name		column = PG_GETARG_NAME(1);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	bool		isnull = true;
	bool		result = false;

	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(policy));
	scan = systable_beginscan(rel, PolicyOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		Oid			relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
		AttrNumber	attnum = get_attnum(relid, NameStr(*column));

		if (attnum != InvalidAttrNumber)
		{
			result = tg_policy_tuple_enforces(tuple, RelationGetDescr(rel),
											  attnum);
			isnull = false;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(result);
}

/*
 * Find relid's policy polname through pg_policy's index on (table, name),
 * for the judgements of one policy (protect.c, citus.c).
 */
HeapTuple
tg_policy_find(Oid relid, const char *polname, TgPolicyLookup *lookup)
{
	ScanKeyData keys[2];

	lookup->rel = table_open(PolicyRelationId, AccessShareLock);
	lookup->desc = RelationGetDescr(lookup->rel);
	ScanKeyInit(&keys[0], Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_policy_polname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(polname));
	lookup->scan = systable_beginscan(lookup->rel, PolicyPolrelidPolnameIndexId,
									  true, NULL, 2, keys);
	return systable_getnext(lookup->scan);
}

void
tg_policy_done(TgPolicyLookup *lookup)
{
	systable_endscan(lookup->scan);
	table_close(lookup->rel, AccessShareLock);
}

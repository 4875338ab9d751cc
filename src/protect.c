/*-------------------------------------------------------------------------
 *
 * protect.c
 *	  tenant_guard.protect() and tenant_guard.unprotect().
 *
 * protect(tbl, tenant_column) turns a table into a tenant table in one call
 * that a migration can make and repeat:
 *
 *	- the tenant column must exist and be integer, bigint, uuid or text; it
 *	  is made NOT NULL (refused, with the count of offending rows left to
 *	  PostgreSQL's own check, if NULLs exist);
 *	- row-level security is enabled and forced;
 *	- a RESTRICTIVE policy, tenant_guard_isolation, requires
 *	  tenant_column = (SELECT tenant_guard.tenant()::type) for reads and
 *	  writes, and a PERMISSIVE policy, tenant_guard_baseline, lets through
 *	  what the restrictive one allows (where Citus is installed, the
 *	  column is compared with tenant() itself: citus.c).  Because the
 *	  tenant condition is restrictive, a permissive policy someone adds
 *	  later (USING (true), or an OR) cannot widen it.  The uncorrelated subquery is evaluated once
 *	  per statement, so the condition is an index condition; an empty or
 *	  invalid tenant context makes tenant() NULL and matches no row;
 *	- the tenant column defaults to the current tenant;
 *	- an index leads with the tenant column (one is created if none does);
 *	- partitions are protected the same way, now and (drift_guard.c) when
 *	  created or attached later;
 *	- the table is recorded in tenant_guard.registry with what was changed.
 *
 * Every step first looks whether it is needed, so a second call changes
 * nothing, and a call on a table whose protection was altered (with
 * tenant_guard.mode = off) repairs it, saying what it restored.
 *
 * unprotect(tbl) undoes what protect() recorded, partitions included.
 *
 * Both run as their caller, who must own the table, and issue their DDL
 * through SPI with every identifier quoted; only the registry is written as
 * its owner (registry.c).  While they run, the drift guard stands aside.
 *
 * src/protect.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/partition.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "citus.h"
#include "compat.h"
#include "policy_analysis.h"
#include "protect.h"
#include "registry.h"
#include "rel_cache.h"
#include "report.h"

TG_FUNCTION_INFO_V1(tenant_guard_protect);
TG_FUNCTION_INFO_V1(tenant_guard_unprotect);
TG_FUNCTION_INFO_V1(tenant_guard_isolation_intact);

/* Depth of protect()/unprotect() calls in progress. */
static int	protection_change_depth = 0;

/* A table being protected, and its tenant column. */
typedef struct Target
{
	Oid			relid;
	char	   *name;			/* qualified and quoted, for SQL */
	char	   *label;			/* qualified, for messages */
	Oid			nspid;
	char		relkind;
	const char *column;			/* as given */
	char	   *qcolumn;		/* quoted */
	AttrNumber	attnum;
	Oid			typid;
	bool		notnull;
	bool		registered;		/* already in the registry? */
	TgProtection prot;			/* its registry row, existing or new */
} Target;

/* Is protect() or unprotect() running (so the drift guard stands aside)? */
bool
tg_protection_change_in_progress(void)
{
	return protection_change_depth > 0;
}

/* Run one DDL statement as the current user. */
static void
run_ddl(const char *sql)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute(sql, false, 0);
	if (rc < 0)
		elog(ERROR, "tenant_guard could not run \"%s\": %s", sql,
			 SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * The caller must own the table (superusers do), and it must be an
 * ordinary or partitioned table, not a temporary one.  Locks it.
 */
static void
check_table(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		tg_report_no_such_relation(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		tg_report_not_a_table(tg_relation_name(relid));
	if (relid < (Oid) FirstNormalObjectId)
		tg_report_system_catalog(tg_relation_name(relid));
	if (!tg_relation_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(relkind),
					   get_rel_name(relid));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		tg_report_temporary_table(tg_relation_name(relid));

	/* every step alters the table; lock it, then make sure it is still there */
	LockRelationOid(relid, AccessExclusiveLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		tg_report_no_such_relation(relid);
}

/*
 * Describe the table and check its tenant column.  Locks the table: every
 * step of protect() alters it anyway.
 */
static void
target_init(Target *t, Oid relid, const char *column)
{
	HeapTuple	tuple;
	Form_pg_attribute att;

	LockRelationOid(relid, AccessExclusiveLock);	/* partitions come here */
	memset(t, 0, sizeof(*t));
	t->relid = relid;
	t->name = tg_relation_sql(relid);
	t->label = tg_relation_name(relid);
	t->nspid = get_rel_namespace(relid);
	t->relkind = get_rel_relkind(relid);
	t->column = column;
	t->qcolumn = pstrdup(quote_identifier(column));

	tuple = SearchSysCacheAttName(relid, column);
	if (!HeapTupleIsValid(tuple))
		tg_report_no_tenant_column(column, t->label, t->name);
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	t->attnum = att->attnum;
	t->typid = att->atttypid;
	t->notnull = att->attnotnull;
	ReleaseSysCache(tuple);

	if (t->attnum <= 0)
		tg_report_system_tenant_column(column);
	if (t->typid != INT4OID && t->typid != INT8OID &&
		t->typid != UUIDOID && t->typid != TEXTOID)
		tg_report_tenant_column_type(column, t->label,
									 format_type_be(t->typid));

	t->registered = tg_registry_lookup(relid, &t->prot);
	if (t->registered && strcmp(NameStr(t->prot.tenant_column), column) != 0)
		tg_report_other_tenant_column(t->label, t->name,
									  NameStr(t->prot.tenant_column));
	if (!t->registered)
	{
		t->prot.relid = relid;
		namestrcpy(&t->prot.tenant_column, column);
	}
}

/* The tenant expression the policies and the default use. */
static char *
tenant_expression(Target *t)
{
	return psprintf("%s.tenant()::%s", quote_identifier("tenant_guard"),
					format_type_be_qualified(t->typid));
}

/* Say what protect() restored on a table it had protected before. */
static void
note_repair(Target *t, const char *what)
{
	if (t->registered)
		tg_report_restored(what, t->label);
}

/*
 * NOT NULL on the tenant column.  If NULLs exist, PostgreSQL's own check
 * fails; it is caught (in a subtransaction) to say what to do about it.
 */
static int
ensure_not_null(Target *t)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	if (t->notnull)
		return 0;

	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		run_ddl(psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
						 t->name, t->qcolumn));
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		if (edata->sqlerrcode != ERRCODE_NOT_NULL_VIOLATION)
			ReThrowError(edata);
		tg_report_tenant_column_nulls(t->column, t->label);
	}
	PG_END_TRY();

	if (!t->registered)
		t->prot.set_not_null = true;
	note_repair(t, "NOT NULL on the tenant column");
	return 1;
}

/* Row-level security enabled and forced. */
static int
ensure_row_security(Target *t)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(t->relid));
	Form_pg_class form;
	bool		enabled;
	bool		forced;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", t->relid);
	form = (Form_pg_class) GETSTRUCT(tuple);
	enabled = form->relrowsecurity;
	forced = form->relforcerowsecurity;
	ReleaseSysCache(tuple);

	if (enabled && forced)
		return 0;
	run_ddl(psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY",
					 t->name));
	if (!t->registered)
	{
		t->prot.enabled_rls = !enabled;
		t->prot.forced_rls = !forced;
	}
	note_repair(t, "row-level security");
	return 1;
}

/* Does a stored policy expression consist of the constant true? */
static bool
is_constant_true(HeapTuple tuple, TupleDesc desc, int attno)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attno, desc, &isnull);
	Node	   *node;

	if (isnull)
		return false;
	node = stringToNode(TextDatumGetCString(d));
	return IsA(node, Const) && ((Const *) node)->consttype == BOOLOID &&
		!((Const *) node)->constisnull &&
		DatumGetBool(((Const *) node)->constvalue);
}

/*
 * Does the policy tuple (of pg_policy) apply to PUBLIC, for every command?
 * protect()'s policies do; the drift guard asks it of a parent's policies.
 */
bool
tg_policy_applies_to_all(HeapTuple tuple, TupleDesc desc)
{
	Form_pg_policy form = (Form_pg_policy) GETSTRUCT(tuple);
	bool		isnull;
	Datum		roles = heap_getattr(tuple, Anum_pg_policy_polroles, desc,
									 &isnull);
	ArrayType  *arr;

	if (isnull || form->polcmd != '*')
		return false;
	arr = DatumGetArrayTypeP(roles);
	return ARR_NDIM(arr) == 1 && ARR_DIMS(arr)[0] == 1 &&
		((Oid *) ARR_DATA_PTR(arr))[0] == ACL_ID_PUBLIC;
}

/*
 * Is the baseline policy as protect() makes it?  USING (true) WITH CHECK
 * (true), or the tenant condition itself, which lets through exactly what
 * the restrictive isolation policy does; where Citus is installed only the
 * latter, since Citus copies both policies to the shards as permissive
 * ones (citus.c), where a baseline of true would let every tenant's rows
 * through.
 */
static bool
baseline_intact(HeapTuple tuple, TupleDesc desc, AttrNumber attnum)
{
	if (tg_policy_tuple_enforces(tuple, desc, attnum))
		return true;
	return !tg_citus_installed() &&
		is_constant_true(tuple, desc, Anum_pg_policy_polqual) &&
		is_constant_true(tuple, desc, Anum_pg_policy_polwithcheck);
}

/*
 * Is the named policy on relid as protect() makes it?  Returns false if it
 * is missing or different; *exists says which.
 */
static bool
policy_intact(Oid relid, const char *polname, AttrNumber attnum,
			  bool *exists)
{
	TgPolicyLookup lookup;
	HeapTuple	tuple = tg_policy_find(relid, polname, &lookup);
	bool		intact = false;

	*exists = HeapTupleIsValid(tuple);
	if (*exists)
	{
		Form_pg_policy form = (Form_pg_policy) GETSTRUCT(tuple);
		TupleDesc	desc = lookup.desc;

		if (strcmp(polname, TG_ISOLATION_POLICY) == 0)
			intact = !form->polpermissive &&
				tg_policy_applies_to_all(tuple, desc) &&
				tg_policy_tuple_enforces(tuple, desc, attnum);
		else
			intact = form->polpermissive &&
				tg_policy_applies_to_all(tuple, desc) &&
				baseline_intact(tuple, desc, attnum);
	}
	tg_policy_done(&lookup);
	return intact;
}

/*
 * Is the isolation of a protected table intact: does its tenant column
 * still exist, and is its isolation policy as protect() made it, on that
 * column?  *is_protected says whether relid is an existing protected table
 * at all (the answer is false if not).
 *
 * The one definition of "intact": the drift guard asks it after DDL, and
 * tenant_guard.isolation_intact() answers it for protected_tables and
 * audit(), which used to spell it out in SQL.  Whether row-level security
 * is enabled and forced is a question of its own (the drift guard, and
 * the view's rls_enabled and rls_forced, ask it separately).  Reads only
 * catalogs and the registry: no lock on the table, so audit() never waits
 * behind a migration.
 */
bool
tg_protection_intact(Oid relid, bool *is_protected)
{
	TgProtection prot;
	AttrNumber	attnum;
	bool		exists;

	*is_protected = SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) &&
		tg_registry_lookup(relid, &prot);
	if (!*is_protected)
		return false;
	attnum = get_attnum(relid, NameStr(prot.tenant_column));
	return attnum != InvalidAttrNumber &&
		policy_intact(relid, TG_ISOLATION_POLICY, attnum, &exists);
}

/*
 * tenant_guard.isolation_intact(tbl regclass): tg_protection_intact() for
 * SQL; NULL if tbl is not a protected table.
 */
Datum
tenant_guard_isolation_intact(PG_FUNCTION_ARGS)
{
	bool		is_protected;
	bool		intact = tg_protection_intact(PG_GETARG_OID(0), &is_protected);

	if (!is_protected)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(intact);
}

static int
ensure_policy(Target *t, const char *polname)
{
	bool		exists;
	char	   *tenant = tenant_expression(t);
	const char *qpolname = quote_identifier(polname);

	if (policy_intact(t->relid, polname, t->attnum, &exists))
		return 0;
	if (exists)
		run_ddl(psprintf("DROP POLICY %s ON %s", qpolname, t->name));

	/* Citus refuses subqueries in the policies of distributed tables */
	if (!tg_citus_installed())
		tenant = psprintf("(SELECT %s)", tenant);
	if (strcmp(polname, TG_ISOLATION_POLICY) == 0)
		run_ddl(psprintf("CREATE POLICY %s ON %s AS RESTRICTIVE FOR ALL TO PUBLIC"
						 " USING (%s OPERATOR(pg_catalog.=) %s)"
						 " WITH CHECK (%s OPERATOR(pg_catalog.=) %s)",
						 qpolname, t->name, t->qcolumn, tenant,
						 t->qcolumn, tenant));
	else if (tg_citus_installed())
		run_ddl(psprintf("CREATE POLICY %s ON %s AS PERMISSIVE FOR ALL TO PUBLIC"
						 " USING (%s OPERATOR(pg_catalog.=) %s)"
						 " WITH CHECK (%s OPERATOR(pg_catalog.=) %s)",
						 qpolname, t->name, t->qcolumn, tenant,
						 t->qcolumn, tenant));
	else
		run_ddl(psprintf("CREATE POLICY %s ON %s AS PERMISSIVE FOR ALL TO PUBLIC"
						 " USING (true) WITH CHECK (true)",
						 qpolname, t->name));
	note_repair(t, psprintf("policy \"%s\"", polname));
	return 1;
}

/*
 * The column's current default, or NULL.  *ours says whether it is the one
 * protect() sets (it calls tenant_guard.tenant()).
 */
static Node *
column_default(Oid relid, AttrNumber attnum, bool *ours)
{
	Relation	rel = relation_open(relid, NoLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Node	   *result = NULL;

	if (constr != NULL)
	{
		for (int i = 0; i < constr->num_defval; i++)
		{
			if (constr->defval[i].adnum == attnum)
				result = stringToNode(constr->defval[i].adbin);
		}
	}
	relation_close(rel, NoLock);
	*ours = result != NULL && tg_expr_reads_tenant_function(result);
	return result;
}

/* DEFAULT tenant_guard.tenant()::type on the tenant column. */
static int
ensure_default(Target *t)
{
	bool		ours;
	Node	   *current = column_default(t->relid, t->attnum, &ours);

	if (ours)
		return 0;
	if (!t->registered && current != NULL)
		t->prot.previous_default =
			deparse_expression(current,
							   deparse_context_for(get_rel_name(t->relid),
												   t->relid),
							   false, false);
	run_ddl(psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s SET DEFAULT %s",
					 t->name, t->qcolumn, tenant_expression(t)));
	note_repair(t, "the tenant column's default");
	return 1;
}

/* Does a valid, non-partial index lead with the tenant column? */
static bool
has_tenant_index(Target *t)
{
	Relation	rel = relation_open(t->relid, NoLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	relation_close(rel, NoLock);
	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID,
											ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index form;

		if (!HeapTupleIsValid(tuple))
			continue;
		form = (Form_pg_index) GETSTRUCT(tuple);
		if (form->indisvalid && form->indnkeyatts > 0 &&
			form->indkey.values[0] == t->attnum &&
			heap_attisnull(tuple, Anum_pg_index_indpred, NULL))
			found = true;
		ReleaseSysCache(tuple);
		if (found)
			break;
	}
	return found;
}

/* An index leading with the tenant column; created if none does. */
static int
ensure_index(Target *t)
{
	char	   *indexname;

	if (has_tenant_index(t))
		return 0;
	indexname = ChooseRelationName(get_rel_name(t->relid), t->column, "idx",
								   t->nspid, false);
	run_ddl(psprintf("CREATE INDEX %s ON %s (%s)",
					 quote_identifier(indexname), t->name, t->qcolumn));
	tg_report_created_index(indexname, t->column, t->label);
	if (!t->registered)
		namestrcpy(&t->prot.created_index, indexname);
	return 1;
}

/* Does this database's tenant_guard have fill_tenant() (1.2 and later)? */
static bool
fill_function_exists(void)
{
	return OidIsValid(LookupFuncName(list_make2(makeString("tenant_guard"),
												makeString("fill_tenant")),
									 0, NULL, true));
}

/*
 * The trigger that gives a row inserted with a NULL tenant column the
 * transaction's tenant (see fill_tenant.c), on each table that holds rows:
 * a partitioned table has none, and its partitions get their own trigger
 * when protect() reaches them, so that a partition attached or detached
 * keeps its trigger.  Left out in a database whose extension predates
 * fill_tenant(), where protect() called again after the update adds it,
 * and in a database where Citus is installed (citus.c).
 */
static int
ensure_fill_trigger(Target *t)
{
	if (t->relkind == RELKIND_PARTITIONED_TABLE ||
		OidIsValid(get_trigger_oid(t->relid, TG_FILL_TRIGGER, true)) ||
		!fill_function_exists() || tg_citus_installed())
		return 0;
	run_ddl(psprintf("CREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW"
					 " WHEN (NEW.%s IS NULL) EXECUTE FUNCTION %s.fill_tenant()",
					 quote_identifier(TG_FILL_TRIGGER), t->name, t->qcolumn,
					 quote_identifier("tenant_guard")));
	note_repair(t, "the trigger that fills a NULL tenant column");
	return 1;
}

/*
 * A foreign table cannot have row-level security.  As a partition it is
 * reached safely through its parent, whose policies apply, and naming it
 * directly is refused by the executor guard; protect() leaves it out and
 * says so.
 */
static bool
skip_foreign_partition(Oid relid, Oid parent)
{
	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		return false;
	tg_report_foreign_partition(tg_relation_name(relid),
								tg_relation_name(parent));
	return true;
}

/*
 * Protect one table and, if it is partitioned, its partitions.  parent is
 * the protected table it is a partition of, or InvalidOid.  Returns the
 * number of changes made.
 */
static int
protect_relation(Oid relid, const char *column, Oid parent)
{
	Target		t;
	int			changes = 0;

	target_init(&t, relid, column);

	changes += ensure_not_null(&t);
	changes += ensure_row_security(&t);
	changes += ensure_policy(&t, TG_ISOLATION_POLICY);
	changes += ensure_policy(&t, TG_BASELINE_POLICY);
	changes += ensure_default(&t);
	changes += ensure_index(&t);
	changes += ensure_fill_trigger(&t);

	if (!t.registered)
	{
		t.prot.partition_of = parent;
		tg_registry_insert(&t.prot);
		changes++;
	}
	else if (t.prot.partition_of != parent)
	{
		tg_registry_set_partition_of(relid, parent);
		changes++;
	}

	if (t.relkind == RELKIND_PARTITIONED_TABLE)
	{
		List	   *children = find_inheritance_children(relid,
														 AccessExclusiveLock);
		ListCell   *lc;

		foreach(lc, children)
		{
			Oid			child = lfirst_oid(lc);

			if (skip_foreign_partition(child, relid))
				continue;
			changes += protect_relation(child, column, relid);
		}
	}
	return changes;
}

/*
 * Run a protection change with the drift guard standing aside.
 */
static int
with_drift_guard_aside(int (*change) (Oid, const char *, Oid),
					   Oid relid, const char *column, Oid parent)
{
	int			changes = 0;

	protection_change_depth++;
	PG_TRY();
	{
		changes = change(relid, column, parent);
	}
	PG_FINALLY();
	{
		protection_change_depth--;
	}
	PG_END_TRY();
	return changes;
}

/*
 * Protect a partition created or attached under a protected table, with
 * the parent's tenant column.  Called by the drift guard.
 */
void
tg_protect_partition(Oid relid, Oid parent)
{
	TgProtection parent_prot;

	if (!tg_registry_lookup(parent, &parent_prot) ||
		skip_foreign_partition(relid, parent))
		return;
	if (with_drift_guard_aside(protect_relation, relid,
							   NameStr(parent_prot.tenant_column), parent) > 0)
		tg_report_protected_partition(tg_relation_name(relid),
									  tg_relation_name(parent));
}

/*
 * tenant_guard.protect(tbl regclass, tenant_column name)
 */
Datum
tenant_guard_protect(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *column = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	Oid			parent = InvalidOid;

	check_table(relid);
	if (!OidIsValid(tg_registry_relid()))
		tg_report_registry_missing();

	/* a partition of a protected table stays protected through it */
	if (get_rel_relispartition(relid))
	{
		Oid			candidate = get_partition_parent(relid, false);

		if (tg_registry_contains(candidate))
			parent = candidate;
	}

	if (with_drift_guard_aside(protect_relation, relid, column, parent) == 0)
		tg_report_already_protected(tg_relation_name(relid));
	PG_RETURN_VOID();
}

/* Is index an index of relid (and still the one protect() created)? */
static bool
index_belongs_to(Oid index, Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_index) GETSTRUCT(tuple))->indrelid == relid;
		ReleaseSysCache(tuple);
	}
	return result;
}

/* Is attnum part of relid's primary key? */
static bool
in_primary_key(Oid relid, AttrNumber attnum)
{
	Relation	rel = relation_open(relid, NoLock);
	Bitmapset  *pkattrs = RelationGetIndexAttrBitmap(rel,
												 INDEX_ATTR_BITMAP_PRIMARY_KEY);

	relation_close(rel, NoLock);
	return bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, pkattrs);
}

/*
 * Undo protect() on one table, its registered partitions first.  The
 * column argument and the return value fit with_drift_guard_aside().
 */
static int
unprotect_relation(Oid relid, const char *unused, Oid unused_parent)
{
	TgProtection prot;
	List	   *partitions;
	ListCell   *lc;
	char	   *name;
	char	   *qcolumn;
	AttrNumber	attnum;
	bool		ours;
	HeapTuple	tuple;
	bool		enabled = false;
	bool		forced = false;

	if (!tg_registry_lookup(relid, &prot))
		return 0;

	partitions = tg_registry_partitions_of(relid);
	foreach(lc, partitions)
		(void) unprotect_relation(lfirst_oid(lc), NULL, InvalidOid);

	LockRelationOid(relid, AccessExclusiveLock);
	name = tg_relation_sql(relid);
	qcolumn = pstrdup(quote_identifier(NameStr(prot.tenant_column)));
	attnum = get_attnum(relid, NameStr(prot.tenant_column));

	run_ddl(psprintf("DROP POLICY IF EXISTS %s ON %s",
					 quote_identifier(TG_ISOLATION_POLICY), name));
	run_ddl(psprintf("DROP POLICY IF EXISTS %s ON %s",
					 quote_identifier(TG_BASELINE_POLICY), name));
	if (OidIsValid(get_trigger_oid(relid, TG_FILL_TRIGGER, true)))
		run_ddl(psprintf("DROP TRIGGER %s ON %s",
						 quote_identifier(TG_FILL_TRIGGER), name));

	if (attnum != InvalidAttrNumber)
	{
		(void) column_default(relid, attnum, &ours);
		if (ours && prot.previous_default)
			run_ddl(psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s SET DEFAULT %s",
							 name, qcolumn, prot.previous_default));
		else if (ours)
			run_ddl(psprintf("ALTER TABLE ONLY %s ALTER COLUMN %s DROP DEFAULT",
							 name, qcolumn));

		if (prot.set_not_null && in_primary_key(relid, attnum))
			tg_report_kept_not_null(NameStr(prot.tenant_column),
									tg_relation_name(relid));
		else if (prot.set_not_null)
			run_ddl(psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL",
							 name, qcolumn));
	}

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		enabled = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity;
		forced = ((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
		ReleaseSysCache(tuple);
	}
	if (prot.forced_rls && forced && prot.enabled_rls && enabled)
		run_ddl(psprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY",
						 name));
	else if (prot.forced_rls && forced)
		run_ddl(psprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY", name));
	else if (prot.enabled_rls && enabled)
		run_ddl(psprintf("ALTER TABLE %s DISABLE ROW LEVEL SECURITY", name));

	if (NameStr(prot.created_index)[0] != '\0')
	{
		Oid			index = get_relname_relid(NameStr(prot.created_index),
											  get_rel_namespace(relid));

		if (OidIsValid(index) && index_belongs_to(index, relid))
			run_ddl(psprintf("DROP INDEX %s", tg_relation_sql(index)));
	}

	tg_registry_delete(relid);
	return 1;
}

/*
 * tenant_guard.unprotect(tbl regclass)
 */
Datum
tenant_guard_unprotect(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	TgProtection prot;

	check_table(relid);
	if (!tg_registry_lookup(relid, &prot))
	{
		tg_report_not_protected(tg_relation_name(relid));
		PG_RETURN_VOID();
	}
	if (OidIsValid(prot.partition_of) && tg_registry_contains(prot.partition_of))
		tg_report_protected_through(tg_relation_name(relid),
									tg_relation_name(prot.partition_of),
									tg_relation_sql(prot.partition_of));

	(void) with_drift_guard_aside(unprotect_relation, relid, NULL, InvalidOid);
	PG_RETURN_VOID();
}

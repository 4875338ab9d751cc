/*-------------------------------------------------------------------------
 *
 * drift_guard.c
 *	  Keep protected tables protected as later DDL changes them.
 *
 * Before a utility statement runs, DDL that would weaken a table
 * tenant_guard.protect() protected is refused: DISABLE ROW LEVEL SECURITY,
 * NO FORCE ROW LEVEL SECURITY, DROP/ALTER/renaming of the tenant_guard
 * policies, dropping the tenant column or changing its type, detaching a
 * partition that would be left without protection of its own, and dropping
 * the extension itself.  Since a policy or the tenant column can also go
 * as a dependent object of something else (DROP ... CASCADE), the object
 * access hook reports every drop, and after the statement every protected
 * table it touched must still be intact.  Only
 * unprotect() or tenant_guard.mode = off lets such DDL through, so the
 * weakening is always deliberate; in warn mode it is reported and done.
 * The guard applies to superusers too: migrations run as them.
 *
 * After a statement ran, the registry follows the schema: a partition
 * created or attached under a protected table is protected in turn, a
 * detached one becomes protected on its own, a renamed tenant column is
 * renamed in the registry, and dropped tables are forgotten.  This
 * bookkeeping happens in every mode: it only ever adds protection.
 *
 * A protected table must also not become a partition or inheritance child
 * of a table that does not enforce the same tenant isolation: a query on
 * the parent applies only the parent's policies, and would read and change
 * every tenant's rows of the child.  INHERIT and ATTACH PARTITION are
 * refused after they ran, and since a parent's policies can change later
 * (ALTER or DROP POLICY, a new permissive policy, NO FORCE), every
 * transaction that changed a table or a policy checks every protected
 * table's ancestors again at commit.
 *
 * Both steps look at the registry only for the statements above, so other
 * DDL, and all DML, pay nothing for it.
 *
 * src/drift_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_policy.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "citus.h"
#include "drift_guard.h"
#include "owner_code.h"
#include "policy_analysis.h"
#include "protect.h"
#include "registry.h"
#include "rel_cache.h"
#include "report.h"
#include "tenant_guard.h"
#include "xact_state.h"

static bool
is_guarded_policy(const char *polname)
{
	return strcmp(polname, TG_ISOLATION_POLICY) == 0 ||
		strcmp(polname, TG_BASELINE_POLICY) == 0;
}

/*
 * The table of a tenant_guard policy, or InvalidOid for other policies;
 * *enforcing says whether the policy enforces the tenant on some column of
 * it (for shards, whose tenant column only citus.c knows).
 */
static Oid
guarded_policy_table(Oid policyid, bool *enforcing)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(policyid));
	scan = systable_beginscan(rel, PolicyOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_policy form = (Form_pg_policy) GETSTRUCT(tuple);

		if (is_guarded_policy(NameStr(form->polname)))
		{
			relid = form->polrelid;
			*enforcing = tg_citus_enforced_column(tuple, RelationGetDescr(rel)) !=
				InvalidAttrNumber;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/* The table of any policy (seen by the current command), or InvalidOid. */
Oid
tg_policy_table(Oid policyid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(policyid));
	scan = systable_beginscan(rel, PolicyOidIndexId, true, SnapshotSelf, 1,
							  &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/*
 * Refuse (or, in warn mode, report) a change to a protected table (relid),
 * about another table (other, or InvalidOid: for a shard, its Citus table)
 * and a policy or column (name, or NULL).
 */
static void
report_drift(Oid relid, TgRefusal change, const char *name, Oid other)
{
	TgVerdict	verdict;

	memset(&verdict, 0, sizeof(TgVerdict));
	verdict.refusal = change;
	verdict.as_warning = (tg_mode == TG_MODE_WARN);
	verdict.rel = tg_relation_name(relid);
	verdict.rel_sql = tg_relation_sql(relid);
	verdict.name = name;
	if (OidIsValid(other))
	{
		verdict.other = tg_relation_name(other);
		verdict.other_sql = tg_relation_sql(other);
	}
	tg_report(&verdict);
}

/*
 * CREATE TRIGGER on a shard or a worker's copy of a protected Citus table,
 * on a worker (citus.c tells them; the registry's own tables may have
 * triggers, which rule 6 judges where the registry is).
 */
static void
check_shard_trigger(CreateTrigStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	TgProtection prot;
	Oid			table;

	if (OidIsValid(relid) && !tg_registry_lookup(relid, &prot) &&
		tg_citus_shard_protection(relid, &prot, &table))
		report_drift(relid, TG_DRIFT_SHARD_TRIGGER, stmt->trigname, table);
}

/*
 * Is relid protected: in the registry, or a shard or a worker's copy of a
 * protected Citus table (citus.c)?  *table is then that Citus table, or
 * InvalidOid for a table in the registry.
 */
static bool
protection_of(Oid relid, TgProtection *prot, Oid *table)
{
	*table = InvalidOid;
	if (tg_registry_lookup(relid, prot))
		return true;
	return tg_citus_shard_protection(relid, prot, table);
}

/*
 * Can this partition stand on its own once detached: is it protected, with
 * row-level security enabled and forced and its isolation policy intact?
 */
static bool
protected_on_its_own(Oid relid)
{
	bool		is_protected;
	TgRelInfo  *info;

	if (!tg_protection_intact(relid, &is_protected))
		return false;
	info = tg_rel_info(relid);
	return info->rls_enabled && info->rls_forced;
}

static void
check_detach(Oid parent, AlterTableCmd *cmd)
{
	PartitionCmd *pcmd = (PartitionCmd *) cmd->def;
	Oid			child = RangeVarGetRelid(pcmd->name, NoLock, true);

	if (!OidIsValid(child) || protected_on_its_own(child))
		return;
	report_drift(child, TG_DRIFT_DETACH, NULL, parent);
}

/* Does any subcommand of this ALTER TABLE need the drift guard's look? */
static bool
alter_table_may_weaken(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		switch (lfirst_node(AlterTableCmd, lc)->subtype)
		{
			case AT_DisableRowSecurity:
			case AT_NoForceRowSecurity:
			case AT_DropColumn:
			case AT_AlterColumnType:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
				return true;
			default:
				break;
		}
	}
	return false;
}

static void
check_alter_table(AlterTableStmt *stmt)
{
	TgProtection prot;
	Oid			relid;
	Oid			table;
	ListCell   *lc;

	if (!alter_table_may_weaken(stmt))
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid) || !protection_of(relid, &prot, &table))
		return;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		bool		tenant_column = cmd->name != NULL &&
			strcmp(cmd->name, NameStr(prot.tenant_column)) == 0;

		switch (cmd->subtype)
		{
			case AT_DisableRowSecurity:
				report_drift(relid, TG_DRIFT_DISABLE_RLS, NULL, table);
				break;
			case AT_NoForceRowSecurity:
				report_drift(relid, TG_DRIFT_NO_FORCE_RLS, NULL, table);
				break;
			case AT_DropColumn:
				if (tenant_column)
					report_drift(relid, TG_DRIFT_DROP_TENANT_COLUMN, cmd->name,
								 table);
				break;
			case AT_AlterColumnType:
				if (tenant_column)
					report_drift(relid, TG_DRIFT_RETYPE_TENANT_COLUMN, cmd->name,
								 table);
				break;
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
				check_detach(relid, cmd);
				break;
			default:
				break;
		}
	}
}

/*
 * DROP POLICY, ALTER POLICY or ALTER POLICY ... RENAME on a protected
 * table.  On a shard of a Citus table, dropping a policy that no longer
 * enforces the tenant is how protect() on the coordinator repairs it, and
 * cannot widen a shard, whose policies are all permissive (citus.c).
 */
static void
check_policy_change(RangeVar *rv, const char *polname, TgRefusal change)
{
	Oid			relid;
	Oid			table;
	TgProtection prot;

	if (!is_guarded_policy(polname))
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid) || !protection_of(relid, &prot, &table))
		return;
	if (OidIsValid(table) && change == TG_DRIFT_DROP_POLICY &&
		!tg_citus_policy_enforces(relid, polname,
								  get_attnum(relid, NameStr(prot.tenant_column)),
								  true))
		return;
	report_drift(relid, change, polname, table);
}

static void
check_drop_policies(DropStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		List	   *names = (List *) lfirst(lc);
		List	   *relname = list_truncate(list_copy(names),
											list_length(names) - 1);

		check_policy_change(makeRangeVarFromNameList(relname),
							strVal(llast(names)), TG_DRIFT_DROP_POLICY);
	}
}

/*
 * DROP EXTENSION tenant_guard while it protects tables would take the
 * isolation policies with it (they call tenant_guard.tenant()) and leave the
 * permissive baseline policies: every tenant would see every row.
 */
static void
check_drop_extension(DropStmt *stmt)
{
	ListCell   *lc;
	int64		protected_tables;

	foreach(lc, stmt->objects)
	{
		if (strcmp(strVal(lfirst(lc)), "tenant_guard") != 0)
			continue;
		protected_tables = tg_registry_count();
		if (protected_tables > 0)
		{
			TgVerdict	verdict;

			memset(&verdict, 0, sizeof(TgVerdict));
			verdict.refusal = TG_DRIFT_DROP_EXTENSION;
			verdict.as_warning = (tg_mode == TG_MODE_WARN);
			verdict.count = protected_tables;
			tg_report(&verdict);
		}
	}
}

/*
 * Before a utility statement runs: refuse DDL that weakens a protected
 * table.
 */
void
tg_drift_check(Node *parsetree)
{
	if (tg_mode == TG_MODE_OFF || tg_protection_change_in_progress())
		return;

	tg_owner_code_check_utility(parsetree);

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			if (((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
				check_alter_table((AlterTableStmt *) parsetree);
			break;
		case T_DropStmt:
			if (((DropStmt *) parsetree)->removeType == OBJECT_POLICY)
				check_drop_policies((DropStmt *) parsetree);
			else if (((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
				check_drop_extension((DropStmt *) parsetree);
			break;
		case T_AlterPolicyStmt:
			check_policy_change(((AlterPolicyStmt *) parsetree)->table,
								((AlterPolicyStmt *) parsetree)->policy_name,
								TG_DRIFT_ALTER_POLICY);
			break;
		case T_CreateTrigStmt:
			check_shard_trigger((CreateTrigStmt *) parsetree);
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_POLICY)
				check_policy_change(((RenameStmt *) parsetree)->relation,
									((RenameStmt *) parsetree)->subname,
									TG_DRIFT_RENAME_POLICY);
			break;
		default:
			break;
	}
}

/*
 * Does a query that names relid let a row through only if its column
 * colname matches the tenant?  It does if the table is protected on that
 * column, or if, with row-level security enabled and forced, a restrictive
 * policy for every command and role enforces the tenant, or every
 * permissive policy does (policy_analysis.c; with none, nothing passes).
 * Without row-level security, or with it not forced, a query naming the
 * table is refused anyway (rules 5 and 4).
 */
static bool
table_isolates_tenants(Oid relid, const char *colname)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	AttrNumber	attnum = get_attnum(relid, colname);
	bool		enabled;
	bool		forced;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	TgProtection prot;
	bool		restrictive = false;
	bool		weak = false;

	if (!HeapTupleIsValid(tuple))
		return true;			/* gone: nothing to read through */
	enabled = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity;
	forced = ((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
	ReleaseSysCache(tuple);
	/*
	 * A parent without row-level security, or with it not forced, is
	 * refused when a query names it (rules 5 and 4); audit() reports it.
	 */
	if (!enabled || !forced)
		return true;
	if (attnum == InvalidAttrNumber)
		return false;

	/*
	 * A parent protected on the same column keeps its isolation by the drift
	 * guard.  Trusting the registry here also lets pg_restore create its
	 * policies one statement at a time (the permissive baseline first).
	 */
	if (tg_registry_lookup(relid, &prot) &&
		strcmp(NameStr(prot.tenant_column), colname) == 0)
		return true;

	rel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, PolicyPolrelidPolnameIndexId, true, NULL,
							  1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		enforces = tg_policy_tuple_enforces(tuple,
														RelationGetDescr(rel),
														attnum);

		if (!((Form_pg_policy) GETSTRUCT(tuple))->polpermissive)
			restrictive |= enforces &&
				tg_policy_applies_to_all(tuple, RelationGetDescr(rel));
		else
			weak |= !enforces;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	/* without permissive policies row-level security lets nothing through */
	return restrictive || !weak;
}

/* The direct parents of relid (partition parent or INHERITS parents). */
static List *
direct_parents(Oid relid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	List	   *result = NIL;

	rel = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InheritsRelidSeqnoIndexId, true, NULL,
							  1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		result = lappend_oid(result,
							 ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * The first ancestor of relid, at any depth, that does not isolate tenants
 * on colname; InvalidOid if every one does.
 */
static Oid
open_ancestor(Oid relid, const char *colname)
{
	List	   *todo = direct_parents(relid);
	List	   *seen = NIL;

	while (todo != NIL)
	{
		Oid			parent = linitial_oid(todo);

		todo = list_delete_first(todo);
		if (list_member_oid(seen, parent))
			continue;
		seen = lappend_oid(seen, parent);
		if (!table_isolates_tenants(parent, colname))
			return parent;
		todo = list_concat(todo, direct_parents(parent));
	}
	return InvalidOid;
}

/*
 * Check every protected table at or below relid (or, if relid is invalid,
 * every protected table) against its ancestors.
 */
static void
check_protected_ancestry(Oid relid)
{
	List	   *below = OidIsValid(relid) ?
		find_all_inheritors(relid, NoLock, NULL) : NIL;
	ListCell   *lc;

	foreach(lc, tg_registry_tables())
	{
		TgProtection *prot = (TgProtection *) lfirst(lc);
		Oid			parent;

		if (OidIsValid(relid) && !list_member_oid(below, prot->relid))
			continue;
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(prot->relid)))
			continue;
		parent = open_ancestor(prot->relid, NameStr(prot->tenant_column));
		if (OidIsValid(parent))
			report_drift(prot->relid, TG_DRIFT_OPEN_PARENT,
						 NameStr(prot->tenant_column), parent);
	}
}

/*
 * Tables (or tables of policies) this transaction changed, whose protected
 * descendants are checked at commit; in TopTransactionContext.
 */
static List *hierarchy_changed = NIL;
static bool hierarchy_callback_registered = false;

/* Has a table of hierarchy_changed changed since its check last passed? */
bool		tg_drift_hierarchy_unchecked = false;

static void
hierarchy_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (hierarchy_changed == NIL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (tg_mode == TG_MODE_OFF)
				break;
			/* the registry is read with SPI, which needs a snapshot */
			PushActiveSnapshot(GetTransactionSnapshot());
			foreach(lc, hierarchy_changed)
			{
				if (SearchSysCacheExists1(RELOID,
										  ObjectIdGetDatum(lfirst_oid(lc))))
					check_protected_ancestry(lfirst_oid(lc));
			}
			PopActiveSnapshot();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			hierarchy_changed = NIL;
			tg_drift_hierarchy_unchecked = false;
			break;
		default:
			break;
	}
}

/*
 * A table, or a policy of it, was created, altered or dropped: check the
 * ancestry of the protected tables at or below it at commit.  protect()
 * and unprotect() only make a parent stricter or remove what they
 * protected, so they need no check.
 */
void
tg_drift_note_hierarchy_change(Oid relid)
{
	MemoryContext oldcxt;

	if (!OidIsValid(relid) || tg_protection_change_in_progress() ||
		!IsTransactionState())
		return;
	if (!hierarchy_callback_registered)
	{
		RegisterXactCallback(hierarchy_xact_callback, NULL);
		hierarchy_callback_registered = true;
	}
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	hierarchy_changed = list_append_unique_oid(hierarchy_changed, relid);
	MemoryContextSwitchTo(oldcxt);
	tg_drift_hierarchy_unchecked = true;
}

/*
 * A statement is about to read tables with row-level security after this
 * transaction changed a table, or a policy of one, above protected tables:
 * check their ancestry now rather than at commit, or a query through a
 * parent whose policies were just weakened would read what the commit
 * then refuses.  A migration may still drop and recreate a parent's
 * policy in two statements, as long as it reads nothing in between.
 */
void
tg_drift_check_hierarchy_now(void)
{
	ListCell   *lc;

	tg_drift_hierarchy_unchecked = false;
	if (tg_mode == TG_MODE_OFF)
		return;
	foreach(lc, hierarchy_changed)
	{
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(lfirst_oid(lc))))
			check_protected_ancestry(lfirst_oid(lc));
	}
}

/* CREATE TABLE ... PARTITION OF a protected table. */
static void
follow_create_partition(CreateStmt *stmt)
{
	Oid			child;
	Oid			parent;

	if (stmt->partbound == NULL || stmt->inhRelations == NIL)
		return;
	child = RangeVarGetRelid(stmt->relation, NoLock, true);
	parent = RangeVarGetRelid(linitial_node(RangeVar, stmt->inhRelations),
							  NoLock, true);
	if (OidIsValid(child) && OidIsValid(parent) &&
		get_rel_relispartition(child) &&
		get_partition_parent(child, true) == parent)
		tg_protect_partition(child, parent);
}

/* ALTER TABLE ... ATTACH / DETACH PARTITION. */
static void
follow_partition_commands(AlterTableStmt *stmt)
{
	Oid			parent = InvalidOid;
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		Oid			child;

		if (cmd->subtype == AT_AddInherit)
		{
			/* ALTER TABLE child INHERIT parent */
			child = RangeVarGetRelid(stmt->relation, NoLock, true);
			if (OidIsValid(child) && tg_mode != TG_MODE_OFF)
				check_protected_ancestry(child);
			continue;
		}
		if (cmd->subtype != AT_AttachPartition &&
			cmd->subtype != AT_DetachPartition &&
			cmd->subtype != AT_DetachPartitionFinalize)
			continue;
		if (!OidIsValid(parent))
			parent = RangeVarGetRelid(stmt->relation, NoLock, true);
		child = RangeVarGetRelid(((PartitionCmd *) cmd->def)->name, NoLock,
								 true);
		if (!OidIsValid(parent) || !OidIsValid(child))
			continue;

		if (cmd->subtype == AT_AttachPartition)
		{
			tg_protect_partition(child, parent);
			if (tg_mode != TG_MODE_OFF)
				check_protected_ancestry(child);
		}
		else if (!get_rel_relispartition(child))
		{
			TgProtection prot;

			if (tg_registry_lookup(child, &prot) &&
				prot.partition_of == parent)
				tg_registry_set_partition_of(child, InvalidOid);
		}
	}
}

/* ALTER TABLE ... RENAME COLUMN of a (possibly partitioned) table. */
static void
follow_rename_column(RenameStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	ListCell   *lc;

	if (!OidIsValid(relid) || !OidIsValid(tg_registry_relid()))
		return;
	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		tg_registry_rename_column(lfirst_oid(lc), stmt->subname,
								  stmt->newname);
}

static bool
may_drop_tables(Node *parsetree)
{
	if (IsA(parsetree, DropOwnedStmt))
		return true;
	if (IsA(parsetree, DropStmt))
	{
		ObjectType	type = ((DropStmt *) parsetree)->removeType;

		return type == OBJECT_TABLE || type == OBJECT_SCHEMA ||
			type == OBJECT_TYPE || type == OBJECT_DOMAIN ||
			type == OBJECT_EXTENSION;
	}
	return false;
}

/*
 * Tables whose tenant_guard policy or tenant column a statement dropped,
 * seen by the object access hook (object_guard.c) however the drop came
 * about: DROP POLICY, ALTER TABLE ... DROP COLUMN ... CASCADE, DROP TYPE,
 * DROP COLLATION or DROP FUNCTION ... CASCADE.  Kept in
 * TopTransactionContext until the statement ends.
 */
static List *dropped_parts = NIL;

/* ... of which those whose dropped policy enforced the tenant. */
static List *dropped_enforcing = NIL;

/*
 * Object access hook, OAT_DROP: remember the table if what is being dropped
 * is one of its tenant_guard policies or a column of it (which one is the
 * tenant column is judged later, against the registry).
 */
void
tg_drift_note_drop(Oid classId, Oid objectId, int subId)
{
	Oid			relid = InvalidOid;
	bool		enforcing = false;
	MemoryContext oldcxt;

	if (tg_protection_change_in_progress())
		return;
	if (classId == PolicyRelationId)
		tg_drift_note_hierarchy_change(tg_policy_table(objectId));
	if (classId == PolicyRelationId)
		relid = guarded_policy_table(objectId, &enforcing);
	else if (classId == RelationRelationId && subId > 0)
		relid = objectId;
	if (!OidIsValid(relid))
		return;

	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	dropped_parts = list_append_unique_oid(dropped_parts, relid);
	if (enforcing)
		dropped_enforcing = list_append_unique_oid(dropped_enforcing, relid);
	tg_xact_state_left(TG_XACT_DRIFT);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * After a statement that dropped parts of relid, which is not in the
 * registry: if it is a shard (or a worker's copy) of a protected Citus
 * table, it must still have its tenant column, and must not have lost a
 * tenant_guard policy that enforced the tenant (policy_dropped); one that
 * no longer did may go (check_policy_change).
 */
static void
check_dropped_shard_parts(Oid relid, bool policy_dropped)
{
	TgProtection prot;
	Oid			table;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
		!tg_citus_shard_protection(relid, &prot, &table))
		return;
	if (policy_dropped ||
		get_attnum(relid, NameStr(prot.tenant_column)) == InvalidAttrNumber)
		report_drift(relid, TG_DRIFT_CASCADE, NULL, table);
}

/*
 * After a statement that dropped parts of tables: a protected table that
 * still exists must still have its tenant column and an intact isolation
 * policy.  Checking the outcome rather than the statement catches every
 * path, cascades included; the error undoes the statement.
 */
static void
check_dropped_parts(void)
{
	List	   *tables = dropped_parts;
	List	   *enforcing = dropped_enforcing;
	ListCell   *lc;

	dropped_parts = NIL;
	dropped_enforcing = NIL;
	if (tg_mode == TG_MODE_OFF)
		return;
	foreach(lc, tables)
	{
		Oid			relid = lfirst_oid(lc);
		bool		is_protected;

		/* a table dropped altogether, or not protected, keeps nothing */
		if (!tg_protection_intact(relid, &is_protected) && is_protected)
			report_drift(relid, TG_DRIFT_CASCADE, NULL, InvalidOid);
		else if (!is_protected)
			check_dropped_shard_parts(relid, list_member_oid(enforcing, relid));
	}
}

/* Transaction end: forget parts dropped by a statement that failed. */
void
tg_drift_xact_end(void)
{
	dropped_parts = NIL;
	dropped_enforcing = NIL;
}

/*
 * CREATE POLICY or ALTER POLICY on a protected table (or a shard or a
 * worker's copy of one) in a database where Citus is installed: the
 * policy must enforce the tenant.  Citus makes every policy permissive on
 * the shards (citus.c), where one that does not, restrictive or not on
 * the table, lets every tenant's rows through protect()'s policies.
 * Judged after the statement, on the policy as PostgreSQL stored it; the
 * error undoes the statement, and the distributed transaction that Citus
 * opened to send it on.
 */
static void
check_citus_policy(RangeVar *rv, const char *polname)
{
	Oid			relid;
	Oid			table;
	TgProtection prot;
	TgVerdict	verdict;

	if (tg_mode == TG_MODE_OFF || !tg_citus_installed())
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid) || !protection_of(relid, &prot, &table) ||
		tg_citus_policy_enforces(relid, polname,
								 get_attnum(relid, NameStr(prot.tenant_column)),
								 false))
		return;
	memset(&verdict, 0, sizeof(TgVerdict));
	verdict.refusal = TG_DRIFT_CITUS_POLICY;
	verdict.as_warning = (tg_mode == TG_MODE_WARN);
	verdict.rel = tg_relation_name(relid);
	verdict.rel_sql = tg_relation_sql(relid);
	verdict.name = polname;
	verdict.value = NameStr(prot.tenant_column);
	tg_report(&verdict);
}

/*
 * After a utility statement ran: check what it dropped, and keep the
 * registry in step with the schema.
 */
void
tg_drift_follow_up(Node *parsetree)
{
	if (tg_protection_change_in_progress())
		return;

	if (dropped_parts != NIL)
		check_dropped_parts();

	switch (nodeTag(parsetree))
	{
		case T_CreatePolicyStmt:
			check_citus_policy(((CreatePolicyStmt *) parsetree)->table,
							   ((CreatePolicyStmt *) parsetree)->policy_name);
			break;
		case T_AlterPolicyStmt:
			check_citus_policy(((AlterPolicyStmt *) parsetree)->table,
							   ((AlterPolicyStmt *) parsetree)->policy_name);
			break;
		case T_CreateStmt:
			follow_create_partition((CreateStmt *) parsetree);
			break;
		case T_CreateForeignTableStmt:
			follow_create_partition(&((CreateForeignTableStmt *) parsetree)->base);
			break;
		case T_AlterTableStmt:
			if (((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
				follow_partition_commands((AlterTableStmt *) parsetree);
			break;
		case T_RenameStmt:
			/* ALTER VIEW/INDEX/... RENAME COLUMN can rename a table's too */
			if (((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN)
				follow_rename_column((RenameStmt *) parsetree);
			break;
		default:
			if (may_drop_tables(parsetree))
				tg_registry_sweep();
			break;
	}
}

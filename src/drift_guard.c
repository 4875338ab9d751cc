/*-------------------------------------------------------------------------
 *
 * drift_guard.c
 *	  Keep protected tables protected as later DDL changes them.
 *
 * Before a utility statement runs, DDL that would weaken a table
 * tenant_guard.protect() protected is refused: DISABLE ROW LEVEL SECURITY,
 * NO FORCE ROW LEVEL SECURITY, DROP/ALTER/renaming of the tenant_guard
 * policies, dropping the tenant column or changing its type, and detaching
 * a partition that would be left without protection of its own.  Only
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
 * Both steps look at the registry only for the statements above, so other
 * DDL, and all DML, pay nothing for it.
 *
 * src/drift_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "protect.h"
#include "tenant_guard.h"

static bool
is_guarded_policy(const char *polname)
{
	return strcmp(polname, TG_ISOLATION_POLICY) == 0 ||
		strcmp(polname, TG_BASELINE_POLICY) == 0;
}

/* Refuse (or, in warn mode, report) a weakening change to a table. */
static void
report_drift(Oid relid, const char *change)
{
	char	   *rel = tg_relation_name(relid);

	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s on protected table \"%s\"", change, rel),
			 errdetail("The table's tenant isolation was installed by tenant_guard.protect(); this change would weaken it."),
			 errhint("To make the change deliberately, run SELECT tenant_guard.unprotect(%s); first, or make it with tenant_guard.mode set to off.",
					 quote_literal_cstr(tg_relation_sql(relid)))));
}

/*
 * Can this partition stand on its own once detached: is it protected, with
 * row-level security enabled and forced and its isolation policy intact?
 */
static bool
protected_on_its_own(Oid relid)
{
	TgProtection prot;
	TgRelInfo  *info;

	if (!tg_registry_lookup(relid, &prot))
		return false;
	info = tg_rel_info(relid);
	return info->rls_enabled && info->rls_forced &&
		tg_isolation_intact(relid,
							get_attnum(relid, NameStr(prot.tenant_column)));
}

static void
check_detach(Oid parent, AlterTableCmd *cmd)
{
	PartitionCmd *pcmd = (PartitionCmd *) cmd->def;
	Oid			child = RangeVarGetRelid(pcmd->name, NoLock, true);
	char	   *childname;

	if (!OidIsValid(child) || protected_on_its_own(child))
		return;
	childname = tg_relation_name(child);
	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot detach partition \"%s\" from protected table \"%s\"",
					childname, tg_relation_name(parent)),
			 errdetail("The partition is not protected on its own, so once detached its rows would have no row-level security."),
			 errhint("Protect it first: SELECT tenant_guard.protect(%s);",
					 quote_literal_cstr(tg_relation_sql(child)))));
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
	ListCell   *lc;

	if (!alter_table_may_weaken(stmt))
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid) || !tg_registry_lookup(relid, &prot))
		return;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		bool		tenant_column = cmd->name != NULL &&
			strcmp(cmd->name, NameStr(prot.tenant_column)) == 0;

		switch (cmd->subtype)
		{
			case AT_DisableRowSecurity:
				report_drift(relid, "disable row-level security");
				break;
			case AT_NoForceRowSecurity:
				report_drift(relid, "stop forcing row-level security");
				break;
			case AT_DropColumn:
				if (tenant_column)
					report_drift(relid, psprintf("drop tenant column \"%s\"",
												 cmd->name));
				break;
			case AT_AlterColumnType:
				if (tenant_column)
					report_drift(relid, psprintf("change the type of tenant column \"%s\"",
												 cmd->name));
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

/* DROP POLICY, ALTER POLICY or ALTER POLICY ... RENAME on a protected table. */
static void
check_policy_change(RangeVar *table, const char *polname, const char *verb)
{
	Oid			relid;

	if (!is_guarded_policy(polname))
		return;
	relid = RangeVarGetRelid(table, NoLock, true);
	if (OidIsValid(relid) && tg_registry_contains(relid))
		report_drift(relid, psprintf("%s policy \"%s\"", verb, polname));
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
							strVal(llast(names)), "drop");
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

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			if (((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
				check_alter_table((AlterTableStmt *) parsetree);
			break;
		case T_DropStmt:
			if (((DropStmt *) parsetree)->removeType == OBJECT_POLICY)
				check_drop_policies((DropStmt *) parsetree);
			break;
		case T_AlterPolicyStmt:
			check_policy_change(((AlterPolicyStmt *) parsetree)->table,
								((AlterPolicyStmt *) parsetree)->policy_name,
								"alter");
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_POLICY)
				check_policy_change(((RenameStmt *) parsetree)->relation,
									((RenameStmt *) parsetree)->subname,
									"rename");
			break;
		default:
			break;
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
			tg_protect_partition(child, parent);
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
 * After a utility statement ran: keep the registry in step with the schema.
 */
void
tg_drift_follow_up(Node *parsetree)
{
	if (tg_protection_change_in_progress())
		return;

	switch (nodeTag(parsetree))
	{
		case T_CreateStmt:
			follow_create_partition((CreateStmt *) parsetree);
			break;
		case T_AlterTableStmt:
			if (((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
				follow_partition_commands((AlterTableStmt *) parsetree);
			break;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN &&
				((RenameStmt *) parsetree)->relationType == OBJECT_TABLE)
				follow_rename_column((RenameStmt *) parsetree);
			break;
		default:
			if (may_drop_tables(parsetree))
				tg_registry_sweep();
			break;
	}
}

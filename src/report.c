/*-------------------------------------------------------------------------
 *
 * report.c
 *	  The wording and severity of every refusal tenant_guard makes.
 *
 * Keeping the messages together keeps them consistent, and keeps the rule
 * modules free of prose.  Every report names the object involved, gives the
 * SQL that fixes it where there is such SQL, and uses one of two SQLSTATEs:
 *
 *	42501 insufficient_privilege: the request may not do this (no tenant
 *		context, a tenant from the wrong place, a tenant switch, TRUNCATE, a
 *		holdable cursor).
 *	55000 object_not_in_prerequisite_state: the schema is unsafe and DDL must
 *		fix it (row-level security not forced, a partition without it, a
 *		view or function that bypasses it).
 *
 * In tenant_guard.mode = warn every report is a WARNING and the statement
 * goes on; otherwise it is an ERROR.
 *
 * src/report.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "compat.h"
#include "definer.h"
#include "rel_cache.h"
#include "report.h"
#include "role_cache.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"

#define SET_TENANT_HINT \
	"Set the tenant inside the transaction with SET LOCAL %s = '...' or SELECT set_config('%s', '...', true)."

int
tg_violation_level(void)
{
	return tg_mode == TG_MODE_WARN ? WARNING : ERROR;
}

/* Where a configuration value came from, in the DBA's terms. */
static const char *
source_description(GucSource source)
{
	switch (source)
	{
		case PGC_S_DEFAULT:
		case PGC_S_DYNAMIC_DEFAULT:
			return "the default value";
		case PGC_S_ENV_VAR:
			return "an environment variable of the server";
		case PGC_S_FILE:
			return "the server configuration file (postgresql.conf or ALTER SYSTEM)";
		case PGC_S_ARGV:
			return "the server command line";
		case PGC_S_GLOBAL:
			return "ALTER ROLE ALL ... SET";
		case PGC_S_DATABASE:
			return "ALTER DATABASE ... SET";
		case PGC_S_USER:
			return "ALTER ROLE ... SET";
		case PGC_S_DATABASE_USER:
			return "ALTER ROLE ... IN DATABASE ... SET";
		case PGC_S_CLIENT:
			return "the connection's startup options (such as PGOPTIONS)";
		default:
			return "a source other than the current transaction";
	}
}

/*
 * How to remove a configured value of the tenant setting, as SQL where
 * there is SQL for it.
 */
static char *
config_source_hint(GucSource source)
{
	const char *setting = tg_tenant_setting;
	const char *role = quote_identifier(GetUserNameFromId(GetSessionUserId(),
														   false));
	const char *db = quote_identifier(get_database_name(MyDatabaseId));

	switch (source)
	{
		case PGC_S_USER:
			return psprintf("Remove the per-role value: ALTER ROLE %s RESET %s;",
							role, setting);
		case PGC_S_DATABASE:
			return psprintf("Remove the per-database value: ALTER DATABASE %s RESET %s;",
							db, setting);
		case PGC_S_DATABASE_USER:
			return psprintf("Remove the per-role value: ALTER ROLE %s IN DATABASE %s RESET %s;",
							role, db, setting);
		case PGC_S_GLOBAL:
			return psprintf("Remove the value for all roles: ALTER ROLE ALL RESET %s;",
							setting);
		case PGC_S_FILE:
			return psprintf("Remove %s from postgresql.conf (or run ALTER SYSTEM RESET %s) and reload the configuration.",
							setting, setting);
		case PGC_S_CLIENT:
			return psprintf("Do not pass %s in the connection options; set it per transaction with SET LOCAL.",
							tg_tenant_setting);
		default:
			return psprintf("Set the tenant per transaction with SET LOCAL %s = '...'.",
							setting);
	}
}

/* How the tenant setting got its current value, for status(). */
const char *
tg_tenant_origin_description(const TgTenantState *state)
{
	switch (state->origin)
	{
		case TG_TENANT_NONE:
			return "not set";
		case TG_TENANT_LOCAL:
			return "SET LOCAL in this transaction";
		case TG_TENANT_SESSION:
			return "SET at session level";
		case TG_TENANT_FUNCTION:
			return "SET clause of a function";
		case TG_TENANT_CONFIG:
			return psprintf("%s, ignored", source_description(state->source));
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * No tenant is set.  Say so, and say why when the cause is a common one: the
 * statement runs in a transaction of its own (autocommit: node-postgres and
 * psycopg by default, Django without ATOMIC_REQUESTS), or a tenant was set
 * in an earlier transaction, which took it along when it ended.  Never the
 * earlier tenant's value: on a pooled connection it may be another
 * client's.
 */
static void
report_no_tenant(const char *rel)
{
	const char *setting = tg_tenant_setting;

	if (!IsTransactionBlock())
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 tg_tenant_ended_with_xact ?
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  The statement runs outside a transaction block, in a transaction of its own; the tenant set by an earlier statement ended with that statement's transaction.",
						   rel, setting) :
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  The statement runs outside a transaction block, in a transaction of its own (autocommit).",
						   rel, setting),
				 errhint("Use BEGIN ... COMMIT around the request, and set the tenant first inside it: BEGIN; SET LOCAL %s = '...'; ... COMMIT;",
						 setting)));
	else if (tg_tenant_ended_with_xact)
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  A tenant was set in an earlier transaction on this connection, and it ended with that transaction.",
						   rel, setting),
				 errhint("Set the tenant in the same transaction as the statements that need it, with SET LOCAL %s = '...' or SELECT set_config('%s', '...', true).",
						 setting, setting)));
	else
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.",
						   rel, setting),
				 errhint(SET_TENANT_HINT, setting, setting)));
}

/*
 * A statement reached a row-level security table without a valid tenant
 * context; say what is wrong with the tenant setting as it stands.
 */
void
tg_report_tenant_context(Oid relid, const TgTenantState *state)
{
	const char *setting = tg_tenant_setting;
	char	   *rel = tg_relation_name(relid);

	switch (state->origin)
	{
		case TG_TENANT_NONE:
			report_no_tenant(rel);
			break;
		case TG_TENANT_SESSION:
			ereport(tg_violation_level(),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" was set at session level",
							rel),
					 errdetail("\"%s\" was set with SET or set_config(..., false), so it would outlive the transaction and serve the next request on a pooled connection.",
							   setting),
					 errhint(SET_TENANT_HINT, setting, setting)));
			break;
		case TG_TENANT_FUNCTION:
			ereport(tg_violation_level(),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" comes from the SET clause of a function",
							rel),
					 errdetail("A value a function sets for \"%s\" is fixed by its definition and is not a tenant context.",
							   setting),
					 errhint(SET_TENANT_HINT, setting, setting)));
			break;
		case TG_TENANT_CONFIG:
			ereport(tg_violation_level(),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" comes from %s",
							rel, source_description(state->source)),
					 errdetail("A tenant from configuration is ignored: only a value of \"%s\" set in the current transaction with SET LOCAL or set_config(..., true) is a tenant context.",
							   setting),
					 errhint("%s", config_source_hint(state->source))));
			break;
		case TG_TENANT_LOCAL:

			/*
			 * A SET LOCAL value other than the pinned tenant: in warn mode
			 * after a reported switch, or when another module defined the
			 * tenant setting and its assignments escape our check hook.
			 */
			ereport(tg_violation_level(),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant for table \"%s\" changed within the transaction",
							rel),
					 errdetail("The transaction acts for tenant \"%s\", but \"%s\" is now \"%s\".",
							   state->pinned ? state->pinned : "",
							   setting, state->value),
					 errhint("End the transaction with COMMIT or ROLLBACK and set the other tenant in a new one.")));
			break;
	}
}

/* SET (without LOCAL) of the tenant setting, refused before it runs. */
void
tg_report_session_set(const char *name)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot set \"%s\" at session level", name),
			 errdetail("A session-level tenant outlives the transaction and serves the next request on a pooled connection."),
			 errhint(SET_TENANT_HINT, name, name)));
}

/* A session-level tenant assigned by set_config(..., false) or the like. */
void
tg_report_session_tenant(void)
{
	const char *setting = tg_tenant_setting;

	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("\"%s\" was set at session level", setting),
			 errdetail("A session-level tenant outlives the transaction and serves the next request on a pooled connection."),
			 errhint(SET_TENANT_HINT, setting, setting)));
}

void
tg_report_not_forced(Oid relid)
{
	char	   *rel = tg_relation_name(relid);

	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("row-level security on table \"%s\" is not forced", rel),
			 errdetail("The owner of a table whose row-level security is not forced bypasses every policy."),
			 errhint("Force row-level security on the table: ALTER TABLE %s FORCE ROW LEVEL SECURITY;",
					 tg_relation_sql(relid))));
}

void
tg_report_not_forced_at_commit(Oid relid)
{
	char	   *rel = tg_relation_name(relid);

	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" would be left with row-level security enabled but not forced",
					rel),
			 errdetail("The owner of a table whose row-level security is not forced bypasses every policy."),
			 errhint("Force it in the same transaction: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;",
					 tg_relation_sql(relid))));
}

/*
 * A partition or inheritance child without row-level security was named
 * directly, under an ancestor that has it.
 */
void
tg_report_partition_hole(Oid relid, Oid ancestor)
{
	char	   *child = tg_relation_name(relid);
	char	   *parent = tg_relation_name(ancestor);

	if (tg_rel_info(relid)->is_partition)
		ereport(tg_violation_level(),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition \"%s\" of table \"%s\" has no row-level security",
						child, parent),
				 errdetail("Naming a partition directly skips the policies of \"%s\".",
						   parent),
				 errhint("Query \"%s\" instead, or protect the partition: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its parent.",
						 parent, tg_relation_sql(relid))));
	else
		ereport(tg_violation_level(),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" inherits from table \"%s\" but has no row-level security",
						child, parent),
				 errdetail("Naming an inheritance child directly skips the policies of \"%s\".",
						   parent),
				 errhint("Query \"%s\" instead, or protect the child: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its parent.",
						 parent, tg_relation_sql(relid))));
}

/*
 * A partition or inheritance child with row-level security was reached
 * through a parent without.
 */
void
tg_report_child_behind_parent(Oid relid, Oid parent)
{
	char	   *part = tg_relation_name(relid);
	char	   *parentname = tg_relation_name(parent);

	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is read through its parent \"%s\", which has no row-level security",
					part, parentname),
			 errdetail("The policies of a partition or inheritance child do not apply when its parent is queried."),
			 errhint("Protect the parent: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its children.",
					 tg_relation_sql(parent))));
}

/*
 * Find a view in the range table owned by the given role, to name it as the
 * way a table was reached.
 */
static Oid
view_owned_by(List *rtable, Oid owner)
{
	ListCell   *lc;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Oid			view = tg_rte_view(rte);

		if (OidIsValid(view))
		{
			HeapTuple	tuple = SearchSysCache1(RELOID,
												ObjectIdGetDatum(view));

			if (HeapTupleIsValid(tuple))
			{
				Oid			relowner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;

				ReleaseSysCache(tuple);
				if (relowner == owner)
					return view;
			}
		}
	}
	return InvalidOid;
}

/*
 * Row-level security was skipped because the table is read as a role that
 * bypasses it: the owner of a view (as_role is the range table entry's
 * checkAsUser) or of a SECURITY DEFINER function (as_role is the current
 * user).
 */
void
tg_report_bypass(Oid relid, Oid as_role, bool via_view, List *rtable)
{
	char	   *rel = tg_relation_name(relid);
	char	   *role = tg_role_name(as_role);
	Oid			view = via_view ? view_owned_by(rtable, as_role) : InvalidOid;
	Oid			func = via_view ? InvalidOid : tg_current_definer();

	if (OidIsValid(view))
	{
		char	   *viewname = tg_relation_name(view);

		ereport(tg_violation_level(),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("view \"%s\" reads table \"%s\" as role \"%s\", which bypasses row-level security",
						viewname, rel, role),
				 errdetail("A view reads its tables with the privileges of its owner unless it has security_invoker."),
				 errhint("Make the view read as its caller: ALTER VIEW %s SET (security_invoker = true);",
						 tg_relation_sql(view))));
	}
	else if (OidIsValid(func))
	{
		ereport(tg_violation_level(),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("function %s reads table \"%s\" as role \"%s\", which bypasses row-level security",
						format_procedure(func), rel, role),
				 errdetail("A SECURITY DEFINER function runs as its owner."),
				 errhint("Make the function SECURITY INVOKER, or give it an owner without BYPASSRLS. If the bypass is deliberate, exempt the function: ALTER FUNCTION %s SET tenant_guard.mode = off;",
						 format_procedure_qualified(func))));
	}
	else
	{
		ereport(tg_violation_level(),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is read as role \"%s\", which bypasses row-level security",
						rel, role),
				 errdetail("The statement runs with the privileges of a view, rule or function owned by that role."),
				 errhint("Give the object that reads the table an owner without BYPASSRLS, or make it run as its caller.")));
	}
}

void
tg_report_truncate(Oid relid, Oid ancestor)
{
	char	   *rel = tg_relation_name(relid);

	if (!OidIsValid(ancestor))
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate table \"%s\", which has row-level security",
						rel),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
	else if (tg_rel_info(relid)->is_partition)
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate partition \"%s\" of table \"%s\", which has row-level security",
						rel, tg_relation_name(ancestor)),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
	else
		ereport(tg_violation_level(),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate table \"%s\", a child of table \"%s\", which has row-level security",
						rel, tg_relation_name(ancestor)),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
}

void
tg_report_hold_cursor(Oid relid, const char *portalname)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cursor \"%s\" cannot outlive its transaction, because it reads table \"%s\", which has row-level security",
					portalname, tg_relation_name(relid)),
			 errdetail("A cursor kept after COMMIT (WITH HOLD, or the loop of a procedure that commits) keeps its rows outside any tenant context."),
			 errhint("Declare the cursor without WITH HOLD, or commit outside the loop.")));
}

/*
 * A cursor kept past COMMIT by a transaction that read a row-level security
 * table, though not in the cursor's own query: the rows kept are computed
 * in the transaction, through functions, temporary tables or settings.
 */
void
tg_report_hold_after_read(Oid relid, const char *portalname)
{
	/* a procedure's FOR loop runs in an unnamed portal, "<unnamed portal N>" */
	bool		unnamed = portalname[0] == '\0' || portalname[0] == '<';

	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 unnamed ?
			 errmsg("the cursor of a loop cannot outlive a transaction that read table \"%s\", which has row-level security",
					tg_relation_name(relid)) :
			 errmsg("cursor \"%s\" cannot outlive a transaction that read table \"%s\", which has row-level security",
					portalname, tg_relation_name(relid)),
			 errdetail("A cursor kept after COMMIT (WITH HOLD, or the loop of a procedure that commits) keeps rows computed in the transaction, which may carry what it read, outside any tenant context."),
			 errhint("Declare the cursor without WITH HOLD, or commit outside the loop.")));
}

/*
 * currtid2() follows the updates of a row by its physical address, in any
 * table and without row-level security.
 */
void
tg_report_tid_lookup(Oid funcid)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot call function %s, which reads rows by their address without row-level security",
					format_procedure(funcid)),
			 errdetail("It follows the updates of any tenant's row, in any table the role may read."),
			 errhint("Read rows by key in a query, which row-level security limits to the current tenant.")));
}

/* A statement nested in a parallel worker reads a row-level security table. */
void
tg_report_parallel_worker(Oid relid)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot check the tenant context for table \"%s\" in a parallel worker",
					tg_relation_name(relid)),
			 errdetail("A function running in a parallel worker reads the table, and the worker cannot tell where the tenant it sees was set."),
			 errhint("Mark the function PARALLEL RESTRICTED.")));
}

/*
 * Inside a foreign key's ON DELETE/ON UPDATE action PostgreSQL runs
 * statements as the table owner and does not apply FORCE ROW LEVEL
 * SECURITY, so a trigger the action fires reads the owner's tables
 * unfiltered.
 */
void
tg_report_referential_action(Oid relid)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is read without row-level security inside a referential action",
					tg_relation_name(relid)),
			 errdetail("Statements run by triggers that a foreign key's ON DELETE or ON UPDATE action fires run as the table's owner, for whom row-level security is not applied there."),
			 errhint("Do not read tables with row-level security in triggers on tables that cascading foreign keys change.")));
}

/*
 * A transaction is about to get its tenant while the session holds state
 * an earlier request left (session_state.c).  Called from the tenant
 * setting's check hook: the refusal goes through GUC_check_err*, and the
 * hook fails; as_warning (warn mode) reports it as a WARNING instead.
 */
void
tg_report_leftover(const char *tenant, const TgLeftover *leftover,
				   bool as_warning)
{
	char	   *msg;
	char	   *detail;
	char	   *hint;
	const char *role = tg_role_name(GetOuterUserId());

	switch (leftover->kind)
	{
		case TG_LEFTOVER_PREPARED:
			msg = psprintf("cannot set tenant \"%s\" while the session holds prepared statement \"%s\"",
						   tenant, leftover->name);
			detail = psprintf("Statement \"%s\" was made with SQL PREPARE in an earlier transaction.  On a pooled connection the name may be one the pool or the driver prepared, and the next request that executes it would run SQL an earlier request chose.",
							  leftover->name);
			hint = psprintf("Run DEALLOCATE %s (or DISCARD ALL) first.  Prepare statements through the driver (protocol-level), or DEALLOCATE those made with PREPARE before the transaction ends.",
							quote_identifier(leftover->name));
			break;
		case TG_LEFTOVER_SEARCH_PATH:
			msg = psprintf("cannot set tenant \"%s\" while the session's search_path names schema \"%s\"",
						   tenant, leftover->name);
			detail = psprintf(leftover->schema_missing ?
							  "An earlier transaction set search_path to \"%s\" at session level, and role \"%s\" can create schema \"%s\": objects there would take the place of the tables, types and functions the next request names." :
							  "An earlier transaction set search_path to \"%s\" at session level, and role \"%s\" can create objects in schema \"%s\": they would take the place of the tables, types and functions the next request names.",
							  leftover->search_path, role, leftover->name);
			hint = pstrdup("Run RESET search_path (or DISCARD ALL) first.  Set search_path in the role's or database's configuration, or with SET LOCAL in the transaction.");
			break;
		default:
			msg = psprintf("cannot set tenant \"%s\" while the session holds temporary objects",
						   tenant);
			detail = psprintf("Temporary objects, such as %s in schema pg_temp, outlive their transaction; on a pooled connection they pass from one tenant's request to the next.",
							  leftover->name);
			hint = pstrdup("Run DISCARD TEMP first.  Create temporary tables after setting the tenant, with ON COMMIT DROP.");
			break;
	}

	if (as_warning)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_internal("%s", msg),
				 errdetail_internal("%s  tenant_guard.mode is \"warn\"; in \"enforce\" mode setting the tenant would be refused.",
									detail)));
		return;
	}
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("%s", msg);
	GUC_check_errdetail("%s", detail);
	GUC_check_errhint("%s", hint);
}

/*
 * A transaction of a role inside the rules is about to commit while it
 * leaves the session a temporary object or a session-level search_path
 * through a schema the role can create objects in (session_state.c).  The
 * error aborts the transaction, which undoes them.
 */
void
tg_report_leftover_at_commit(const TgLeftover *leftover, bool as_warning)
{
	const char *role = tg_role_name(GetOuterUserId());
	const char *warned = as_warning ?
		"  tenant_guard.mode is \"warn\"; in \"enforce\" mode the commit would fail." : "";

	if (leftover->kind == TG_LEFTOVER_SEARCH_PATH)
		ereport(as_warning ? WARNING : ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot commit a transaction that leaves search_path set to \"%s\"",
						leftover->search_path),
				 errdetail(leftover->schema_missing ?
						   "The session would keep this search_path after the transaction, and role \"%s\" can create schema \"%s\": objects there would take the place of the tables, types and functions the next request on the connection names.%s" :
						   "The session would keep this search_path after the transaction, and role \"%s\" can create objects in schema \"%s\": they would take the place of the tables, types and functions the next request on the connection names.%s",
						   role, leftover->name, warned),
				 errhint("Set search_path with SET LOCAL inside the transaction, or have a role outside tenant_guard's rules set it in the role's or database's configuration.")));
	else
		ereport(as_warning ? WARNING : ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot commit a transaction that leaves temporary objects in the session"),
				 errdetail("The transaction leaves %s.  Temporary objects outlive their transaction, and on a pooled connection the statements of the next request would find them before its tenant is set.%s",
						   leftover->name, warned),
				 errhint("Create temporary tables with ON COMMIT DROP, or drop temporary objects before the transaction ends.")));
}

/*
 * A role inside the rules created a temporary type a statement could name
 * (session_state.c).
 */
void
tg_report_temp_type(const char *name, bool as_warning)
{
	ereport(as_warning ? WARNING : ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot create temporary type pg_temp.%s",
					tg_role_name(GetOuterUserId()), quote_identifier(name)),
			 errdetail("Schema pg_temp comes first in the search path for types: a temporary type stands for the built-in or schema type of its name in every statement the session parses, and functions compiled meanwhile keep it after it is gone."),
			 errhint("Create the type in a regular schema, as a migration run by the schema's owner.")));
}

/*
 * A prepared statement that SQL PREPARE made in an earlier transaction,
 * while a role inside the rules was the session's role, is about to run
 * (session_state.c).
 */
void
tg_report_prepared_execution(const char *name, bool as_warning)
{
	ereport(as_warning ? WARNING : ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot execute prepared statement \"%s\" made with PREPARE in an earlier transaction",
					name),
			 errdetail("On a pooled connection the name may be one the pool or the driver prepared, and the request that executes it would run SQL an earlier request chose, with its own tenant and parameters."),
			 errhint("Run DEALLOCATE %s (or DISCARD ALL) first.  Prepare statements through the driver (protocol-level), or PREPARE and EXECUTE them in one transaction.",
					 quote_identifier(name))));
}

/*
 * SQL PREPARE made a statement whose parameter's conversion runs code a
 * role inside the rules can write or change (session_state.c).
 */
void
tg_report_prepared_parameter(const char *name, int param, Oid typid,
							 bool as_warning)
{
	ereport(as_warning ? WARNING : ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot prepare statement \"%s\" with parameter $%d of type %s",
					name, param, format_type_be(typid)),
			 errdetail("Converting a value to this type runs code that role \"%s\" can write or change (a domain's constraints, a composite type's attributes), before any check of the statement that receives it.",
					   tg_role_name(GetOuterUserId())),
			 errhint("Give the parameter a type owned by a role outside tenant_guard's rules, such as the domain's base type.")));
}

/*
 * A role inside the rules runs ALTER ROLE/DATABASE ... SET or RESET, or
 * ALTER SYSTEM (utility_guard.c): settings that later sessions start with.
 */
void
tg_report_lasting_setting(const char *where, const char *target)
{
	ereport(tg_violation_level(),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot change the settings of %s",
					tg_role_name(GetOuterUserId()), target),
			 errdetail("Settings stored with %s apply to later sessions; on pooled connections they serve other tenants' requests, which would run with a search_path or other settings an earlier request chose.",
					   where),
			 errhint("Run it as a role outside tenant_guard's rules (a superuser or a role with BYPASSRLS).")));
}

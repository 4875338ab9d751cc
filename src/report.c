/*-------------------------------------------------------------------------
 *
 * report.c
 *	  The wording and severity of every message tenant_guard writes.
 *
 * Keeping the messages together keeps them consistent, and keeps the
 * modules that decide free of prose.  A refusal arrives as a verdict
 * (report.h), which the rules filled with every name and fact the message
 * needs: nothing here looks anything up, or decides anything but the
 * words.  Every refusal names the object involved, gives the SQL that
 * fixes it where there is such SQL, and uses one of two SQLSTATEs
 * (DROP EXTENSION's dependent_objects_still_exist aside):
 *
 *	42501 insufficient_privilege: the request may not do this (no tenant
 *		context, a tenant from the wrong place, a tenant switch, TRUNCATE, a
 *		holdable cursor, DDL that would run code over every tenant's rows).
 *	55000 object_not_in_prerequisite_state: the schema is unsafe and DDL must
 *		fix it (row-level security not forced, a partition without it, a
 *		view or function that bypasses it, a change to what protect()
 *		installed).
 *
 * In tenant_guard.mode = warn every refusal is a WARNING and the statement
 * goes on; otherwise it is an ERROR.  The refusals of the tenant setting's
 * check hook go through GUC_check_err* instead (tg_report_assignment).
 *
 * The warnings about the tenant setting's configuration are worded here
 * too, and so are the answers of the SQL functions (protect(),
 * unprotect(), set_tenant(), fill_tenant()) about their call: argument
 * errors and notices, each a small function given the names it needs.
 * Only internal errors that cannot happen (elog) stay where they are
 * detected, as in PostgreSQL.
 *
 * src/report.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "report.h"
#include "token.h"
#include "violations.h"

#define SET_TENANT_HINT \
	"Set the tenant inside the transaction with SET LOCAL %s = '...' or SELECT set_config('%s', '...', true)."

/* The severity of a verdict. */
static inline int
level(const TgVerdict *v)
{
	return v->as_warning ? WARNING : ERROR;
}

/* Where a configuration value came from, in the DBA's terms. */
const char *
tg_tenant_source_description(GucSource source)
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
config_source_hint(const TgVerdict *v)
{
	const char *setting = v->name;
	const char *role = quote_identifier(v->role);
	const char *db = quote_identifier(v->database);

	switch (v->source)
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
							setting);
		default:
			return psprintf("Set the tenant per transaction with SET LOCAL %s = '...'.",
							setting);
	}
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
report_no_tenant(const TgVerdict *v)
{
	const char *rel = v->rel;
	const char *setting = v->name;

	if (!v->in_transaction_block)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 v->ended_with_xact ?
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  The statement runs outside a transaction block, in a transaction of its own; the tenant set by an earlier statement ended with that statement's transaction.",
						   rel, setting) :
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  The statement runs outside a transaction block, in a transaction of its own (autocommit).",
						   rel, setting),
				 errhint("Use BEGIN ... COMMIT around the request, and set the tenant first inside it: BEGIN; SET LOCAL %s = '...'; ... COMMIT;",
						 setting)));
	else if (v->ended_with_xact)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.  A tenant was set in an earlier transaction on this connection, and it ended with that transaction.",
						   rel, setting),
				 errhint("Set the tenant in the same transaction as the statements that need it, with SET LOCAL %s = '...' or SELECT set_config('%s', '...', true).",
						 setting, setting)));
	else
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for table \"%s\"", rel),
				 errdetail("Table \"%s\" has row-level security, and \"%s\" is not set in this transaction.",
						   rel, setting),
				 errhint(SET_TENANT_HINT, setting, setting)));
}

/*
 * A statement reached a row-level security table without a valid tenant
 * context; say what is wrong with the tenant setting as it stands.  A SET
 * LOCAL value other than the pinned tenant (TG_TENANT_CHANGED) is seen in
 * warn mode after a reported switch, or when another module defined the
 * tenant setting and its assignments escape our check hook.
 */
static void
report_tenant_context(const TgVerdict *v)
{
	const char *setting = v->name;
	const char *rel = v->rel;

	switch (v->refusal)
	{
		case TG_NO_TENANT:
			report_no_tenant(v);
			break;
		case TG_TENANT_AT_SESSION_LEVEL:
			ereport(level(v),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" was set at session level",
							rel),
					 errdetail("\"%s\" was set with SET or set_config(..., false), so it would outlive the transaction and serve the next request on a pooled connection.",
							   setting),
					 errhint(SET_TENANT_HINT, setting, setting)));
			break;
		case TG_TENANT_OF_FUNCTION:
			ereport(level(v),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" comes from the SET clause of a function",
							rel),
					 errdetail("A value a function sets for \"%s\" is fixed by its definition and is not a tenant context.",
							   setting),
					 errhint(SET_TENANT_HINT, setting, setting)));
			break;
		case TG_TENANT_OF_CONFIG:
			ereport(level(v),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant context for table \"%s\" comes from %s",
							rel, tg_tenant_source_description(v->source)),
					 errdetail("A tenant from configuration is ignored: only a value of \"%s\" set in the current transaction with SET LOCAL or set_config(..., true) is a tenant context.",
							   setting),
					 errhint("%s", config_source_hint(v))));
			break;
		case TG_TENANT_NOT_SIGNED:
			ereport(level(v),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("signed tenant required for table \"%s\"", rel),
					 errdetail("tenant_guard.require_signed_tenant is on, and \"%s\" was not set by tenant_guard.set_tenant_token() or was assigned again since.",
							   setting),
					 errhint("Set the tenant with SELECT tenant_guard.set_tenant_token('...') using a token from the authentication service, and do not assign \"%s\" afterwards in the transaction.",
							 setting)));
			break;
		default:				/* TG_TENANT_CHANGED */
			ereport(level(v),
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant for table \"%s\" changed within the transaction",
							rel),
					 errdetail("The transaction acts for tenant \"%s\", but \"%s\" is now \"%s\".",
							   v->pinned, setting, v->value),
					 errhint("End the transaction with COMMIT or ROLLBACK and set the other tenant in a new one.")));
			break;
	}
}

/* SET (without LOCAL) of the tenant setting, refused before it runs. */
static void
report_session_set(const TgVerdict *v)
{
	const char *name = v->name;

	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot set \"%s\" at session level", name),
			 errdetail("A session-level tenant outlives the transaction and serves the next request on a pooled connection."),
			 errhint(SET_TENANT_HINT, name, name)));
}

/* A session-level tenant assigned by set_config(..., false) or the like. */
static void
report_session_tenant(const TgVerdict *v)
{
	const char *setting = v->name;

	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("\"%s\" was set at session level", setting),
			 errdetail("A session-level tenant outlives the transaction and serves the next request on a pooled connection."),
			 errhint(SET_TENANT_HINT, setting, setting)));
}

static void
report_not_forced(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("row-level security on table \"%s\" is not forced", v->rel),
			 errdetail("The owner of a table whose row-level security is not forced bypasses every policy."),
			 errhint("Force row-level security on the table: ALTER TABLE %s FORCE ROW LEVEL SECURITY;",
					 v->rel_sql)));
}

static void
report_not_forced_at_commit(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" would be left with row-level security enabled but not forced",
					v->rel),
			 errdetail("The owner of a table whose row-level security is not forced bypasses every policy."),
			 errhint("Force it in the same transaction: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;",
					 v->rel_sql)));
}

/*
 * A partition or inheritance child without row-level security was named
 * directly, under an ancestor that has it.
 */
static void
report_partition_hole(const TgVerdict *v)
{
	const char *child = v->rel;
	const char *parent = v->other;

	if (v->is_partition)
		ereport(level(v),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition \"%s\" of table \"%s\" has no row-level security",
						child, parent),
				 errdetail("Naming a partition directly skips the policies of \"%s\".",
						   parent),
				 errhint("Query \"%s\" instead, or protect the partition: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its parent.",
						 parent, v->rel_sql)));
	else
		ereport(level(v),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" inherits from table \"%s\" but has no row-level security",
						child, parent),
				 errdetail("Naming an inheritance child directly skips the policies of \"%s\".",
						   parent),
				 errhint("Query \"%s\" instead, or protect the child: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its parent.",
						 parent, v->rel_sql)));
}

/*
 * A partition or inheritance child with row-level security was reached
 * through a parent without.
 */
static void
report_child_behind_parent(const TgVerdict *v)
{
	const char *part = v->rel;
	const char *parentname = v->other;

	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is read through its parent \"%s\", which has no row-level security",
					part, parentname),
			 errdetail("The policies of a partition or inheritance child do not apply when its parent is queried."),
			 errhint("Protect the parent: ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; and give it the policies of its children.",
					 v->other_sql)));
}

/*
 * Row-level security was skipped because the table is read as a role that
 * bypasses it: the owner of a view or of a SECURITY DEFINER function, named
 * when the rules found one.
 */
static void
report_bypass(const TgVerdict *v)
{
	const char *rel = v->rel;
	const char *role = v->role;

	if (v->refusal == TG_BYPASS_VIEW)
	{
		const char *viewname = v->other;

		ereport(level(v),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("view \"%s\" reads table \"%s\" as role \"%s\", which bypasses row-level security",
						viewname, rel, role),
				 errdetail("A view reads its tables with the privileges of its owner unless it has security_invoker."),
				 errhint("Make the view read as its caller: ALTER VIEW %s SET (security_invoker = true);",
						 v->other_sql)));
	}
	else if (v->refusal == TG_BYPASS_FUNCTION)
	{
		ereport(level(v),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("function %s reads table \"%s\" as role \"%s\", which bypasses row-level security",
						v->other, rel, role),
				 errdetail("A SECURITY DEFINER function runs as its owner."),
				 errhint("Make the function SECURITY INVOKER, or give it an owner without BYPASSRLS. If the bypass is deliberate, exempt the function: ALTER FUNCTION %s SET tenant_guard.mode = off;",
						 v->other_sql)));
	}
	else
	{
		ereport(level(v),
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is read as role \"%s\", which bypasses row-level security",
						rel, role),
				 errdetail("The statement runs with the privileges of a view, rule or function owned by that role."),
				 errhint("Give the object that reads the table an owner without BYPASSRLS, or make it run as its caller.")));
	}
}

static void
report_truncate(const TgVerdict *v)
{
	const char *rel = v->rel;

	if (v->other == NULL)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate table \"%s\", which has row-level security",
						rel),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
	else if (v->is_partition)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate partition \"%s\" of table \"%s\", which has row-level security",
						rel, v->other),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
	else
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot truncate table \"%s\", a child of table \"%s\", which has row-level security",
						rel, v->other),
				 errdetail("TRUNCATE removes the rows of every tenant; row-level security does not apply to it."),
				 errhint("Use DELETE, which row-level security limits to the current tenant.")));
}

static void
report_hold_cursor(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cursor \"%s\" cannot outlive its transaction, because it reads table \"%s\", which has row-level security",
					v->name, v->rel),
			 errdetail("A cursor kept after COMMIT (WITH HOLD, or the loop of a procedure that commits) keeps its rows outside any tenant context."),
			 errhint("Declare the cursor without WITH HOLD, or commit outside the loop.")));
}

/*
 * The message of report_hold_after_read(): what the transaction read is a
 * table with row-level security, or a view of the statistics; the cursor
 * is named, or the unnamed one of a procedure's FOR loop.
 */
static int
errmsg_hold_after_read(const TgVerdict *v, bool unnamed)
{
	if (v->read_view && unnamed)
		return errmsg("the cursor of a loop cannot outlive a transaction that read view \"%s\", which shows a tenant's statistics",
					  v->rel);
	if (v->read_view)
		return errmsg("cursor \"%s\" cannot outlive a transaction that read view \"%s\", which shows a tenant's statistics",
					  v->name, v->rel);
	if (unnamed)
		return errmsg("the cursor of a loop cannot outlive a transaction that read table \"%s\", which has row-level security",
					  v->rel);
	return errmsg("cursor \"%s\" cannot outlive a transaction that read table \"%s\", which has row-level security",
				  v->name, v->rel);
}

/*
 * A cursor kept past COMMIT by a transaction that read a row-level security
 * table, though not in the cursor's own query, or a tenant's row of the
 * statistics: the rows kept are computed in the transaction, through
 * functions, temporary tables or settings.
 */
static void
report_hold_after_read(const TgVerdict *v)
{
	const char *portalname = v->name;
	/* a procedure's FOR loop runs in an unnamed portal, "<unnamed portal N>" */
	bool		unnamed = portalname[0] == '\0' || portalname[0] == '<';

	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg_hold_after_read(v, unnamed),
			 errdetail("A cursor kept after COMMIT (WITH HOLD, or the loop of a procedure that commits) keeps rows computed in the transaction, which may carry what it read, outside any tenant context."),
			 errhint("Declare the cursor without WITH HOLD, or commit outside the loop.")));
}

/*
 * currtid2() follows the updates of a row by its physical address, in any
 * table and without row-level security.
 */
static void
report_tid_lookup(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot call function %s, which reads rows by their address without row-level security",
					v->other),
			 errdetail("It follows the updates of any tenant's row, in any table the role may read."),
			 errhint("Read rows by key in a query, which row-level security limits to the current tenant.")));
}

/* A statement nested in a parallel worker reads a row-level security table. */
static void
report_parallel_worker(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot check the tenant context for table \"%s\" in a parallel worker",
					v->rel),
			 errdetail("A function running in a parallel worker reads the table, and the worker cannot tell where the tenant it sees was set."),
			 errhint("Mark the function PARALLEL RESTRICTED.")));
}

/*
 * Inside a foreign key's ON DELETE/ON UPDATE action PostgreSQL runs
 * statements as the table owner and does not apply FORCE ROW LEVEL
 * SECURITY, so a trigger the action fires reads the owner's tables
 * unfiltered.
 */
static void
report_referential_action(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is read without row-level security inside a referential action",
					v->rel),
			 errdetail("Statements run by triggers that a foreign key's ON DELETE or ON UPDATE action fires run as the table's owner, for whom row-level security is not applied there."),
			 errhint("Do not read tables with row-level security in triggers on tables that cascading foreign keys change.")));
}

/*
 * A foreign key's action would change rows of the table that may belong to
 * another tenant than the transaction's (value), or the transaction has
 * none: referential_action.c.
 */
static void
report_action_tenant(const TgVerdict *v)
{
	if (v->refusal == TG_ACTION_WITHOUT_TENANT)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant context required for a foreign key's action on table \"%s\"",
						v->rel),
				 errdetail("The foreign key's ON UPDATE or ON DELETE action changes the rows that reference the changed key without row-level security; tenant_guard lets it change only the rows of the transaction's tenant, and the transaction has none."),
				 errhint("Change the referenced key inside a transaction that sets the tenant, with a foreign key that carries the tenant column, or as a role outside the rules.")));
	else
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a foreign key's action on table \"%s\" could change rows of other tenants than \"%s\"",
						v->rel, v->value),
				 errdetail("The foreign key's ON UPDATE or ON DELETE action changes the rows that reference the changed key without row-level security; tenant_guard lets it change only rows whose tenant column it compares with the transaction's tenant, and keeps that column unchanged."),
				 errhint("Make the foreign key carry the tenant column, as in FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id), or change the referenced key as a role outside the rules.")));
}

/*
 * Reword an error of DDL that read every tenant's rows for a role inside
 * the rules (withheld_values.c): the message and detail go to the server
 * log only, the role is told which statement failed and how to see why.
 */
void
tg_word_withheld_error(ErrorData *edata, const char *command, const char *role)
{
	char	   *original = psprintf("%s%s%s", edata->message,
									edata->detail ? " DETAIL: " : "",
									edata->detail ? edata->detail : "");

	edata->message = psprintf("%s failed on a row of a table with row-level security",
							  command);
	edata->detail = psprintf("PostgreSQL's message may quote a value of another tenant's row, which the statement reads without row-level security; role \"%s\" is inside tenant_guard's rules, so the message was written to the server log only.",
							 role);
	edata->detail_log = psprintf("The message was: %s", original);
	edata->hint = pstrdup("Run the migration as a role outside the rules (a superuser or a role with BYPASSRLS) to see the message.");
}

/*
 * A transaction is about to get its tenant while the session holds state
 * an earlier request left (session_state.c).  Called from the tenant
 * setting's check hook: the refusal goes through GUC_check_err*, and the
 * hook fails (false); in warn mode it is reported as a WARNING instead.
 */
static bool
report_leftover(const TgVerdict *v)
{
	const char *tenant = v->value;
	const char *role = v->role;
	char	   *msg;
	char	   *detail;
	char	   *hint;

	switch (v->leftover)
	{
		case TG_LEFTOVER_PREPARED:
			msg = psprintf("cannot set tenant \"%s\" while the session holds prepared statement \"%s\"",
						   tenant, v->other);
			detail = psprintf("Statement \"%s\" was made with SQL PREPARE in an earlier transaction.  On a pooled connection the name may be one the pool or the driver prepared, and the next request that executes it would run SQL an earlier request chose.",
							  v->other);
			hint = psprintf("Run DEALLOCATE %s (or DISCARD ALL) first.  Prepare statements through the driver (protocol-level), or DEALLOCATE those made with PREPARE before the transaction ends.",
							quote_identifier(v->other));
			break;
		case TG_LEFTOVER_SEARCH_PATH:
			msg = psprintf("cannot set tenant \"%s\" while the session's search_path names schema \"%s\"",
						   tenant, v->other);
			detail = psprintf(v->schema_missing ?
							  "An earlier transaction set search_path to \"%s\" at session level, and role \"%s\" can create schema \"%s\": objects there would take the place of the tables, types and functions the next request names." :
							  "An earlier transaction set search_path to \"%s\" at session level, and role \"%s\" can create objects in schema \"%s\": they would take the place of the tables, types and functions the next request names.",
							  v->other_sql, role, v->other);
			hint = pstrdup("Run RESET search_path (or DISCARD ALL) first.  Set search_path in the role's or database's configuration, or with SET LOCAL in the transaction.");
			break;
		default:
			msg = psprintf("cannot set tenant \"%s\" while the session holds temporary objects",
						   tenant);
			detail = psprintf("Temporary objects, such as %s in schema pg_temp, outlive their transaction; on a pooled connection they pass from one tenant's request to the next.",
							  v->other);
			hint = pstrdup("Run DISCARD TEMP first.  Create temporary tables after setting the tenant, with ON COMMIT DROP.");
			break;
	}

	if (v->as_warning)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_internal("%s", msg),
				 errdetail_internal("%s  tenant_guard.mode is \"warn\"; in \"enforce\" mode setting the tenant would be refused.",
									detail)));
		return true;
	}
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("%s", msg);
	GUC_check_errdetail("%s", detail);
	GUC_check_errhint("%s", hint);
	return false;
}

/*
 * A transaction would act for a second tenant (tenant_context.c's check
 * hook): refused through GUC_check_err*, or a WARNING in warn mode.
 */
static bool
report_tenant_switch(const TgVerdict *v)
{
	if (v->as_warning)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant changed from \"%s\" to \"%s\" within a transaction",
						v->pinned, v->value),
				 errdetail("tenant_guard.mode is \"warn\"; in \"enforce\" mode the change would be refused.")));
		return true;
	}

	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("cannot change tenant from \"%s\" to \"%s\" within a transaction",
					 v->pinned, v->value);
	GUC_check_errdetail("The transaction already acts for tenant \"%s\"; a transaction acts for one tenant only.",
						v->pinned);
	GUC_check_errhint("End the transaction with COMMIT or ROLLBACK and set the other tenant in a new one.");
	return false;
}

/* A function's SET clause would change the tenant in a parallel worker. */
static bool
report_worker_tenant_switch(const TgVerdict *v)
{
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("cannot change tenant in a parallel worker");
	GUC_check_errdetail("A function's SET clause would set \"%s\" to \"%s\" while it runs in a parallel worker.",
						v->name, v->value);
	GUC_check_errhint("Remove the SET clause, or mark the function PARALLEL RESTRICTED.");
	return false;
}

/*
 * Word a verdict about an assignment of the tenant setting.  Returns what
 * the check hook returns: false for a refusal, whose message is left to
 * GUC_check_err*; true when the assignment may go on, after a WARNING in
 * warn mode.
 */
static bool
word_assignment(const TgVerdict *v)
{
	switch (v->refusal)
	{
		case TG_TENANT_SWITCH:
			return report_tenant_switch(v);
		case TG_WORKER_TENANT_SWITCH:
			return report_worker_tenant_switch(v);
		case TG_LEFTOVER_AT_TENANT:
			return report_leftover(v);
		default:
			return true;
	}
}

/*
 * Report a verdict about an assignment of the tenant setting, from its
 * check hook: count it (violations.c), then word it.
 */
bool
tg_report_assignment(const TgVerdict *v)
{
	if (v->refusal != TG_ALLOWED)
		tg_violation_note(v);
	return word_assignment(v);
}

/*
 * A transaction of a role inside the rules is about to commit while it
 * leaves the session a temporary object or a session-level search_path
 * through a schema the role can create objects in (session_state.c).  The
 * error aborts the transaction, which undoes them.
 */
static void
report_leftover_at_commit(const TgVerdict *v)
{
	const char *role = v->role;
	const char *warned = v->as_warning ?
		"  tenant_guard.mode is \"warn\"; in \"enforce\" mode the commit would fail." : "";

	if (v->leftover == TG_LEFTOVER_SEARCH_PATH)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot commit a transaction that leaves search_path set to \"%s\"",
						v->other_sql),
				 errdetail(v->schema_missing ?
						   "The session would keep this search_path after the transaction, and role \"%s\" can create schema \"%s\": objects there would take the place of the tables, types and functions the next request on the connection names.%s" :
						   "The session would keep this search_path after the transaction, and role \"%s\" can create objects in schema \"%s\": they would take the place of the tables, types and functions the next request on the connection names.%s",
						   role, v->other, warned),
				 errhint("Set search_path with SET LOCAL inside the transaction, or have a role outside tenant_guard's rules set it in the role's or database's configuration.")));
	else
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot commit a transaction that leaves temporary objects in the session"),
				 errdetail("The transaction leaves %s.  Temporary objects outlive their transaction, and on a pooled connection the statements of the next request would find them before its tenant is set.%s",
						   v->other, warned),
				 errhint("Create temporary tables with ON COMMIT DROP, or drop temporary objects before the transaction ends.")));
}

/*
 * A role inside the rules created a temporary type a statement could name
 * (session_state.c).
 */
static void
report_temp_type(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot create temporary type pg_temp.%s",
					v->role, quote_identifier(v->name)),
			 errdetail("Schema pg_temp comes first in the search path for types: a temporary type stands for the built-in or schema type of its name in every statement the session parses, and functions compiled meanwhile keep it after it is gone."),
			 errhint("Create the type in a regular schema, as a migration run by the schema's owner.")));
}

/*
 * A prepared statement that SQL PREPARE made in an earlier transaction,
 * while a role inside the rules was the session's role, is about to run
 * (session_state.c).
 */
static void
report_prepared_execution(const TgVerdict *v)
{
	const char *name = v->name;

	ereport(level(v),
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
static void
report_prepared_parameter(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot prepare statement \"%s\" with parameter $%d of type %s",
					v->name, v->param, v->other),
			 errdetail("Converting a value to this type runs code that role \"%s\" can write or change (a domain's constraints, a composite type's attributes), before any check of the statement that receives it.",
					   v->role),
			 errhint("Give the parameter a type owned by a role outside tenant_guard's rules, such as the domain's base type.")));
}

/*
 * A role inside the rules runs ALTER ROLE/DATABASE ... SET or RESET, or
 * ALTER SYSTEM (utility_guard.c): settings that later sessions start with.
 */
static void
report_lasting_setting(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot change the settings of %s",
					v->role, v->other),
			 errdetail("Settings stored with %s apply to later sessions; on pooled connections they serve other tenants' requests, which would run with a search_path or other settings an earlier request chose.",
					   v->name),
			 errhint("Run it as a role outside tenant_guard's rules (a superuser or a role with BYPASSRLS).")));
}

/*
 * DETAIL and HINT of a drift refusal on a shard, or a worker's copy, of a
 * protected Citus table (v->other); returns 0 for ereport.  The change has
 * to be made on the coordinator, whose guard judges it for every shard.
 */
static int
shard_drift_detail_and_hint(const TgVerdict *v)
{
	if (strcmp(v->rel, v->other) == 0)
		errdetail("The table is this node's copy of Citus table \"%s\", whose tenant isolation was installed by tenant_guard.protect() on the coordinator; this change would weaken it here.",
				  v->other);
	else
		errdetail("The table is a shard of Citus table \"%s\", whose tenant isolation was installed by tenant_guard.protect() on the coordinator; this change would weaken it on this shard.",
				  v->other);
	errhint("Change the table on the coordinator, which applies the change to every shard.  To change a shard deliberately, make the change as a superuser with SET LOCAL tenant_guard.mode = off.");
	return 0;
}

/* DETAIL and HINT shared by every drift refusal; returns 0 for ereport. */
static int
drift_detail_and_hint(const TgVerdict *v)
{
	if (v->other != NULL)
		return shard_drift_detail_and_hint(v);
	errdetail("The table's tenant isolation was installed by tenant_guard.protect(); this change would weaken it.");
	errhint("To make the change deliberately, run SELECT tenant_guard.unprotect(%s); first, or make it with tenant_guard.mode set to off.",
			quote_literal_cstr(v->rel_sql));
	return 0;
}

/*
 * The drift guard refuses (or, in warn mode, reports) a change that would
 * weaken what protect() installed on a table (drift_guard.c).  v->name is
 * the policy or column concerned, for the changes that have one.
 */
static void
report_drift(const TgVerdict *v)
{
	const char *rel = v->rel;
	const char *name = v->name;
	int			code = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;

	switch (v->refusal)
	{
		case TG_DRIFT_DISABLE_RLS:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot disable row-level security of protected table \"%s\"",
							rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_NO_FORCE_RLS:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot stop forcing row-level security of protected table \"%s\"",
							rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_DROP_POLICY:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot drop policy \"%s\" of protected table \"%s\"",
							name, rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_ALTER_POLICY:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot alter policy \"%s\" of protected table \"%s\"",
							name, rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_RENAME_POLICY:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot rename policy \"%s\" of protected table \"%s\"",
							name, rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_DROP_TENANT_COLUMN:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot drop tenant column \"%s\" of protected table \"%s\"",
							name, rel),
					 drift_detail_and_hint(v)));
			break;
		case TG_DRIFT_RETYPE_TENANT_COLUMN:
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot change the type of tenant column \"%s\" of protected table \"%s\"",
							name, rel),
					 drift_detail_and_hint(v)));
			break;
		default:				/* TG_DRIFT_CASCADE */
			ereport(level(v),
					(errcode(code),
					 errmsg("cannot drop the tenant isolation of protected table \"%s\"",
							rel),
					 errdetail("The statement drops a policy or the tenant column that tenant_guard.protect() installed or relies on, as a dependent object."),
					 v->other != NULL ?
					 errhint("The table is a shard or copy of Citus table \"%s\": change that table on the coordinator.  To change this one deliberately, make the change as a superuser with SET LOCAL tenant_guard.mode = off.",
							 v->other) :
					 errhint("To make the change deliberately, run SELECT tenant_guard.unprotect(%s); first, or make it with tenant_guard.mode set to off.",
							 quote_literal_cstr(v->rel_sql))));
			break;
	}
}

/*
 * Detaching a partition (v->rel) from a protected table (v->other) that is
 * not protected on its own.
 */
static void
report_drift_detach(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot detach partition \"%s\" from protected table \"%s\"",
					v->rel, v->other),
			 errdetail("The partition is not protected on its own, so once detached its rows would have no row-level security."),
			 errhint("Protect it first: SELECT tenant_guard.protect(%s);",
					 quote_literal_cstr(v->rel_sql))));
}

/*
 * A protected table (v->rel) would be a child of a table (v->other) that
 * does not enforce the isolation on its tenant column (v->name).
 */
static void
report_drift_open_parent(const TgVerdict *v)
{
	const char *rel = v->rel;
	const char *par = v->other;

	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("protected table \"%s\" cannot be a child of table \"%s\", which does not enforce its tenant isolation",
					rel, par),
			 errdetail("A query on \"%s\" applies only that table's policies, so it would read and change every tenant's rows of \"%s\".",
					   par, rel),
			 errhint("Protect the parent first (SELECT tenant_guard.protect(%s, %s);), or make the change with tenant_guard.mode set to off.",
					 quote_literal_cstr(v->other_sql),
					 quote_literal_cstr(v->name))));
}

/*
 * DROP EXTENSION tenant_guard while it protects tables (v->count) would
 * take their isolation policies with it.
 */
static void
report_drift_drop_extension(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot drop extension tenant_guard while it protects tables"),
			 errdetail_plural("%lld table is protected.",
							  "%lld tables are protected.",
							  v->count,
							  (long long) v->count),
			 errhint("Unprotect them first: SELECT tenant_guard.unprotect(relation) FROM tenant_guard.registry WHERE partition_of IS NULL;")));
}

#define OUTSIDE_THE_RULES_HINT \
	"Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS)."
#define BUILT_IN_FUNCTIONS_HINT \
	"Run such migrations as a role outside the rules (a superuser or a role with BYPASSRLS), or call only built-in functions that are not volatile."

/*
 * Rule 6: DDL on a table with row-level security (v->rel) would make
 * PostgreSQL run code over every tenant's rows (owner_code.c).  v->what is
 * the object that would run it, v->other the function, if there is one:
 * not built in or volatile (TG_OWNER_CODE), or a function of a role
 * outside the rules whose body the search_path can redirect
 * (TG_OWNER_CODE_SEARCH_PATH).
 */
static void
report_owner_code(const TgVerdict *v)
{
	const char *rel = v->rel;

	if (v->refusal == TG_OWNER_CODE_SEARCH_PATH)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s on table \"%s\" would run function %s over every tenant's rows",
						v->what, rel, v->other),
				 errdetail("The function looks up the names in its body through a search_path that names a schema where a role inside tenant_guard's rules may create objects to take their place, and PostgreSQL does not apply the row-level security of table \"%s\" to the rows DDL reads.",
						   rel),
				 errhint("Run the statement with SET LOCAL search_path = pg_catalog, pg_temp, or give the function a search_path of schemas only roles outside the rules may create objects in (ALTER FUNCTION ... SET search_path).")));
	else if (v->refusal == TG_OWNER_CODE)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s on table \"%s\" would run function %s over every tenant's rows",
						v->what, rel, v->other),
				 errdetail("Table \"%s\" has row-level security, which PostgreSQL does not apply to the rows DDL reads; roles inside tenant_guard's rules may run only built-in functions that are not volatile there.",
						   rel),
				 errhint(BUILT_IN_FUNCTIONS_HINT)));
	else						/* TG_OWNER_ACTION */
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s on table \"%s\" would act on every tenant's rows",
						v->what, rel),
				 errdetail("Table \"%s\" has row-level security, which PostgreSQL does not apply to the rows DDL reads or rules write; roles inside tenant_guard's rules may not do this there.",
						   rel),
				 errhint(OUTSIDE_THE_RULES_HINT)));
}

/*
 * Rule 6 about code that exists already, or that PostgreSQL calls where no
 * statement names it: a check (v->name) of a domain (v->type) that a table
 * with row-level security uses, the replacement of a function (v->other)
 * that v->what on table v->rel runs, a cast with such a function.
 */
static void
report_owner_code_elsewhere(const TgVerdict *v)
{
	if (v->refusal == TG_OWNER_DOMAIN_CHECK)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("check constraint \"%s\" on domain %s would run function %s over every tenant's rows",
						v->name, v->type, v->other),
				 errdetail("A table with row-level security has a column of this domain, and PostgreSQL applies no row-level security to the rows DDL reads."),
				 errhint(BUILT_IN_FUNCTIONS_HINT)));
	else if (v->refusal == TG_OWNER_REPLACE)
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot replace function %s, which %s on table \"%s\" runs over every tenant's rows",
						v->other, v->what, v->rel),
				 errdetail("Roles inside tenant_guard's rules may not change code that runs over the rows of a table with row-level security."),
				 errhint(OUTSIDE_THE_RULES_HINT)));
	else						/* TG_OWNER_CAST */
		ereport(level(v),
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot create a cast with function %s",
						v->role, v->other),
				 errdetail("PostgreSQL calls casts where no statement names them (the || operator with text, quote_literal(), to_json(), foreign key checks), also in DDL that reads every tenant's rows without row-level security; roles inside tenant_guard's rules may create casts only with built-in functions that are not volatile."),
				 errhint(OUTSIDE_THE_RULES_HINT)));
}

/* A verdict of rules 1 to 3: the tenant context and its assignments. */
static void
report_tenant_rule(const TgVerdict *v)
{
	switch (v->refusal)
	{
		case TG_SESSION_TENANT:
			report_session_tenant(v);
			break;
		case TG_SESSION_SET:
			report_session_set(v);
			break;
		case TG_TENANT_SWITCH:
		case TG_WORKER_TENANT_SWITCH:
		case TG_LEFTOVER_AT_TENANT:
			(void) word_assignment(v);
			break;
		default:				/* TG_NO_TENANT to TG_TENANT_NOT_SIGNED */
			report_tenant_context(v);
			break;
	}
}

/* A verdict of rule 2 about the state a session keeps. */
static void
report_session_state(const TgVerdict *v)
{
	switch (v->refusal)
	{
		case TG_LEFTOVER_AT_COMMIT:
			report_leftover_at_commit(v);
			break;
		case TG_TEMP_TYPE:
			report_temp_type(v);
			break;
		case TG_PREPARED_EXECUTION:
			report_prepared_execution(v);
			break;
		case TG_PREPARED_PARAMETER:
			report_prepared_parameter(v);
			break;
		default:				/* TG_LASTING_SETTING */
			report_lasting_setting(v);
			break;
	}
}

/* A verdict of rules 4 and 5 about a table a statement reaches. */
static void
report_table_rule(const TgVerdict *v)
{
	switch (v->refusal)
	{
		case TG_NOT_FORCED:
			report_not_forced(v);
			break;
		case TG_NOT_FORCED_AT_COMMIT:
			report_not_forced_at_commit(v);
			break;
		case TG_PARTITION_HOLE:
			report_partition_hole(v);
			break;
		case TG_CHILD_BEHIND_PARENT:
			report_child_behind_parent(v);
			break;
		case TG_REFERENTIAL_ACTION:
			report_referential_action(v);
			break;
		case TG_ACTION_WITHOUT_TENANT:
		case TG_ACTION_OTHER_TENANTS:
			report_action_tenant(v);
			break;
		case TG_PARALLEL_WORKER:
			report_parallel_worker(v);
			break;
		case TG_TRUNCATE:
			report_truncate(v);
			break;
		case TG_HOLD_CURSOR:
			report_hold_cursor(v);
			break;
		case TG_HOLD_AFTER_READ:
			report_hold_after_read(v);
			break;
		case TG_TID_LOOKUP:
			report_tid_lookup(v);
			break;
		default:				/* TG_BYPASS_VIEW, _FUNCTION, _ROLE */
			report_bypass(v);
			break;
	}
}

/*
 * A policy (v->name) of a protected table (v->rel) in a database where
 * Citus is installed does not enforce the tenant on its column (v->value).
 * Citus copies every policy to the shards as a permissive one, where it
 * would widen what protect()'s policies let through, whatever it is on
 * the coordinator.
 */
static void
report_drift_citus_policy(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("policy \"%s\" of protected table \"%s\" does not enforce the tenant",
					v->name, v->rel),
			 errdetail("Citus copies every policy of a distributed table to its shards as a permissive one, where a policy that does not require \"%s\" to match the tenant lets rows of every tenant through.",
					   v->value),
			 errhint("Add the tenant condition to the policy's USING and WITH CHECK expressions: %s = tenant_guard.tenant()::type AND ...",
					 quote_identifier(v->value))));
}

/*
 * A trigger (v->name) on a shard or a worker's copy (v->rel) of a protected
 * Citus table (v->other), created on a worker.  Citus creates no trigger
 * on shards (it refuses them on distributed tables); one made there runs
 * the function of whoever wrote it on every tenant's rows that Citus routes
 * to the shard.
 */
static void
report_drift_shard_trigger(const TgVerdict *v)
{
	ereport(level(v),
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot create trigger \"%s\" on \"%s\", a shard of protected table \"%s\"",
					v->name, v->rel, v->other),
			 errdetail("Citus routes the rows of every tenant of the shard through it; a trigger there would run on all of them, outside any tenant's request."),
			 errhint("Create triggers on the distributed table on the coordinator, where the rules apply.")));
}

/* A verdict of the drift guard. */
static void
report_drift_verdict(const TgVerdict *v)
{
	switch (v->refusal)
	{
		case TG_DRIFT_DETACH:
			report_drift_detach(v);
			break;
		case TG_DRIFT_OPEN_PARENT:
			report_drift_open_parent(v);
			break;
		case TG_DRIFT_DROP_EXTENSION:
			report_drift_drop_extension(v);
			break;
		case TG_DRIFT_CITUS_POLICY:
			report_drift_citus_policy(v);
			break;
		case TG_DRIFT_SHARD_TRIGGER:
			report_drift_shard_trigger(v);
			break;
		default:				/* a change to the table's own isolation */
			report_drift(v);
			break;
	}
}

/*
 * Report a verdict: an ERROR, or in warn mode a WARNING, for a refusal;
 * nothing for TG_ALLOWED.  A refusal is counted first (violations.c): this
 * is the one place every refusal passes, but the check hook's
 * (tg_report_assignment).  Every kind is listed here, so that the compiler
 * names one that no function words; the groups choose the function.
 */
void
tg_report(const TgVerdict *v)
{
	if (v->refusal != TG_ALLOWED)
		tg_violation_note(v);
	switch (v->refusal)
	{
		case TG_ALLOWED:
			break;
		case TG_NO_TENANT:
		case TG_TENANT_AT_SESSION_LEVEL:
		case TG_TENANT_OF_FUNCTION:
		case TG_TENANT_OF_CONFIG:
		case TG_TENANT_CHANGED:
		case TG_TENANT_NOT_SIGNED:
		case TG_SESSION_TENANT:
		case TG_SESSION_SET:
		case TG_TENANT_SWITCH:
		case TG_WORKER_TENANT_SWITCH:
		case TG_LEFTOVER_AT_TENANT:
			report_tenant_rule(v);
			break;
		case TG_TOKEN_REFUSED:
			elog(ERROR, "a refused tenant token is reported by tg_report_token()");
			break;
		case TG_LEFTOVER_AT_COMMIT:
		case TG_TEMP_TYPE:
		case TG_PREPARED_EXECUTION:
		case TG_PREPARED_PARAMETER:
		case TG_LASTING_SETTING:
			report_session_state(v);
			break;
		case TG_NOT_FORCED:
		case TG_NOT_FORCED_AT_COMMIT:
		case TG_PARTITION_HOLE:
		case TG_CHILD_BEHIND_PARENT:
		case TG_BYPASS_VIEW:
		case TG_BYPASS_FUNCTION:
		case TG_BYPASS_ROLE:
		case TG_REFERENTIAL_ACTION:
		case TG_ACTION_WITHOUT_TENANT:
		case TG_ACTION_OTHER_TENANTS:
		case TG_PARALLEL_WORKER:
		case TG_TRUNCATE:
		case TG_HOLD_CURSOR:
		case TG_HOLD_AFTER_READ:
		case TG_TID_LOOKUP:
			report_table_rule(v);
			break;
		case TG_DRIFT_DISABLE_RLS:
		case TG_DRIFT_NO_FORCE_RLS:
		case TG_DRIFT_DROP_POLICY:
		case TG_DRIFT_ALTER_POLICY:
		case TG_DRIFT_RENAME_POLICY:
		case TG_DRIFT_DROP_TENANT_COLUMN:
		case TG_DRIFT_RETYPE_TENANT_COLUMN:
		case TG_DRIFT_CASCADE:
		case TG_DRIFT_DETACH:
		case TG_DRIFT_OPEN_PARENT:
		case TG_DRIFT_DROP_EXTENSION:
		case TG_DRIFT_CITUS_POLICY:
		case TG_DRIFT_SHARD_TRIGGER:
			report_drift_verdict(v);
			break;
		case TG_OWNER_CODE:
		case TG_OWNER_CODE_SEARCH_PATH:
		case TG_OWNER_ACTION:
			report_owner_code(v);
			break;
		case TG_OWNER_DOMAIN_CHECK:
		case TG_OWNER_REPLACE:
		case TG_OWNER_CAST:
			report_owner_code_elsewhere(v);
			break;
	}
}

/*
 * ALTER ROLE/DATABASE ... SET or ALTER SYSTEM gave the tenant setting (name)
 * a value, which is allowed but never counts as a tenant context
 * (utility_guard.c): say so now rather than when every statement of the
 * application fails.
 */
void
tg_report_configured_tenant(const char *where, const char *name)
{
	ereport(WARNING,
			(errmsg("a tenant set with %s is never a tenant context", where),
			 errdetail("tenant_guard counts \"%s\" only when it is set in the current transaction with SET LOCAL or set_config(..., true), so statements on tables with row-level security will be refused.",
					   name),
			 errhint("Set the tenant per transaction in the application instead.")));
}

/*
 * tenant_guard.tenant_setting names a variable that cannot hold a tenant
 * (tenant_context.c): every statement on a row-level security table will be
 * refused.
 */
void
tg_report_tenant_setting_unusable(const char *name)
{
	ereport(WARNING,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("configuration parameter \"%s\" cannot hold a tenant",
					name),
			 errhint("Set tenant_guard.tenant_setting to the name of a custom string setting such as \"app.current_tenant\".")));
}

/*
 * Another module defined the tenant setting's variable, so our check hook
 * does not see its assignments (tenant_context.c).
 */
void
tg_report_tenant_setting_foreign(const char *name)
{
	ereport(LOG,
			(errmsg("tenant_guard uses configuration parameter \"%s\" as defined by another module",
					name),
			 errdetail("A change of tenant within a transaction is refused at the next statement rather than at once.")));
}

/* set_tenant_token() called where it cannot set a tenant. */
static void
report_token_call(const TgToken *t)
{
	switch (t->failure)
	{
		case TG_TOKEN_OUTSIDE_BLOCK:
			ereport(ERROR,
					(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
					 errmsg("tenant_guard.set_tenant_token() can only be used in transaction blocks"),
					 errdetail("The tenant lasts until the end of the transaction, and this statement is a transaction of its own."),
					 errhint("Start the request with BEGIN, set the tenant, and end it with COMMIT.")));
			break;
		case TG_TOKEN_NULL:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token must not be null")));
			break;
		default:				/* TG_TOKEN_OTHER_TENANT */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cannot change tenant from \"%s\" within a transaction",
							t->pinned),
					 errdetail("The transaction already acts for tenant \"%s\"; a transaction acts for one tenant only.",
							   t->pinned),
					 errhint("End the transaction with COMMIT or ROLLBACK and set the other tenant in a new one.")));
			break;
	}
}

/*
 * The keys: none configured, a setting that does not parse (55000: the
 * configuration must be fixed; the entry is named by number, never
 * quoted), or no key of the token's kid.
 */
static void
report_token_keys(const TgToken *t)
{
	switch (t->failure)
	{
		case TG_TOKEN_NO_KEYS:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no key is configured for %s tenant tokens", t->alg),
					 errhint("Set %s in postgresql.conf and reload the configuration.",
							 t->setting)));
			break;
		case TG_TOKEN_KEYS_INVALID:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s cannot be used", t->setting),
					 errdetail("Entry %d: %s", t->keys->error_entry,
							   t->keys->error),
					 errhint("Correct %s in postgresql.conf and reload the configuration; until then every %s token is refused.",
							 t->setting, t->alg)));
			break;
		default:				/* TG_TOKEN_UNKNOWN_KID */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token key is not configured"),
					 t->kid ?
					 errdetail("No entry of %s has key id \"%s\".", t->setting, t->kid) :
					 errdetail("No entry of %s has the key id the token names.", t->setting)));
			break;
	}
}

/* The token's form, header and signature. */
static void
report_token_form(const TgToken *t)
{
	switch (t->failure)
	{
		case TG_TOKEN_OVERSIZED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is too long"),
					 errdetail("A tenant token may be at most %d bytes long; this one is %d bytes long.",
							   TG_TOKEN_MAX_LEN, t->length)));
			break;
		case TG_TOKEN_MALFORMED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is malformed"),
					 strcmp(t->part, "token") == 0 ?
					 errdetail("A tenant token is a JSON Web Token in compact form: three base64url parts separated by dots.") :
					 strcmp(t->part, "signature") == 0 ?
					 errdetail("Its signature is not base64url without padding.") :
					 errdetail("Its %s is not a JSON object in base64url without padding (UTF-8, each member once, nested at most %d deep).",
							   t->part, TG_TOKEN_MAX_DEPTH)));
			break;
		case TG_TOKEN_BAD_ALG:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token algorithm is not accepted"),
					 t->alg ?
					 errdetail("The token's header names algorithm \"%s\"; only HS256 and EdDSA are accepted.", t->alg) :
					 errdetail("The token's header names no algorithm that can be shown; only HS256 and EdDSA are accepted.")));
			break;
		case TG_TOKEN_CRIT:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token requires extensions that are not implemented"),
					 errdetail("Its header has a \"crit\" member.")));
			break;
		default:				/* TG_TOKEN_BAD_SIGNATURE */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token signature is not valid")));
			break;
	}
}

/* The claims of a token whose signature is valid. */
static void
report_token_claims(const TgToken *t)
{
	switch (t->failure)
	{
		case TG_TOKEN_NO_EXP:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token has no expiry"),
					 errdetail("The claim \"exp\" is required.")));
			break;
		case TG_TOKEN_BAD_TIME:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is malformed"),
					 errdetail("Its claim \"%s\" is not a number of seconds.", t->claim)));
			break;
		case TG_TOKEN_EXPIRED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token has expired")));
			break;
		case TG_TOKEN_NOT_YET_VALID:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is not valid yet"),
					 errdetail("Its claim \"nbf\" lies in the future.")));
			break;
		case TG_TOKEN_ISSUED_LATER:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is not valid yet"),
					 errdetail("Its claim \"iat\" lies in the future.")));
			break;
		case TG_TOKEN_TOO_LONG_LIVED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token lives too long"),
					 t->claim ?
					 errdetail("It is valid for " INT64_FORMAT " seconds from its \"iat\"; tenant_guard.token_max_age allows %d.",
							   t->lifetime, t->max_age) :
					 errdetail("It has no \"iat\", and its \"exp\" lies more than %d seconds (tenant_guard.token_max_age) ahead.",
							   t->max_age),
					 errhint("Mint tenant tokens per request, with a short expiry.")));
			break;
		case TG_TOKEN_AUDIENCE:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token is not meant for this database"),
					 errdetail("Its claim \"aud\" does not name \"%s\" (tenant_guard.token_audience).",
							   t->audience)));
			break;
		default:				/* TG_TOKEN_NO_TENANT, TG_TOKEN_BAD_TENANT */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("tenant token names no tenant"),
					 t->failure == TG_TOKEN_NO_TENANT ?
					 errdetail("Its claim \"%s\" (tenant_guard.token_tenant_claim) is missing, null or empty.", t->claim) :
					 errdetail("Its claim \"%s\" (tenant_guard.token_tenant_claim) is neither a string nor an integer.", t->claim)));
			break;
	}
}

/*
 * What was wrong with a refused token, as the violations view names it; NULL
 * for a call that could not take a token (outside a transaction block) and
 * for keys the server lacks or cannot read: errors of the application's or
 * the server's setup, not of a request, which are not violations.
 */
static const char *
token_failure_name(TgTokenFailure failure)
{
	switch (failure)
	{
		case TG_TOKEN_VALID:
		case TG_TOKEN_OUTSIDE_BLOCK:
		case TG_TOKEN_NO_KEYS:
		case TG_TOKEN_KEYS_INVALID:
			return NULL;
		case TG_TOKEN_NULL:
			return "null";
		case TG_TOKEN_OVERSIZED:
			return "oversized";
		case TG_TOKEN_MALFORMED:
			return "malformed";
		case TG_TOKEN_BAD_ALG:
			return "algorithm";
		case TG_TOKEN_CRIT:
			return "crit";
		case TG_TOKEN_UNKNOWN_KID:
			return "unknown_kid";
		case TG_TOKEN_BAD_SIGNATURE:
			return "signature";
		case TG_TOKEN_NO_EXP:
			return "no_expiry";
		case TG_TOKEN_BAD_TIME:
			return "bad_time";
		case TG_TOKEN_EXPIRED:
			return "expired";
		case TG_TOKEN_NOT_YET_VALID:
			return "not_yet_valid";
		case TG_TOKEN_ISSUED_LATER:
			return "issued_later";
		case TG_TOKEN_TOO_LONG_LIVED:
			return "too_long_lived";
		case TG_TOKEN_AUDIENCE:
			return "audience";
		case TG_TOKEN_NO_TENANT:
			return "no_tenant";
		case TG_TOKEN_BAD_TENANT:
			return "bad_tenant";
		case TG_TOKEN_OTHER_TENANT:
			return "other_tenant";
	}
	return NULL;
}

/*
 * Count a refused token (violations.c) before it is worded: rule 1's
 * token_refused, since a tenant nobody vouched for is no tenant, with what
 * was wrong as its object (a fixed word, never a part of the token, so that
 * no token can make rows of its own); a token for another tenant than the
 * transaction's is rule 3's tenant switch.  In warn mode too a refused
 * token is an error.
 */
static void
note_token_refusal(const TgToken *t)
{
	const char *failure = token_failure_name(t->failure);
	TgVerdict	v;

	if (failure == NULL)
		return;
	memset(&v, 0, sizeof(v));
	if (t->failure == TG_TOKEN_OTHER_TENANT)
	{
		v.refusal = TG_TENANT_SWITCH;
		v.name = "tenant_guard.set_tenant_token()";
	}
	else
	{
		v.refusal = TG_TOKEN_REFUSED;
		v.name = failure;
	}
	tg_violation_note(&v);
}

/*
 * A tenant token refused by set_tenant_token() (token.c decides).  Always
 * an ERROR, in warn mode too: an unverified token never sets a tenant.  The
 * message quotes nothing from the token but its alg and kid when they are
 * short and printable, and never a key; the token is refused as a whole,
 * with one SQLSTATE (42501) whatever is wrong with it, 55000 when the
 * keys are not configured.  Nothing for a valid token.
 */
void
tg_report_token(const TgToken *t)
{
	note_token_refusal(t);
	switch (t->failure)
	{
		case TG_TOKEN_VALID:
			break;
		case TG_TOKEN_OUTSIDE_BLOCK:
		case TG_TOKEN_NULL:
		case TG_TOKEN_OTHER_TENANT:
			report_token_call(t);
			break;
		case TG_TOKEN_NO_KEYS:
		case TG_TOKEN_KEYS_INVALID:
		case TG_TOKEN_UNKNOWN_KID:
			report_token_keys(t);
			break;
		case TG_TOKEN_OVERSIZED:
		case TG_TOKEN_MALFORMED:
		case TG_TOKEN_BAD_ALG:
		case TG_TOKEN_CRIT:
		case TG_TOKEN_BAD_SIGNATURE:
			report_token_form(t);
			break;
		case TG_TOKEN_NO_EXP:
		case TG_TOKEN_BAD_TIME:
		case TG_TOKEN_EXPIRED:
		case TG_TOKEN_NOT_YET_VALID:
		case TG_TOKEN_ISSUED_LATER:
		case TG_TOKEN_TOO_LONG_LIVED:
		case TG_TOKEN_AUDIENCE:
		case TG_TOKEN_NO_TENANT:
		case TG_TOKEN_BAD_TENANT:
			report_token_claims(t);
			break;
	}
}

/*
 * The answers of protect() and unprotect() about their call: errors in
 * their arguments, and notices of what they did (protect.c).  Like
 * PostgreSQL's own functions' messages, they are about the call, not
 * verdicts of a rule, so they are ERRORs (or NOTICEs) in every mode; they
 * are worded here with the rest.  rel is a table's name as messages name
 * it, rel_sql as SQL names it.
 */

/* The table of protect()'s or unprotect()'s argument does not exist. */
void
tg_report_no_such_relation(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("relation with OID %u does not exist", relid)));
}

void
tg_report_not_a_table(const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is not a table", rel),
			 errdetail("Only ordinary and partitioned tables can be protected.")));
}

void
tg_report_system_catalog(const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot protect system catalog \"%s\"", rel)));
}

void
tg_report_temporary_table(const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("cannot protect temporary table \"%s\"", rel),
			 errdetail("A temporary table belongs to one session, and disappears without a trace tenant_guard could follow.")));
}

/* protect()'s tenant column (column) does not exist in rel. */
void
tg_report_no_tenant_column(const char *column, const char *rel,
						   const char *rel_sql)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of table \"%s\" does not exist",
					column, rel),
			 errhint("Name the tenant column: SELECT tenant_guard.protect(%s, 'tenant_column');",
					 quote_literal_cstr(rel_sql))));
}

void
tg_report_system_tenant_column(const char *column)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
			 errmsg("system column \"%s\" cannot be a tenant column",
					column)));
}

/* The tenant column has a type protect() does not support (type). */
void
tg_report_tenant_column_type(const char *column, const char *rel,
							 const char *type)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("tenant column \"%s\" of table \"%s\" has type %s",
					column, rel, type),
			 errdetail("tenant_guard.protect() supports tenant columns of type integer, bigint, uuid and text.")));
}

/* protect() names another tenant column than the registry's (column). */
void
tg_report_other_tenant_column(const char *rel, const char *rel_sql,
							  const char *column)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"%s\" is already protected with tenant column \"%s\"",
					rel, column),
			 errhint("To change the tenant column, unprotect the table first: SELECT tenant_guard.unprotect(%s);",
					 quote_literal_cstr(rel_sql))));
}

/*
 * PostgreSQL refused NOT NULL on the tenant column: say what to do about
 * the rows.
 */
void
tg_report_tenant_column_nulls(const char *column, const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("tenant column \"%s\" of table \"%s\" contains null values",
					column, rel),
			 errdetail("A row without a tenant belongs to no tenant, and protect() makes the tenant column NOT NULL."),
			 errhint("Assign those rows to a tenant or delete them, then call protect() again.")));
}

/* The extension predates the registry (protect.c, registry.c). */
void
tg_report_registry_missing(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("tenant_guard registry is missing"),
			 errhint("Update the extension: ALTER EXTENSION tenant_guard UPDATE;")));
}

/* unprotect() of a partition that its protected parent covers. */
void
tg_report_protected_through(const char *rel, const char *parent,
							const char *parent_sql)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("partition \"%s\" is protected through table \"%s\"",
					rel, parent),
			 errhint("Unprotect it through its parent: SELECT tenant_guard.unprotect(%s); or detach the partition first.",
					 quote_literal_cstr(parent_sql))));
}

/* protect() repaired what (a policy, ...) of a table it protected before. */
void
tg_report_restored(const char *what, const char *rel)
{
	ereport(NOTICE,
			(errmsg("restored %s of protected table \"%s\"", what, rel)));
}

void
tg_report_created_index(const char *index, const char *column,
						const char *rel)
{
	ereport(NOTICE,
			(errmsg("created index \"%s\" on tenant column \"%s\" of table \"%s\"",
					index, column, rel)));
}

/* protect() leaves out a foreign partition, which cannot have RLS. */
void
tg_report_foreign_partition(const char *rel, const char *parent)
{
	ereport(NOTICE,
			(errmsg("foreign table \"%s\" cannot have row-level security, so tenant_guard protects it only through its parent \"%s\"",
					rel, parent),
			 errdetail("Queries naming the foreign table directly are refused.")));
}

/* A partition created or attached later was protected (drift_guard.c). */
void
tg_report_protected_partition(const char *rel, const char *parent)
{
	ereport(NOTICE,
			(errmsg("protected partition \"%s\" of protected table \"%s\"",
					rel, parent)));
}

void
tg_report_already_protected(const char *rel)
{
	ereport(NOTICE,
			(errmsg("table \"%s\" is already protected; nothing changed",
					rel)));
}

/*
 * unprotect() leaves NOT NULL on a tenant column that protect() made NOT
 * NULL, since the column is now part of the primary key.
 */
void
tg_report_kept_not_null(const char *column, const char *rel)
{
	ereport(NOTICE,
			(errmsg("kept NOT NULL on tenant column \"%s\" of table \"%s\", which is part of its primary key",
					column, rel)));
}

void
tg_report_not_protected(const char *rel)
{
	ereport(NOTICE,
			(errmsg("table \"%s\" is not protected; nothing changed",
					rel)));
}

/*
 * The errors of fill_tenant() (fill_tenant.c): called other than as
 * protect() installs it, or without a tenant to fill in.
 */
void
tg_report_fill_tenant_misfired(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("tenant_guard.fill_tenant() must be fired BEFORE INSERT FOR EACH ROW")));
}

void
tg_report_fill_trigger_without_when(const char *trigger, const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("trigger \"%s\" on table \"%s\" has no WHEN (NEW.column IS NULL) clause",
					trigger, rel),
			 errhint("Let tenant_guard.protect() create the trigger.")));
}

void
tg_report_fill_without_tenant(const char *column, const char *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("null value in tenant column \"%s\" of table \"%s\"",
					column, rel),
			 errdetail("tenant_guard gives a row inserted with a NULL tenant column the transaction's tenant, and the transaction has none."),
			 errhint("Set the tenant first in the transaction, or give the row its tenant.")));
}

/*
 * The errors of set_tenant() about its call (set_tenant.c): no tenant, no
 * transaction block to set it in; setting is the tenant setting's name.
 */
void
tg_report_null_tenant(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("tenant must not be null"),
			 errhint("Pass the tenant of the request to tenant_guard.set_tenant().")));
}

void
tg_report_set_tenant_outside_block(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
			 errmsg("tenant_guard.set_tenant() can only be used in transaction blocks"),
			 errdetail("The tenant lasts until the end of the transaction, and this statement is a transaction of its own."),
			 errhint("Start the request with BEGIN, set the tenant, and end it with COMMIT.")));
}

void
tg_report_empty_tenant(const char *setting)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("tenant must not be empty"),
			 errdetail("An empty \"%s\" means that no tenant is set.",
					   setting),
			 errhint("Pass the tenant of the request; to act for no tenant, end the transaction.")));
}

/* tg_refusal_kind() for rules 4 and 5. */
static void
table_refusal_kind(TgRefusal refusal, int *rule, const char **name,
				   const char **sqlstate)
{
	*rule = 5;
	*sqlstate = "55000";
	switch (refusal)
	{
		case TG_NOT_FORCED:
			*rule = 4;
			*name = "not_forced";
			break;
		case TG_NOT_FORCED_AT_COMMIT:
			*rule = 4;
			*name = "not_forced_at_commit";
			break;
		case TG_PARTITION_HOLE:
			*name = "partition_hole";
			break;
		case TG_CHILD_BEHIND_PARENT:
			*name = "child_behind_parent";
			break;
		case TG_BYPASS_VIEW:
			*name = "bypass_view";
			break;
		case TG_BYPASS_FUNCTION:
			*name = "bypass_function";
			break;
		case TG_BYPASS_ROLE:
			*name = "bypass_role";
			break;
		case TG_REFERENTIAL_ACTION:
			*name = "referential_action";
			break;
		case TG_PARALLEL_WORKER:
			*name = "parallel_worker";
			break;
		case TG_ACTION_WITHOUT_TENANT:
			*name = "action_without_tenant";
			*sqlstate = "42501";
			break;
		case TG_ACTION_OTHER_TENANTS:
			*name = "action_other_tenants";
			*sqlstate = "42501";
			break;
		case TG_TRUNCATE:
			*name = "truncate";
			*sqlstate = "42501";
			break;
		case TG_HOLD_CURSOR:
			*name = "hold_cursor";
			*sqlstate = "42501";
			break;
		case TG_HOLD_AFTER_READ:
			*name = "hold_after_read";
			*sqlstate = "42501";
			break;
		default:				/* TG_TID_LOOKUP */
			*name = "tid_lookup";
			*sqlstate = "42501";
			break;
	}
}

/* tg_refusal_kind()'s names for the drift guard. */
static const char *
drift_refusal_name(TgRefusal refusal)
{
	switch (refusal)
	{
		case TG_DRIFT_DISABLE_RLS:
			return "drift_disable_rls";
		case TG_DRIFT_NO_FORCE_RLS:
			return "drift_no_force_rls";
		case TG_DRIFT_DROP_POLICY:
			return "drift_drop_policy";
		case TG_DRIFT_ALTER_POLICY:
			return "drift_alter_policy";
		case TG_DRIFT_RENAME_POLICY:
			return "drift_rename_policy";
		case TG_DRIFT_DROP_TENANT_COLUMN:
			return "drift_drop_tenant_column";
		case TG_DRIFT_RETYPE_TENANT_COLUMN:
			return "drift_retype_tenant_column";
		case TG_DRIFT_CASCADE:
			return "drift_cascade";
		case TG_DRIFT_DETACH:
			return "drift_detach";
		case TG_DRIFT_OPEN_PARENT:
			return "drift_open_parent";
		case TG_DRIFT_CITUS_POLICY:
			return "drift_citus_policy";
		case TG_DRIFT_SHARD_TRIGGER:
			return "drift_shard_trigger";
		default:				/* TG_DRIFT_DROP_EXTENSION */
			return "drift_drop_extension";
	}
}

/* tg_refusal_kind()'s names for rule 6. */
static const char *
owner_refusal_name(TgRefusal refusal)
{
	switch (refusal)
	{
		case TG_OWNER_CODE:
			return "owner_code";
		case TG_OWNER_CODE_SEARCH_PATH:
			return "owner_code_search_path";
		case TG_OWNER_ACTION:
			return "owner_action";
		case TG_OWNER_DOMAIN_CHECK:
			return "owner_domain_check";
		case TG_OWNER_REPLACE:
			return "owner_replace";
		default:				/* TG_OWNER_CAST */
			return "owner_cast";
	}
}

/* A value of a structured log line longer than this is cut. */
#define LOG_VALUE_MAX 256

/*
 * The length of a Unicode line or paragraph separator in UTF-8 at p (NEL,
 * U+2028, U+2029), which log tools that split lines on Unicode treat as
 * line ends; 0 if there is none.
 */
static int
unicode_line_end(const unsigned char *p)
{
	if (p[0] == 0xc2 && p[1] == 0x85)
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/*
 * Append key=value to a structured log line, the value in double quotes
 * with backslash escapes, so that no value (a tenant is the client's
 * string) can end the line or forge another pair; NULL is written bare.
 * A value is cut after LOG_VALUE_MAX bytes, at a character boundary, and
 * then ends in \... (a backslash the value had would read \\).
 */
static void
append_pair(StringInfo buf, const char *key, const char *value)
{
	int			len;
	int			kept;

	if (buf->len > 0)
		appendStringInfoChar(buf, ' ');
	appendStringInfo(buf, "%s=", key);
	if (value == NULL)
	{
		appendStringInfoString(buf, "NULL");
		return;
	}
	len = strlen(value);
	kept = len > LOG_VALUE_MAX ? pg_mbcliplen(value, len, LOG_VALUE_MAX) : len;
	appendStringInfoChar(buf, '"');
	for (int i = 0; i < kept; i++)
	{
		const unsigned char *p = (const unsigned char *) value + i;
		int			sep = unicode_line_end(p);

		if (sep > 0 && i + sep <= kept)
		{
			appendStringInfo(buf, "\\u%04x",
							 sep == 2 ? 0x85 : p[2] == 0xa8 ? 0x2028 : 0x2029);
			i += sep - 1;
		}
		else if (*p == '"' || *p == '\\')
			appendStringInfo(buf, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			appendStringInfo(buf, "\\x%02x", *p);
		else
			appendStringInfoChar(buf, *p);
	}
	if (kept < len)
		appendStringInfoString(buf, "\\...");
	appendStringInfoChar(buf, '"');
}

/*
 * tenant_guard.log_violations: one LOG line per violation, key=value, for
 * log pipelines (violations.c gathers the facts).  No statement text: it
 * may carry another tenant's values; the query id finds it.
 */
void
tg_report_violation_log(int rule, const char *refusal, const char *sqlstate,
						const char *mode, const char *role,
						const char *database, const char *object,
						uint64 queryid, const char *tenant, int pid)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_pair(&buf, "rule", rule == 0 ? "drift" : psprintf("%d", rule));
	append_pair(&buf, "refusal", refusal);
	append_pair(&buf, "sqlstate", sqlstate);
	append_pair(&buf, "mode", mode);
	append_pair(&buf, "role", role);
	append_pair(&buf, "database", database);
	append_pair(&buf, "object", object);
	append_pair(&buf, "queryid", queryid == 0 ? NULL :
				psprintf(INT64_FORMAT, (int64) queryid));
	append_pair(&buf, "tenant", tenant);
	append_pair(&buf, "pid", psprintf("%d", pid));
	ereport(LOG,
			(errmsg("tenant_guard violation: %s", buf.data),
			 errhidestmt(true), errhidecontext(true)));
	pfree(buf.data);
}

/*
 * tenant_guard.log_tenant_context: one LOG line per transaction that gets
 * a tenant (tenant_stats.c gathers the facts): never a secret or a token,
 * only a token's key id.
 */
void
tg_report_tenant_context(const char *tenant, const char *set_by,
						 const char *key_id, const char *role,
						 const char *database, const char *application,
						 int pid)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_pair(&buf, "tenant", tenant);
	append_pair(&buf, "set_by", set_by);
	if (key_id != NULL)
		append_pair(&buf, "key_id", key_id);
	append_pair(&buf, "role", role);
	append_pair(&buf, "database", database);
	append_pair(&buf, "application_name", application);
	append_pair(&buf, "pid", psprintf("%d", pid));
	ereport(LOG,
			(errmsg("tenant_guard tenant_context: %s", buf.data),
			 errhidestmt(true), errhidecontext(true)));
	pfree(buf.data);
}

/*
 * The statistics' functions without shared memory: the library is not in
 * shared_preload_libraries (as pg_stat_statements says it).
 */
void
tg_report_stats_not_loaded(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("tenant_guard statistics must be loaded via \"shared_preload_libraries\""),
			 errhint("Add tenant_guard to shared_preload_libraries and restart the server.")));
}

/* tg_refusal_kind() for rules 1 to 3 and the session state of rule 2. */
static void
tenant_refusal_kind(TgRefusal refusal, int *rule, const char **name)
{
	*rule = 2;
	switch (refusal)
	{
		case TG_NO_TENANT:
			*name = "no_tenant";
			*rule = 1;
			break;
		case TG_TENANT_AT_SESSION_LEVEL:
			*name = "tenant_at_session_level";
			*rule = 2;
			break;
		case TG_TENANT_OF_FUNCTION:
			*name = "tenant_of_function";
			*rule = 2;
			break;
		case TG_TENANT_OF_CONFIG:
			*name = "tenant_of_config";
			*rule = 2;
			break;
		case TG_TENANT_CHANGED:
			*name = "tenant_changed";
			*rule = 3;
			break;
		case TG_TENANT_NOT_SIGNED:
			*name = "tenant_not_signed";
			*rule = 1;
			break;
		case TG_TOKEN_REFUSED:
			*name = "token_refused";
			*rule = 1;
			break;
		case TG_SESSION_TENANT:
			*name = "session_tenant";
			*rule = 2;
			break;
		case TG_SESSION_SET:
			*name = "session_set";
			*rule = 2;
			break;
		case TG_TENANT_SWITCH:
			*name = "tenant_switch";
			*rule = 3;
			break;
		case TG_WORKER_TENANT_SWITCH:
			*name = "worker_tenant_switch";
			*rule = 3;
			break;
		case TG_LEFTOVER_AT_TENANT:
			*name = "leftover_at_tenant";
			*rule = 2;
			break;
		case TG_LEFTOVER_AT_COMMIT:
			*name = "leftover_at_commit";
			*rule = 2;
			break;
		case TG_TEMP_TYPE:
			*name = "temp_type";
			*rule = 2;
			break;
		case TG_PREPARED_EXECUTION:
			*name = "prepared_execution";
			*rule = 2;
			break;
		case TG_PREPARED_PARAMETER:
			*name = "prepared_parameter";
			*rule = 2;
			break;
		case TG_LASTING_SETTING:
			*name = "lasting_setting";
			*rule = 2;
			break;
		default:
			*name = "unknown";
			break;
	}
}

/*
 * The rule a refusal belongs to (0 for the drift guard), its name in the
 * views and log lines, and the SQLSTATE its message carries above (a
 * regression test compares the two).  Every kind is listed, so that the
 * compiler names one that is missing.
 */
void
tg_refusal_kind(TgRefusal refusal, int *rule, const char **name,
				const char **sqlstate)
{
	*sqlstate = "42501";
	*rule = 5;
	switch (refusal)
	{
		case TG_ALLOWED:
			*name = "allowed";
			*rule = 0;
			break;
		case TG_NO_TENANT:
		case TG_TENANT_AT_SESSION_LEVEL:
		case TG_TENANT_OF_FUNCTION:
		case TG_TENANT_OF_CONFIG:
		case TG_TENANT_CHANGED:
		case TG_TENANT_NOT_SIGNED:
		case TG_TOKEN_REFUSED:
		case TG_SESSION_TENANT:
		case TG_SESSION_SET:
		case TG_TENANT_SWITCH:
		case TG_WORKER_TENANT_SWITCH:
		case TG_LEFTOVER_AT_TENANT:
		case TG_LEFTOVER_AT_COMMIT:
		case TG_TEMP_TYPE:
		case TG_PREPARED_EXECUTION:
		case TG_PREPARED_PARAMETER:
		case TG_LASTING_SETTING:
			tenant_refusal_kind(refusal, rule, name);
			break;
		case TG_NOT_FORCED:
		case TG_NOT_FORCED_AT_COMMIT:
		case TG_PARTITION_HOLE:
		case TG_CHILD_BEHIND_PARENT:
		case TG_BYPASS_VIEW:
		case TG_BYPASS_FUNCTION:
		case TG_BYPASS_ROLE:
		case TG_REFERENTIAL_ACTION:
		case TG_ACTION_WITHOUT_TENANT:
		case TG_ACTION_OTHER_TENANTS:
		case TG_PARALLEL_WORKER:
		case TG_TRUNCATE:
		case TG_HOLD_CURSOR:
		case TG_HOLD_AFTER_READ:
		case TG_TID_LOOKUP:
			table_refusal_kind(refusal, rule, name, sqlstate);
			break;
		case TG_DRIFT_DISABLE_RLS:
		case TG_DRIFT_NO_FORCE_RLS:
		case TG_DRIFT_DROP_POLICY:
		case TG_DRIFT_ALTER_POLICY:
		case TG_DRIFT_RENAME_POLICY:
		case TG_DRIFT_DROP_TENANT_COLUMN:
		case TG_DRIFT_RETYPE_TENANT_COLUMN:
		case TG_DRIFT_CASCADE:
		case TG_DRIFT_DETACH:
		case TG_DRIFT_OPEN_PARENT:
		case TG_DRIFT_DROP_EXTENSION:
		case TG_DRIFT_CITUS_POLICY:
		case TG_DRIFT_SHARD_TRIGGER:
			*rule = 0;
			*name = drift_refusal_name(refusal);
			*sqlstate = refusal == TG_DRIFT_DROP_EXTENSION ? "2BP01" : "55000";
			break;
		case TG_OWNER_CODE:
		case TG_OWNER_CODE_SEARCH_PATH:
		case TG_OWNER_ACTION:
		case TG_OWNER_DOMAIN_CHECK:
		case TG_OWNER_REPLACE:
		case TG_OWNER_CAST:
			*rule = 6;
			*name = owner_refusal_name(refusal);
			break;
	}
}

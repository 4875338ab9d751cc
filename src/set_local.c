/*-------------------------------------------------------------------------
 *
 * set_local.c
 *	  Set the tenant as a SET LOCAL statement does, through ProcessUtility.
 *
 * set_tenant() could assign the tenant setting directly, as set_config()
 * does, and for PostgreSQL alone that would be the same.  But extensions
 * act on SET LOCAL statements in their utility hooks, never on assignments
 * made elsewhere: Citus, with citus.propagate_set_commands = 'local', sends
 * the text of every SET LOCAL of a transaction block to the workers that
 * take part in the transaction, now and when it reaches more of them, so
 * that the shards' policies see the tenant there.  A tenant assigned any
 * other way (set_config(name, value, true)) reaches no worker, and the
 * workers refuse the transaction's queries for want of a tenant.
 *
 * So set_tenant() hands ProcessUtility the statement a client would have
 * sent, SET LOCAL <setting> TO '<value>', as a parse tree with its text;
 * the hooks of every library (ours included) see it as they see a
 * client's, and standard_ProcessUtility makes the assignment exactly as it
 * would for the client.  The text is built with quote_identifier() and
 * quote_literal_cstr(): it is what Citus sends to the workers.
 *
 * src/set_local.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "tcop/dest.h"
#include "tcop/utility.h"
#include "utils/builtins.h"

#include "compat.h"
#include "set_local.h"

/*
 * The setting's name as SQL: each of its dot-separated parts quoted as
 * needed ("app"."current_tenant" names app.current_tenant).
 */
static void
append_setting_name(StringInfo buf, const char *name)
{
	char	   *copy = pstrdup(name);
	char	   *part = copy;
	char	   *dot;

	while ((dot = strchr(part, '.')) != NULL)
	{
		*dot = '\0';
		appendStringInfo(buf, "%s.", quote_identifier(part));
		part = dot + 1;
	}
	appendStringInfoString(buf, quote_identifier(part));
	pfree(copy);
}

void
tg_set_local(const char *name, const char *value)
{
	VariableSetStmt *stmt = makeNode(VariableSetStmt);
	PlannedStmt *pstmt = makeNode(PlannedStmt);
	StringInfoData sql;

	stmt->kind = VAR_SET_VALUE;
	stmt->name = pstrdup(name);
	stmt->args = list_make1(tg_make_string_const(pstrdup(value)));
	stmt->is_local = true;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SET LOCAL ");
	append_setting_name(&sql, name);
	appendStringInfo(&sql, " TO %s", quote_literal_cstr(value));

	pstmt->commandType = CMD_UTILITY;
	pstmt->canSetTag = false;
	pstmt->utilityStmt = (Node *) stmt;
	pstmt->stmt_location = 0;
	pstmt->stmt_len = sql.len;

	ProcessUtility(pstmt, sql.data, false, PROCESS_UTILITY_QUERY, NULL, NULL,
				   None_Receiver, NULL);
	pfree(sql.data);
}

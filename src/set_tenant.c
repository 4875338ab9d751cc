/*-------------------------------------------------------------------------
 *
 * set_tenant.c
 *	  tenant_guard.set_tenant(): set the tenant for the current transaction.
 *
 * Applications set the tenant per transaction with SET LOCAL or
 * set_config(name, value, true).  Both are easy to get subtly wrong from a
 * driver: SET LOCAL takes no bind parameter, set_config() takes text only,
 * so an integer or uuid parameter fails to resolve ("function
 * set_config(unknown, integer, boolean) does not exist"), and outside a
 * transaction block both succeed and do nothing useful (SET LOCAL with a
 * warning the driver hides), which leaves autocommit users with a refusal
 * at their next statement that does not say why.
 *
 * set_tenant() is overloaded for text, smallint, integer, bigint and uuid,
 * all bound to the one C function below, which converts its argument with
 * the type's output function (smallint too: psycopg binds small Python ints
 * so, and integer and bigint would both take it).  An unknown-typed literal or parameter resolves to the
 * text variant (text is the preferred type of the string category).  It
 * refuses NULL and empty values, and refuses to run outside a transaction
 * block.  The assignment is a SET LOCAL statement (set_local.c): it goes
 * through the tenant setting's check hook, so pinning, the temporary-object
 * rule and everything else that applies to SET LOCAL applies to it, and
 * through the utility hooks, so Citus propagates it to its workers.
 *
 * src/set_tenant.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "citus.h"
#include "compat.h"
#include "report.h"
#include "set_local.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "tenant_stats.h"
#include "token.h"
#include "violations.h"

TG_FUNCTION_INFO_V1(tenant_guard_set_tenant);
TG_FUNCTION_INFO_V1(tenant_guard_set_tenant_token);

/*
 * Assign the tenant, telling the tenant_context audit line how it was set
 * (tenant_stats.c) for this assignment only: if it fails, a later one in
 * the same transaction must not be logged as set this way.
 */
static void
assign_saying_how(const char *value, const TgSignedTenant *signed_by,
				  TgTenantSetBy how, const char *key_id)
{
	tg_stats_setting_via(how, key_id);
	PG_TRY();
	{
		tg_tenant_assign(value, signed_by);
	}
	PG_FINALLY();
	{
		tg_stats_setting_via(TG_SET_BY_SET_CONFIG, NULL);
	}
	PG_END_TRY();
}

/*
 * tenant_guard.set_tenant(value): SET LOCAL of the tenant setting to the
 * value, which is returned as text.
 */
Datum
tenant_guard_set_tenant(PG_FUNCTION_ARGS)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			outfunc;
	bool		isvarlena;
	char	   *value;

	if (PG_ARGISNULL(0))
		tg_report_null_tenant();

	if (!IsTransactionBlock())
		tg_report_set_tenant_outside_block();

	if (!OidIsValid(argtype))
		elog(ERROR, "could not determine the argument type of set_tenant()");
	getTypeOutputInfo(argtype, &outfunc, &isvarlena);
	value = OidOutputFunctionCall(outfunc, PG_GETARG_DATUM(0));

	if (value[0] == '\0')
		tg_report_empty_tenant(tg_tenant_setting);

	/* a SET LOCAL statement, which Citus sends on to its workers */
	assign_saying_how(value, NULL, TG_SET_BY_SET_TENANT, NULL);

	PG_RETURN_TEXT_P(cstring_to_text(value));
}

/*
 * tenant_guard.set_tenant_token(token): verify a signed tenant token
 * (token.c) and set its tenant as set_tenant() does, marked signed by the
 * key that verified it (tenant_context.c).  Refused outside a transaction
 * block, like set_tenant(), before the token is looked at.  A transaction
 * keeps its first tenant: a token for another is refused here for every
 * role, superusers included, where SET LOCAL is refused (rule 3, in the
 * check hook) for the roles inside the rules only.
 */
Datum
tenant_guard_set_tenant_token(PG_FUNCTION_ARGS)
{
	TgToken		token;
	TgSignedTenant signed_by;
	TgTenantState state;
	text	   *arg;

	/* no sample of the statement's violations: it carries a token */
	tg_violation_token_passed();
	memset(&token, 0, sizeof(token));
	if (!IsTransactionBlock())
	{
		token.failure = TG_TOKEN_OUTSIDE_BLOCK;
		tg_report_token(&token);
	}
	if (PG_ARGISNULL(0))
	{
		token.failure = TG_TOKEN_NULL;
		tg_report_token(&token);
	}
	arg = PG_GETARG_TEXT_PP(0);
	tg_token_verify(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), &token);
	tg_tenant_state(&state);
	if (token.failure == TG_TOKEN_VALID && state.pinned != NULL &&
		strcmp(state.pinned, token.tenant) != 0)
	{
		token.failure = TG_TOKEN_OTHER_TENANT;
		token.pinned = state.pinned;
	}
	tg_report_token(&token);

	tg_tenant_signed_from_token(&token, &signed_by);

	/*
	 * Where Citus is installed, the token goes first, as a SET LOCAL that
	 * Citus sends on to the workers, where it is verified again: a worker
	 * takes a tenant as signed only if this token names it.
	 */
	if (tg_citus_installed())
		tg_set_local("tenant_guard.tenant_token", text_to_cstring(arg));
	assign_saying_how(token.tenant, &signed_by, TG_SET_BY_TOKEN, token.kid);

	PG_RETURN_TEXT_P(cstring_to_text(token.tenant));
}

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

#include "compat.h"
#include "report.h"
#include "set_local.h"
#include "tenant_context.h"
#include "tenant_guard.h"

TG_FUNCTION_INFO_V1(tenant_guard_set_tenant);

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
	tg_tenant_setting_sync();
	tg_set_local(tg_tenant_setting, value);

	PG_RETURN_TEXT_P(cstring_to_text(value));
}

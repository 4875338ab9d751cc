/*-------------------------------------------------------------------------
 *
 * status.c
 *	  SQL-callable functions that report the guard's state.
 *
 *	tenant_guard.status()	the library version, is the guard active in this
 *							session, how was it loaded, its mode, the tenant
 *							setting and where the current tenant came from.
 *	tenant_guard.tenant()	the tenant of the current transaction, or NULL
 *							if there is no valid tenant context; meant for
 *							row-level security policies.
 *	tenant_guard.claim()	a claim of the token that signed the tenant.
 *
 * src/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "compat.h"
#include "report.h"
#include "role_cache.h"
#include "rules.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "token.h"

TG_FUNCTION_INFO_V1(tenant_guard_status);
TG_FUNCTION_INFO_V1(tenant_guard_tenant);
TG_FUNCTION_INFO_V1(tenant_guard_claim);

static const char *
mode_name(int mode)
{
	switch (mode)
	{
		case TG_MODE_OFF:
			return "off";
		case TG_MODE_WARN:
			return "warn";
		case TG_MODE_ENFORCE:
			return "enforce";
	}
	return NULL;				/* keep compiler quiet */
}

static const char *
load_origin_name(TgLoadOrigin origin)
{
	switch (origin)
	{
		case TG_LOADED_SHARED_PRELOAD:
			return "shared_preload_libraries";
		case TG_LOADED_SESSION_START:
			return "session_preload_libraries";
		case TG_LOADED_ON_DEMAND:
			return "on demand (this session only)";
	}
	return NULL;				/* keep compiler quiet */
}

/* How the tenant setting got its current value. */
static const char *
tenant_origin_name(const TgTenantState *state)
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
			return psprintf("%s, ignored",
							tg_tenant_source_description(state->source));
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * The verdict on the tenant state, for a statement reading no table in
 * particular (rules.c), with the tenant pinned as such a statement would
 * pin it.
 */
static bool
tenant_context_valid(TgTenantState *state)
{
	TgVerdict	verdict;
	bool		allowed;

	state->session_pending = tg_session_tenant_pending();
	allowed = tg_rule_tenant_context(state, InvalidOid, &verdict);
	tg_tenant_pin(state, &verdict);
	return allowed;
}

/*
 * tenant_guard.status(): one row describing the guard in this session.
 *
 * active is false when tenant_guard.mode is off.  preloaded is false when
 * the library was loaded by LOAD or by calling one of its functions: then
 * this session is guarded but other sessions may not be.
 */
Datum
tenant_guard_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11] = {0};
	TgTenantState state;
	const TgSignedTenant *signed_by;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	tg_tenant_state(&state);

	values[0] = CStringGetTextDatum(TG_VERSION);
	values[1] = BoolGetDatum(tg_mode != TG_MODE_OFF);
	values[2] = BoolGetDatum(tg_load_origin != TG_LOADED_ON_DEMAND);
	values[3] = CStringGetTextDatum(load_origin_name(tg_load_origin));
	values[4] = CStringGetTextDatum(mode_name(tg_mode));
	values[5] = CStringGetTextDatum(tg_tenant_setting);
	if (tenant_context_valid(&state))
		values[6] = CStringGetTextDatum(state.value);
	else
		nulls[6] = true;
	values[7] = CStringGetTextDatum(tenant_origin_name(&state));
	values[8] = BoolGetDatum(tg_role_is_exempt(GetOuterUserId()));
	signed_by = tg_tenant_signed();
	values[9] = BoolGetDatum(signed_by != NULL);
	if (signed_by != NULL && signed_by->kid != NULL)
		values[10] = CStringGetTextDatum(signed_by->kid);
	else
		nulls[10] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * tenant_guard.tenant(): the tenant the current transaction acts for.
 *
 * When the guard enforces its rules on this session, that is the tenant
 * setting's value only if it is a valid tenant context (set in this
 * transaction with SET LOCAL or set_config(..., true)); otherwise NULL, so
 * a policy comparing a tenant column with it matches no row.  This holds
 * even when the library was not preloaded and its hooks missed the
 * statement: the policy itself refuses a session-level or configured
 * tenant.  For roles outside the rules, and in warn or off mode, it is the
 * setting's value, NULL if empty.  In a parallel worker it is NULL: the
 * function is PARALLEL RESTRICTED, so only a statement nested in a worker
 * could call it there, and the guard refuses those.
 */
Datum
tenant_guard_tenant(PG_FUNCTION_ARGS)
{
	TgTenantState state;

	/* a parallel worker cannot tell where its tenant came from */
	if (IsParallelWorker())
		PG_RETURN_NULL();

	tg_tenant_state(&state);
	if (state.value[0] == '\0')
		PG_RETURN_NULL();
	if (tg_mode == TG_MODE_ENFORCE && tg_guard_applies() &&
		!tenant_context_valid(&state))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(state.value));
}

/*
 * tenant_guard.claim(name): the claim of that name of the token that signed
 * the transaction's tenant, as text (a string unquoted, any other value as
 * its JSON text); NULL when the token has no such claim or has it null,
 * and when the tenant is not signed: never set by set_tenant_token(), or
 * assigned again since (tenant_context.c), so a claim never outlives the
 * tenant its token was for.  For per-user policies inside a tenant.
 */
Datum
tenant_guard_claim(PG_FUNCTION_ARGS)
{
	const TgSignedTenant *signed_by = tg_tenant_signed();
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (signed_by == NULL || IsParallelWorker())
		PG_RETURN_NULL();
	for (int i = 0; i < signed_by->nclaims; i++)
	{
		const TgTokenClaim *claim = &signed_by->claims[i];

		if (strcmp(claim->name, name) == 0)
		{
			if (claim->value == NULL)
				PG_RETURN_NULL();
			PG_RETURN_TEXT_P(cstring_to_text(claim->value));
		}
	}
	PG_RETURN_NULL();
}

/*-------------------------------------------------------------------------
 *
 * tenant_context.h
 *	  The tenant setting: where its value came from, the tenant a
 *	  transaction is pinned to (tenant_context.c).
 *
 * src/tenant_context.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_TENANT_CONTEXT_H
#define TENANT_GUARD_TENANT_CONTEXT_H

#include "utils/guc.h"

#include "rules.h"

/*
 * What made the transaction's tenant a signed one (set_tenant_token()):
 * the tenant, the id of the key that verified the token (NULL for a key without one),
 * its algorithm, and its claims, all in TopTransactionContext.
 */
typedef struct TgSignedTenant
{
	const char *tenant;
	const char *kid;
	const char *alg;
	int			nclaims;
	struct TgTokenClaim *claims;
} TgSignedTenant;

extern PGDLLIMPORT bool tg_tenant_setting_changed;
extern void tg_tenant_setting_define(void);

/*
 * Bring the tenant setting's variable up to date with
 * tenant_guard.tenant_setting: a flag test unless the setting was renamed.
 * The executor and utility hooks call it first thing, so that the variable
 * under a new name has its check hook before a statement can assign it.
 */
static inline void
tg_tenant_setting_sync(void)
{
	if (unlikely(tg_tenant_setting_changed))
		tg_tenant_setting_define();
}
extern void tg_tenant_setting_renamed(const char *newname);
extern void tg_tenant_state(TgTenantState *state);
extern void tg_tenant_pin(const TgTenantState *state,
						  const TgVerdict *verdict);
extern bool tg_session_tenant_pending(void);
extern PGDLLIMPORT bool tg_tenant_touched;	/* assigned since last checked */
extern void tg_tenant_forget_touch(void);
extern void tg_tenant_xact_end(void);
extern void tg_tenant_assign(const char *value,
							 const TgSignedTenant *signed_by);
extern const TgSignedTenant *tg_tenant_signed(void);

#endif							/* TENANT_GUARD_TENANT_CONTEXT_H */

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

#include "access/xact.h"
#include "utils/guc.h"

#include "compat.h"
#include "rules.h"
#include "tenant_guard.h"

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
extern PGDLLIMPORT bool tg_tenant_touched;	/* assigned at session level
												 * since last checked */
extern void tg_tenant_forget_touch(void);
extern bool tg_tenant_session_assigned(void);
extern void tg_tenant_subxact_callback(SubXactEvent event,
									   SubTransactionId mySubid,
									   SubTransactionId parentSubid,
									   void *arg);
extern void tg_tenant_note_valid(const TgTenantState *state);

extern PGDLLIMPORT uint64 tg_tenant_generation;
extern PGDLLIMPORT uint64 tg_tenant_valid_generation;

extern PGDLLIMPORT bool tg_tenant_is_signed;

/*
 * Is the transaction's tenant signed, if tenant_guard.require_signed_tenant
 * asks for it?  The statistics count a transaction for its tenant only then
 * (tenant_stats.c): an unsigned tenant there is one no statement may use.
 */
static inline bool
tg_tenant_signed_as_required(void)
{
	return tg_tenant_is_signed || !tg_require_signed_tenant;
}

/*
 * Is the tenant setting still the valid tenant context it was last found
 * to be (tenant_context.c), with no session-level assignment to check, and
 * signed if tenant_guard.require_signed_tenant asks for it (which a
 * superuser may turn on in the middle of a transaction)?  Then, in enforce
 * mode, a statement need not judge it again.
 */
static inline bool
tg_tenant_known_valid(void)
{
	return tg_tenant_valid_generation == tg_tenant_generation &&
		!tg_tenant_touched && tg_tenant_signed_as_required();
}
/*
 * The first table with row-level security this transaction read, in a
 * statement at any nesting level, or another relation that gave it one
 * tenant's data (the statistics' views).  A cursor kept past COMMIT keeps
 * rows computed in the transaction, and these may carry what it read:
 * directly, through functions, or through temporary tables and settings
 * the transaction filled (executor_guard.c refuses it).  It belongs to the
 * transaction whose local id it carries, so nothing needs to clear it when
 * the transaction ends.  (After 2^32 more transactions in this backend the
 * id comes round again; the worst an old entry could then do is refuse a
 * held cursor that read nothing.)
 */
extern PGDLLIMPORT Oid tg_tenant_read_relid;
extern PGDLLIMPORT LocalTransactionId tg_tenant_read_lxid;

/* Note the transaction's first read of one tenant's data. */
static inline void
tg_tenant_note_read(Oid relid)
{
	LocalTransactionId lxid = tg_local_xact_id();

	if (unlikely(tg_tenant_read_lxid != lxid))
	{
		tg_tenant_read_lxid = lxid;
		tg_tenant_read_relid = relid;
	}
}

/* The relation of the transaction's first read of tenant data, if any. */
static inline Oid
tg_tenant_first_read(void)
{
	return tg_tenant_read_lxid == tg_local_xact_id() ?
		tg_tenant_read_relid : InvalidOid;
}

extern void tg_tenant_xact_end(void);
extern void tg_tenant_assign(const char *value,
							 const TgSignedTenant *signed_by);
extern const TgSignedTenant *tg_tenant_signed(void);
struct TgToken;
extern void tg_tenant_signed_from_token(const struct TgToken *token,
										TgSignedTenant *signed_by);

/* tenant_guard.tenant_token (tenant_guard.c defines it) */
extern PGDLLIMPORT char *tg_tenant_token;
extern bool tg_tenant_token_check(char **newval, void **extra,
								  GucSource source);
extern void tg_tenant_token_assign(const char *newval, void *extra);
extern const char *tg_tenant_token_show(void);

#endif							/* TENANT_GUARD_TENANT_CONTEXT_H */

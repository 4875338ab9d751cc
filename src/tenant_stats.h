/*-------------------------------------------------------------------------
 *
 * tenant_stats.h
 *	  Per-tenant statistics in shared memory, and the audit line of each
 *	  transaction's tenant (tenant_stats.c).
 *
 * src/tenant_stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_TENANT_STATS_H
#define TENANT_GUARD_TENANT_STATS_H

#include "executor/executor.h"
#include "utils/hsearch.h"

#include "compat.h"
#include "xact_state.h"

/* A tenant longer than this, less one, is not counted (keys are short). */
#define TG_STATS_TENANT_LEN 128

/* tenant_guard.stats, .stats_max_tenants, .log_tenant_context */
extern bool tg_stats;
extern int	tg_stats_max_tenants;
extern bool tg_log_tenant_context;

/*
 * Does a pinned tenant interest this module: tenant_guard.stats or
 * tenant_guard.log_tenant_context is on (their assign hooks keep it)?
 */
extern PGDLLIMPORT bool tg_stats_watch_pins;

/*
 * How the transaction's tenant was set, for the tenant_context log line.
 * Only what can be told cheaply: a client's SET (LOCAL) statement, an
 * assignment inside another statement (set_config(), a function's SET
 * LOCAL or SET clause); set_tenant() and set_tenant_token() say so before
 * they assign (set_tenant.c), the latter with the token's key id.
 */
typedef enum TgTenantSetBy
{
	TG_SET_BY_STATEMENT,		/* SET LOCAL sent by the client */
	TG_SET_BY_SET_CONFIG,		/* inside a statement: set_config() ... */
	TG_SET_BY_SET_TENANT,		/* tenant_guard.set_tenant() */
	TG_SET_BY_TOKEN				/* set_tenant_token(), with its key id */
} TgTenantSetBy;

extern void tg_stats_tenant_pinned(const char *tenant);
extern void tg_stats_setting_via(TgTenantSetBy how, const char *key_id);

/*
 * tenant_context.c pins a tenant: copy it for the statistics and the
 * audit line if they are on; a flag test otherwise.
 */
static inline void
tg_stats_note_pin(const char *tenant)
{
	if (unlikely(tg_stats_watch_pins))
		tg_stats_tenant_pinned(tenant);
}

/* A refusal by rule (0 for the drift guard), for the transaction's tenant. */
extern void tg_stats_count_refusal(int rule);

/* Shared memory (_PG_init; tg_stats_shmem_request calls the chain). */
extern void tg_stats_shmem_install(void);
extern void tg_stats_xact_end(void);
extern void tg_stats_xact_abort(void);
extern void tg_stats_define_settings(void);

/*
 * Counting top-level statements and their rows.  The executor's depth
 * tells them from nested ones, as in pg_stat_statements: executor_guard.c's
 * ExecutorRun hook keeps it through tg_stats_enter() and tg_stats_leave(),
 * this module's ExecutorFinish hook for AFTER triggers and foreign keys,
 * and executor_guard.c's ExecutorEnd hook counts through
 * tg_stats_statement_end().  An error needs no PG_TRY: the abort of the
 * transaction resets the depth (tg_stats_xact_abort), and that of a
 * subtransaction restores the depth at which it started.
 */
extern PGDLLIMPORT int tg_stats_nesting;
extern PGDLLIMPORT bool tg_stats_counting;
extern void tg_stats_count_statement(QueryDesc *queryDesc);

/* Entering ExecutorRun: whether tg_stats_leave() has a level to undo. */
static inline bool
tg_stats_enter(void)
{
	if (likely(!tg_stats))
		return false;
	tg_stats_nesting++;
	return true;
}

static inline void
tg_stats_leave(bool entered)
{
	if (unlikely(entered))
		tg_stats_nesting--;
}

/* ExecutorEnd: count the statement if its transaction has a tenant. */
static inline void
tg_stats_statement_end(QueryDesc *queryDesc)
{
	if (unlikely(tg_stats_counting))
		tg_stats_count_statement(queryDesc);
}

extern PGDLLIMPORT ExecutorFinish_hook_type tg_stats_prev_ExecutorFinish;
extern void tg_stats_ExecutorFinish(QueryDesc *queryDesc);
extern void tg_stats_subxact_callback(SubXactEvent event,
									  SubTransactionId mySubid,
									  SubTransactionId parentSubid,
									  void *arg);

/* What violations.c shares: the lock, eviction, readers' privileges. */
extern bool tg_stats_attach(void);
extern LWLock *tg_stats_lock(void);
extern void tg_stats_evict(HTAB *htab, Size usage_offset, int64 *evictions);
extern bool tg_stats_reader_sees_all(void);
extern const char *tg_stats_current_tenant(void);
extern const char *tg_stats_reader_tenant(void);
extern void tg_stats_note_tenant_read(FunctionCallInfo fcinfo,
									  const char *view);
extern void tg_stats_names(const char **role, const char **database);
extern void tg_stats_begin_srf(FunctionCallInfo fcinfo,
							   Tuplestorestate **store, TupleDesc *desc);

#endif							/* TENANT_GUARD_TENANT_STATS_H */

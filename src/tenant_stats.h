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
extern void tg_stats_define_settings(void);

/* Executor hooks that count statements and rows (_PG_init). */
extern PGDLLIMPORT ExecutorRun_hook_type tg_stats_prev_ExecutorRun;
extern PGDLLIMPORT ExecutorFinish_hook_type tg_stats_prev_ExecutorFinish;
extern PGDLLIMPORT ExecutorEnd_hook_type tg_stats_prev_ExecutorEnd;
extern void tg_stats_ExecutorRun(TG_EXECUTOR_RUN_PARAMS);
extern void tg_stats_ExecutorFinish(QueryDesc *queryDesc);
extern void tg_stats_ExecutorEnd(QueryDesc *queryDesc);
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
extern void tg_stats_names(const char **role, const char **database);
extern void tg_stats_begin_srf(FunctionCallInfo fcinfo,
							   Tuplestorestate **store, TupleDesc *desc);

#endif							/* TENANT_GUARD_TENANT_STATS_H */

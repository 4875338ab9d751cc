/*-------------------------------------------------------------------------
 *
 * violations.h
 *	  Each distinct violation of the rules, counted in shared memory
 *	  (violations.c).
 *
 * src/violations.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_VIOLATIONS_H
#define TENANT_GUARD_VIOLATIONS_H

#include "report.h"

/* tenant_guard.log_violations */
extern bool tg_log_violations;

/*
 * Count a violation (report.c, for every verdict it words): in the
 * violations table, for the transaction's tenant, and in the log when
 * tenant_guard.log_violations is on.
 */
extern void tg_violation_note(const TgVerdict *verdict);

/*
 * set_tenant_token() was called: no sample of a violation of the statement
 * is kept from now on, whether the token was valid or not.
 */
extern void tg_violation_token_passed(void);
extern void tg_violations_define_settings(void);

/* Shared memory, with tenant_stats.c's lock (tenant_stats.c calls these). */
extern Size tg_violations_shmem_size(void);
extern void tg_violations_shmem_startup(void);
extern void tg_violations_reset(void);
extern int64 tg_violations_count(void);
extern int64 tg_violations_evictions(void);

#endif							/* TENANT_GUARD_VIOLATIONS_H */

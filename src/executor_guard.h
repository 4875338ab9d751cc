/*-------------------------------------------------------------------------
 *
 * executor_guard.h
 *	  Rules 1, 4 and 5 for every statement that runs a plan, and for a
 *	  table a utility statement names (executor_guard.c).
 *
 * src/executor_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_EXECUTOR_GUARD_H
#define TENANT_GUARD_EXECUTOR_GUARD_H

#include "executor/executor.h"

#include "compat.h"

typedef struct TgStatementCheck
{
	struct PlannedStmt *pstmt;	/* the plan, or NULL for a utility
								 * statement naming one table */
	bool		tenant_checked; /* tenant context already judged? */
	bool		in_worker;		/* nested in a parallel worker */
	bool		in_referential_action;	/* run during a foreign key's action */
} TgStatementCheck;

extern void tg_check_relation(TgStatementCheck *check, Oid relid,
							  bool named_by_query, Oid check_as_user);

/* Hooks installed by _PG_init. */
extern PGDLLIMPORT ExecutorStart_hook_type tg_prev_ExecutorStart;
extern PGDLLIMPORT ExecutorRun_hook_type tg_prev_ExecutorRun;
extern PGDLLIMPORT ExecutorEnd_hook_type tg_prev_ExecutorEnd;
extern void tg_ExecutorStart(QueryDesc *queryDesc, int eflags);
extern void tg_ExecutorRun(TG_EXECUTOR_RUN_PARAMS);
extern void tg_ExecutorEnd(QueryDesc *queryDesc);

#endif							/* TENANT_GUARD_EXECUTOR_GUARD_H */

/*-------------------------------------------------------------------------
 *
 * planner_guard.h
 *	  The planner's first look at the tenant context, and the count of
 *	  EXPLAIN statements without ANALYZE running (planner_guard.c).
 *
 * src/planner_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_PLANNER_GUARD_H
#define TENANT_GUARD_PLANNER_GUARD_H

#include "optimizer/planner.h"

extern void tg_plain_explain_begin(void);
extern void tg_plain_explain_end(void);

/* Hook installed by _PG_init. */
extern PGDLLIMPORT planner_hook_type tg_prev_planner;
extern PlannedStmt *tg_planner(Query *parse, const char *query_string,
							   int cursorOptions, ParamListInfo boundParams);

#endif							/* TENANT_GUARD_PLANNER_GUARD_H */

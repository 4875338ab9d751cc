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

extern void tg_planner_guard_init(void);
extern void tg_plain_explain_begin(void);
extern void tg_plain_explain_end(void);

#endif							/* TENANT_GUARD_PLANNER_GUARD_H */

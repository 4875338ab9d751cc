/*-------------------------------------------------------------------------
 *
 * utility_guard.h
 *	  Rules 1, 2 and 4 for utility statements (utility_guard.c).
 *
 * src/utility_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_UTILITY_GUARD_H
#define TENANT_GUARD_UTILITY_GUARD_H

#include "tcop/utility.h"

/* Hook installed by _PG_init. */
extern PGDLLIMPORT ProcessUtility_hook_type tg_prev_ProcessUtility;
extern void tg_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

#endif							/* TENANT_GUARD_UTILITY_GUARD_H */

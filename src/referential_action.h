/*-------------------------------------------------------------------------
 *
 * referential_action.h
 *	  Rule 6 for the queries a foreign key's referential action runs
 *	  (referential_action.c).
 *
 * src/referential_action.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REFERENTIAL_ACTION_H
#define TENANT_GUARD_REFERENTIAL_ACTION_H

#include "nodes/plannodes.h"

extern void tg_check_referential_action(PlannedStmt *pstmt);

#endif							/* TENANT_GUARD_REFERENTIAL_ACTION_H */

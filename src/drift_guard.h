/*-------------------------------------------------------------------------
 *
 * drift_guard.h
 *	  DDL that would weaken a protected table; partitions created or
 *	  attached later (drift_guard.c).
 *
 * src/drift_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_DRIFT_GUARD_H
#define TENANT_GUARD_DRIFT_GUARD_H

#include "nodes/nodes.h"

extern void tg_drift_check(Node *parsetree);
extern void tg_drift_follow_up(Node *parsetree);
extern void tg_drift_note_drop(Oid classId, Oid objectId, int subId);
extern void tg_drift_xact_end(void);
extern void tg_drift_note_hierarchy_change(Oid relid);
extern PGDLLIMPORT bool tg_drift_hierarchy_unchecked;
extern void tg_drift_check_hierarchy_now(void);
extern Oid	tg_policy_table(Oid policyid);

#endif							/* TENANT_GUARD_DRIFT_GUARD_H */

/*-------------------------------------------------------------------------
 *
 * object_guard.h
 *	  Rule 5 for TRUNCATE, currtid2(); what DROP and DDL announce
 *	  (object_guard.c).
 *
 * src/object_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_OBJECT_GUARD_H
#define TENANT_GUARD_OBJECT_GUARD_H

#include "catalog/objectaccess.h"

/* Hook installed by _PG_init. */
extern PGDLLIMPORT object_access_hook_type tg_prev_object_access_hook;
extern void tg_object_access(ObjectAccessType access, Oid classId,
							 Oid objectId, int subId, void *arg);

#endif							/* TENANT_GUARD_OBJECT_GUARD_H */

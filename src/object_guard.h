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

extern void tg_object_guard_init(void);

#endif							/* TENANT_GUARD_OBJECT_GUARD_H */

/*-------------------------------------------------------------------------
 *
 * xact_guard.h
 *	  What must hold when a statement or transaction ends (xact_guard.c).
 *
 * src/xact_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_XACT_GUARD_H
#define TENANT_GUARD_XACT_GUARD_H

#include "access/xact.h"

extern void tg_remember_rls_change(Oid relid);
extern void tg_check_session_tenant(void);

/* Transaction callback, registered by _PG_init. */
extern void tg_xact_callback(XactEvent event, void *arg);

#endif							/* TENANT_GUARD_XACT_GUARD_H */

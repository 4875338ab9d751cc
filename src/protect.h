/*-------------------------------------------------------------------------
 *
 * protect.h
 *	  protect() and unprotect(), and what they leave in place (protect.c).
 *
 * src/protect.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_PROTECT_H
#define TENANT_GUARD_PROTECT_H

#include "access/attnum.h"
#include "access/htup.h"
#include "access/tupdesc.h"

/* Names of the policies protect() installs. */
#define TG_ISOLATION_POLICY "tenant_guard_isolation"
#define TG_BASELINE_POLICY	"tenant_guard_baseline"
/* Name of the trigger that fills a NULL tenant column (fill_tenant.c). */
#define TG_FILL_TRIGGER		"tenant_guard_fill_tenant"

extern bool tg_protection_change_in_progress(void);
extern void tg_protect_partition(Oid relid, Oid parent);
extern bool tg_policy_applies_to_all(HeapTuple tuple, TupleDesc desc);
extern bool tg_protection_intact(Oid relid, bool *is_protected);

#endif							/* TENANT_GUARD_PROTECT_H */

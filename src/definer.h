/*-------------------------------------------------------------------------
 *
 * definer.h
 *	  The innermost SECURITY DEFINER function running (definer.c).
 *
 * src/definer.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_DEFINER_H
#define TENANT_GUARD_DEFINER_H

#include "fmgr.h"

extern Oid	tg_current_definer(void);
extern void tg_definer_xact_end(void);

/* Hook and syscache callback on pg_proc, installed by _PG_init. */
extern PGDLLIMPORT fmgr_hook_type tg_prev_fmgr_hook;
extern void tg_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo,
						 Datum *private);
extern void tg_proc_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue);

#endif							/* TENANT_GUARD_DEFINER_H */

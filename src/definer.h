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

extern void tg_definer_init(void);
extern Oid	tg_current_definer(void);
extern void tg_definer_xact_end(void);

#endif							/* TENANT_GUARD_DEFINER_H */

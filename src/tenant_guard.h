/*-------------------------------------------------------------------------
 *
 * tenant_guard.h
 *	  tenant_guard's own settings, and whether its rules apply.
 *
 * The settings are defined by _PG_init (tenant_guard.c), which installs
 * every hook and callback of the library.  Each module declares what other
 * modules use of it in a header of its own name (role_cache.h for
 * role_cache.c, and so on); the README's "Source layout" lists them.
 *
 * src/tenant_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_H
#define TENANT_GUARD_H

#include "miscadmin.h"

#include "role_cache.h"

/* tenant_guard.mode */
typedef enum TgMode
{
	TG_MODE_OFF,				/* do nothing */
	TG_MODE_WARN,				/* report violations as warnings, proceed */
	TG_MODE_ENFORCE				/* refuse violations */
} TgMode;

/* How this backend came to load the library. */
typedef enum TgLoadOrigin
{
	TG_LOADED_SHARED_PRELOAD,	/* shared_preload_libraries */
	TG_LOADED_SESSION_START,	/* session_ or local_preload_libraries */
	TG_LOADED_ON_DEMAND			/* LOAD, or first call of one of our
								 * functions: this session only */
} TgLoadOrigin;

extern int	tg_mode;
extern char *tg_tenant_setting;
extern bool tg_require_signed_tenant;
extern TgLoadOrigin tg_load_origin;

/*
 * Do tenant_guard's rules apply to the statement about to run?  They apply
 * unless the guard is off, or the role the session acts as (the login role
 * or the one chosen by SET ROLE, i.e. the role outside any SECURITY DEFINER
 * function) bypasses row-level security.
 */
static inline bool
tg_guard_applies(void)
{
	return tg_mode != TG_MODE_OFF && !tg_role_is_exempt(GetOuterUserId());
}

extern bool tg_is_tenant_setting(const char *name);
extern int	tg_session_mode(void);
extern bool tg_session_guard_applies(void);

#endif							/* TENANT_GUARD_H */

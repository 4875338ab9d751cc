/*-------------------------------------------------------------------------
 *
 * role_cache.h
 *	  Is a role outside the rules (superuser, BYPASSRLS)?  (role_cache.c)
 *
 * src/role_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_ROLE_CACHE_H
#define TENANT_GUARD_ROLE_CACHE_H

extern PGDLLIMPORT Oid tg_cached_role;
extern PGDLLIMPORT bool tg_cached_role_exempt;
extern bool tg_role_lookup_exempt(Oid roleid);
extern char *tg_role_name(Oid roleid);

/*
 * Is row-level security skipped for this role (superuser or BYPASSRLS)?
 * The answer for the last role asked is cached; every statement asks, so
 * the common case is inline.
 */
static inline bool
tg_role_is_exempt(Oid roleid)
{
	if (likely(roleid == tg_cached_role && OidIsValid(roleid)))
		return tg_cached_role_exempt;
	return tg_role_lookup_exempt(roleid);
}

/* Syscache callback on pg_authid, registered by _PG_init. */
extern void tg_role_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue);

#endif							/* TENANT_GUARD_ROLE_CACHE_H */

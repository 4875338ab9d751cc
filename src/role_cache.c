/*-------------------------------------------------------------------------
 *
 * role_cache.c
 *	  Which roles are outside tenant_guard's rules.
 *
 * Row-level security does not apply to superusers and to roles with
 * BYPASSRLS, so tenant_guard leaves them alone too.  Every statement asks
 * whether the role it runs for is such a role; the answer for the last role
 * asked is kept until pg_authid changes, so the common case (one role per
 * connection) costs a comparison, inline (tenant_guard.h).
 *
 * src/role_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/syscache.h"

#include "role_cache.h"

/* The last role asked about, and the answer (see tg_role_is_exempt()). */
Oid			tg_cached_role = InvalidOid;
bool		tg_cached_role_exempt = false;

/*
 * Forget the cached answer whenever any pg_authid row changes (ALTER ROLE
 * ... BYPASSRLS, SUPERUSER, DROP ROLE); roles change rarely enough that
 * tracking which one changed is not worth it.
 */
void
tg_role_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	tg_cached_role = InvalidOid;
}


/*
 * Look a role up: is row-level security skipped for it?  Mirrors the role
 * test in check_enable_rls(): superusers and BYPASSRLS roles bypass every
 * policy.  A role that no longer exists is not exempt.  The answer replaces
 * the cached one.
 */
bool
tg_role_lookup_exempt(Oid roleid)
{
	HeapTuple	tuple;
	bool		exempt = false;

	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_authid form = (Form_pg_authid) GETSTRUCT(tuple);

		exempt = form->rolsuper || form->rolbypassrls;
		ReleaseSysCache(tuple);
	}
	tg_cached_role = roleid;
	tg_cached_role_exempt = exempt;
	return exempt;
}

/* A role's name for messages (NULL if the role is gone). */
char *
tg_role_name(Oid roleid)
{
	return GetUserNameFromId(roleid, true);
}

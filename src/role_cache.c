/*-------------------------------------------------------------------------
 *
 * role_cache.c
 *	  Which roles are outside tenant_guard's rules.
 *
 * Row-level security does not apply to superusers and to roles with
 * BYPASSRLS, so tenant_guard leaves them alone too.  Every statement asks
 * whether the role it runs for is such a role; the answer for the last role
 * asked is kept until pg_authid changes, so the common case (one role per
 * connection) costs a comparison.
 *
 * src/role_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "tenant_guard.h"

static Oid	cached_role = InvalidOid;
static bool cached_role_exempt = false;

/*
 * Forget the cached answer whenever any pg_authid row changes (ALTER ROLE
 * ... BYPASSRLS, SUPERUSER, DROP ROLE); roles change rarely enough that
 * tracking which one changed is not worth it.
 */
static void
role_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	cached_role = InvalidOid;
}

void
tg_role_cache_init(void)
{
	CacheRegisterSyscacheCallback(AUTHOID, role_cache_invalidate, (Datum) 0);
}

/*
 * Is row-level security skipped for this role?  Mirrors the role test in
 * check_enable_rls(): superusers and BYPASSRLS roles bypass every policy.
 * A role that no longer exists is not exempt.
 */
bool
tg_role_is_exempt(Oid roleid)
{
	HeapTuple	tuple;

	if (roleid == cached_role && OidIsValid(cached_role))
		return cached_role_exempt;

	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_authid form = (Form_pg_authid) GETSTRUCT(tuple);

		cached_role_exempt = form->rolsuper || form->rolbypassrls;
		ReleaseSysCache(tuple);
	}
	else
		cached_role_exempt = false;
	cached_role = roleid;

	return cached_role_exempt;
}

/*
 * Do tenant_guard's rules apply to the statement about to run?
 *
 * They apply unless the guard is off, or the role the session acts as (the
 * login role or the one chosen by SET ROLE, i.e. the role outside any
 * SECURITY DEFINER function) bypasses row-level security.
 */
bool
tg_guard_applies(void)
{
	if (tg_mode == TG_MODE_OFF)
		return false;
	return !tg_role_is_exempt(GetOuterUserId());
}

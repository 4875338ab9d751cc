/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL version difference tenant_guard depends on, in one
 *	  place.
 *
 * tenant_guard targets PostgreSQL 15 and compiles against 14 to 18.  The
 * rest of the code calls the tg_* wrappers below and never tests
 * PG_VERSION_NUM itself.  Hook signatures that differ between versions are
 * not used: ExecutorStart and ExecutorEnd (void in every supported
 * release), ProcessUtility (stable since 14 added readOnlyTree) and the
 * object access and fmgr hooks are the same in 14 to 18.
 *
 * src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_COMPAT_H
#define TENANT_GUARD_COMPAT_H

#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#if PG_VERSION_NUM < 140000
#error "tenant_guard requires PostgreSQL 14 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "parser/parse_relation.h"
#endif
#include "miscadmin.h"

/*
 * Reserve the "tenant_guard." prefix so that a misspelt setting is an error
 * rather than a silent placeholder.  PostgreSQL 15 replaced
 * EmitWarningsOnPlaceholders with MarkGUCPrefixReserved.
 */
static inline void
tg_reserve_guc_prefix(const char *prefix)
{
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved(prefix);
#else
	EmitWarningsOnPlaceholders(prefix);
#endif
}

/*
 * Look up a configuration variable by name, without creating a placeholder.
 * PostgreSQL 16 exported find_option (and replaced the sorted array with a
 * hash table); before that we scan the array, which only happens when the
 * tenant setting is (re)defined.
 */
static inline struct config_generic *
tg_find_guc(const char *name)
{
#if PG_VERSION_NUM >= 160000
	return find_option(name, false, true, ERROR);
#else
	struct config_generic **vars = get_guc_variables();
	int			nvars = GetNumConfigOptions();

	for (int i = 0; i < nvars; i++)
	{
		if (pg_strcasecmp(vars[i]->name, name) == 0)
			return vars[i];
	}
	return NULL;
#endif
}

/*
 * Replace the string value a check hook was offered.  Up to PostgreSQL 15
 * GUC strings are malloc'd; 16 gave GUC its own memory context and
 * guc_strdup/guc_free.
 */
static inline void
tg_guc_replace_string(char **newval, const char *replacement)
{
#if PG_VERSION_NUM >= 160000
	char	   *copy = guc_strdup(ERROR, replacement);

	guc_free(*newval);
#else
	char	   *copy = strdup(replacement);

	if (copy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	free(*newval);
#endif
	*newval = copy;
}

/*
 * Did the query itself name this range table entry (so that PostgreSQL
 * checked permissions and applied row-level security to it), as opposed to
 * reaching it as a partition or inheritance child of a table it named?  On
 * success *check_as_user receives the role the permissions and policies were
 * checked as (InvalidOid for the current user).  PostgreSQL 16 moved
 * requiredPerms and checkAsUser to RTEPermissionInfo.
 */
static inline bool
tg_rte_named_by_query(PlannedStmt *pstmt, RangeTblEntry *rte,
					  Oid *check_as_user)
{
#if PG_VERSION_NUM >= 160000
	RTEPermissionInfo *perminfo;

	if (rte->perminfoindex == 0)
		return false;
	perminfo = getRTEPermissionInfo(pstmt->permInfos, rte);
	*check_as_user = perminfo->checkAsUser;
	return perminfo->requiredPerms != 0;
#else
	*check_as_user = rte->checkAsUser;
	return rte->requiredPerms != 0;
#endif
}

/* PostgreSQL 16 folded the per-catalog ownership checks into one. */
static inline bool
tg_relation_ownercheck(Oid relid, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, roleid);
#else
	return pg_class_ownercheck(relid, roleid);
#endif
}

/*
 * May the role create objects in the schema (now, or after granting itself
 * the privilege as the schema's owner), or schemas in the current
 * database?  PostgreSQL 16 folded the per-catalog privilege and ownership
 * checks into one each.
 */
static inline bool
tg_can_create_in_schema(Oid nspid, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(NamespaceRelationId, nspid, roleid,
						   ACL_CREATE) == ACLCHECK_OK ||
		object_ownercheck(NamespaceRelationId, nspid, roleid);
#else
	return pg_namespace_aclcheck(nspid, roleid, ACL_CREATE) == ACLCHECK_OK ||
		pg_namespace_ownercheck(nspid, roleid);
#endif
}

static inline bool
tg_can_create_schema(Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(DatabaseRelationId, MyDatabaseId, roleid,
						   ACL_CREATE) == ACLCHECK_OK;
#else
	return pg_database_aclcheck(MyDatabaseId, roleid, ACL_CREATE) == ACLCHECK_OK;
#endif
}

/*
 * PostgreSQL's own permission checks of a plan's or a query's range table,
 * raising its "permission denied" error on a violation, as the executor
 * does at start.  PostgreSQL 16 renamed ExecCheckRTPerms to
 * ExecCheckPermissions and moved the permissions to a list of their own.
 */
static inline void
tg_check_plan_permissions(PlannedStmt *pstmt)
{
#if PG_VERSION_NUM >= 160000
	(void) ExecCheckPermissions(pstmt->rtable, pstmt->permInfos, true);
#else
	(void) ExecCheckRTPerms(pstmt->rtable, true);
#endif
}

static inline void
tg_check_query_permissions(Query *query)
{
#if PG_VERSION_NUM >= 160000
	(void) ExecCheckPermissions(query->rtable, query->rteperminfos, true);
#else
	(void) ExecCheckRTPerms(query->rtable, true);
#endif
}

/*
 * The library is built with hidden visibility (see the Makefile), so every
 * function the server looks up must be exported.  PG_FUNCTION_INFO_V1
 * exports the function itself only from PostgreSQL 16 on.
 */
#define TG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
PG_FUNCTION_INFO_V1(funcname)

/*
 * May the current user run ALTER SYSTEM on this setting?  PostgreSQL 15
 * made it a privilege that can be granted; before, superusers alone could.
 */
static inline bool
tg_may_alter_system(const char *name)
{
#if PG_VERSION_NUM >= 150000
	return pg_parameter_aclcheck(name, GetUserId(),
								 ACL_ALTER_SYSTEM) == ACLCHECK_OK;
#else
	return superuser();
#endif
}

#endif							/* TENANT_GUARD_COMPAT_H */

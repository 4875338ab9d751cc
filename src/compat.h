/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL version difference tenant_guard depends on, in one
 *	  place.
 *
 * tenant_guard targets PostgreSQL 15 and compiles against 14 to 18.  The
 * rest of the code calls the tg_* wrappers below and never tests
 * PG_VERSION_NUM itself.  Hook signatures that differ between versions are
 * not used, but for ExecutorRun and ExecutorCheckPerms (see
 * TG_EXECUTOR_RUN_PARAMS and TG_CHECK_PERMS_PARAMS):
 * ExecutorStart and ExecutorEnd (void in every supported release),
 * ProcessUtility (stable since 14 added readOnlyTree) and the object access
 * and fmgr hooks are the same in 14 to 18.
 *
 * src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_COMPAT_H
#define TENANT_GUARD_COMPAT_H

#include "catalog/pg_class.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#if PG_VERSION_NUM < 140000
#error "tenant_guard requires PostgreSQL 14 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#endif

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
 * ExecutorRun_hook's parameters: PostgreSQL 18 dropped execute_once.
 */
#if PG_VERSION_NUM >= 180000
#define TG_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define TG_EXECUTOR_RUN_ARGS queryDesc, direction, count
#else
#define TG_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, \
	bool execute_once
#define TG_EXECUTOR_RUN_ARGS queryDesc, direction, count, execute_once
#endif

/*
 * ExecutorCheckPerms_hook's parameters: PostgreSQL 16 added the list of
 * RTEPermissionInfo that took over requiredPerms from the range table
 * entries.  TG_CHECK_PERMS_PARAMS declares them, TG_CHECK_PERMS_ARGS passes
 * them on, and tg_rte_required_perms() reads an entry's required
 * permissions from them.
 */
#if PG_VERSION_NUM >= 160000
#define TG_CHECK_PERMS_PARAMS \
	List *rangeTable, List *rtePermInfos, bool ereport_on_violation
#define TG_CHECK_PERMS_ARGS rangeTable, rtePermInfos, ereport_on_violation

static inline AclMode
tg_rte_required_perms(List *rangeTable, List *rtePermInfos,
					  bool ereport_on_violation, RangeTblEntry *rte)
{
	if (rte->perminfoindex == 0)
		return 0;
	return getRTEPermissionInfo(rtePermInfos, rte)->requiredPerms;
}
#else
#define TG_CHECK_PERMS_PARAMS List *rangeTable, bool ereport_on_violation
#define TG_CHECK_PERMS_ARGS rangeTable, ereport_on_violation

static inline AclMode
tg_rte_required_perms(List *rangeTable, bool ereport_on_violation,
					  RangeTblEntry *rte)
{
	return rte->requiredPerms;
}
#endif

/*
 * The library is built with hidden visibility (see the Makefile), so every
 * function the server looks up must be exported.  PG_FUNCTION_INFO_V1
 * exports the function itself only from PostgreSQL 16 on.
 */
#define TG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
PG_FUNCTION_INFO_V1(funcname)

#endif							/* TENANT_GUARD_COMPAT_H */

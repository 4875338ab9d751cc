/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL version difference tenant_guard depends on, in one
 *	  place.
 *
 * tenant_guard supports PostgreSQL 14 to 18 (the README's version table
 * says which are tested, and how).  The rest of the code calls the tg_*
 * wrappers below and never tests PG_VERSION_NUM itself.  Hook signatures
 * that differ between versions are not used, but for ExecutorRun and
 * ExecutorCheckPerms (see TG_EXECUTOR_RUN_PARAMS and TG_CHECK_PERMS_PARAMS):
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

#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#if PG_VERSION_NUM < 140000
#error "tenant_guard requires PostgreSQL 14 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "catalog/pg_database.h"
#include "utils/fmgroids.h"
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

	*check_as_user = InvalidOid;
	if (rte->perminfoindex == 0)
		return false;
	perminfo = getRTEPermissionInfo(pstmt->permInfos, rte);
	*check_as_user = perminfo->checkAsUser;
	return perminfo->requiredPerms != 0;
#else
	(void) pstmt;
	*check_as_user = rte->checkAsUser;
	return rte->requiredPerms != 0;
#endif
}

/*
 * The view a range table entry of a plan stands for, or InvalidOid.  The
 * rewriter replaces a view that a query reads by the view's query; up to
 * PostgreSQL 15 it leaves the view's entry in the range table as an
 * RTE_RELATION of relkind view (for the permission checks), from 16 on it
 * turns that entry into the RTE_SUBQUERY holding the view's query, keeping
 * relid and relkind.  An automatically updatable view that an INSERT,
 * UPDATE, DELETE or MERGE writes stays an RTE_RELATION in every version.
 */
static inline Oid
tg_rte_view(RangeTblEntry *rte)
{
	if (rte->relkind != RELKIND_VIEW)
		return InvalidOid;
#if PG_VERSION_NUM >= 160000
	if (rte->rtekind == RTE_RELATION || rte->rtekind == RTE_SUBQUERY)
		return rte->relid;
#else
	if (rte->rtekind == RTE_RELATION)
		return rte->relid;
#endif
	return InvalidOid;
}

/*
 * The GUC machinery's own structs, which tenant_guard reads to tell where
 * the tenant setting's value came from (utils/guc_tables.h, "not meant for
 * use by extensions" but the only place this is recorded): the value's
 * source, the stack of values saved by SET LOCAL, SET and function SET
 * clauses, and a string variable's current value and check hook.  Their
 * layout is the same from 14 to 18; PostgreSQL 19 folds the per-type
 * structs into config_generic, and these accessors are where that will be
 * absorbed.  The stack entries (GucStack: state, source, prior, masked) are
 * read directly: unchanged since 9.x.
 */
static inline GucSource
tg_guc_source(struct config_string *conf)
{
	return conf->gen.source;
}

static inline GucStack *
tg_guc_stack(struct config_string *conf)
{
	return conf->gen.stack;
}

static inline const char *
tg_guc_name(struct config_string *conf)
{
	return conf->gen.name;
}

static inline char *
tg_guc_string_value(struct config_string *conf)
{
	return *conf->variable;
}

static inline GucStringCheckHook
tg_guc_string_check_hook(struct config_string *conf)
{
	return conf->check_hook;
}

static inline void
tg_guc_set_string_check_hook(struct config_string *conf,
							 GucStringCheckHook hook)
{
	conf->check_hook = hook;
}

static inline void
tg_guc_set_string_assign_hook(struct config_string *conf,
							  GucStringAssignHook hook)
{
	conf->assign_hook = hook;
}

/*
 * The local id of the backend's current transaction, which PostgreSQL 17
 * moved into PGPROC's virtual transaction id.
 */
static inline LocalTransactionId
tg_local_xact_id(void)
{
#if PG_VERSION_NUM >= 170000
	return MyProc->vxid.lxid;
#else
	return MyProc->lxid;
#endif
}

/*
 * A string constant of a parse tree, as the grammar makes it: PostgreSQL 15
 * turned A_Const's Value into a union of node types.
 */
static inline A_Const *
tg_make_string_const(char *value)
{
	A_Const    *con = makeNode(A_Const);

#if PG_VERSION_NUM >= 150000
	con->val.sval.type = T_String;
	con->val.sval.sval = value;
#else
	con->val.type = T_String;
	con->val.val.str = value;
#endif
	con->location = -1;
	return con;
}

/*
 * The magic block.  PostgreSQL 18 lets a library tell its name and version,
 * which pg_get_loaded_modules() shows.
 */
#if PG_VERSION_NUM >= 180000
#define TG_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "tenant_guard", .version = TG_VERSION)
#else
#define TG_MODULE_MAGIC PG_MODULE_MAGIC
#endif

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

static inline bool
tg_database_ownercheck(Oid dbid, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(DatabaseRelationId, dbid, roleid);
#else
	return pg_database_ownercheck(dbid, roleid);
#endif
}

/*
 * May the role create a cast between the two types, as far as PostgreSQL's
 * own checks go (CreateCast(): USAGE on both, and owning one of them)?
 */
static inline bool
tg_may_create_cast(Oid source, Oid target, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(TypeRelationId, source, roleid, ACL_USAGE) == ACLCHECK_OK &&
		object_aclcheck(TypeRelationId, target, roleid, ACL_USAGE) == ACLCHECK_OK &&
		(object_ownercheck(TypeRelationId, source, roleid) ||
		 object_ownercheck(TypeRelationId, target, roleid));
#else
	return pg_type_aclcheck(source, roleid, ACL_USAGE) == ACLCHECK_OK &&
		pg_type_aclcheck(target, roleid, ACL_USAGE) == ACLCHECK_OK &&
		(pg_type_ownercheck(source, roleid) ||
		 pg_type_ownercheck(target, roleid));
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
 * Does PostgreSQL run the stored code of maintenance commands (REINDEX,
 * ANALYZE, CLUSTER, VACUUM) with a search_path of its own, pg_catalog,
 * pg_temp?  From 17 on.
 */
#define TG_MAINTENANCE_HAS_OWN_SEARCH_PATH (PG_VERSION_NUM >= 170000)

/* May the role create objects in the schema? */
static inline bool
tg_may_create_in_schema(Oid nspid, Oid roleid)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(NamespaceRelationId, nspid, roleid,
						   ACL_CREATE) == ACLCHECK_OK;
#else
	return pg_namespace_aclcheck(nspid, roleid, ACL_CREATE) == ACLCHECK_OK;
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
 * Is the library being loaded by session_preload_libraries or
 * local_preload_libraries, as the session starts?  From PostgreSQL 15 on
 * InitPostgres() loads them while still in InitProcessing mode.
 * PostgreSQL 14 loads them in PostgresMain() after switching to normal
 * processing, but outside any transaction, whereas LOAD, a call of one of
 * the library's functions and a parallel worker restoring its leader's
 * libraries all load it inside a transaction.
 */
static inline bool
tg_loading_at_session_start(void)
{
#if PG_VERSION_NUM >= 150000
	return IsInitProcessingMode();
#else
	return !IsTransactionState();
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

/*
 * Built-in functions of this release that convert a text value to a type
 * named by another argument, running that type's input (a domain's
 * checks): pg_input_is_valid() and pg_input_error_info(), from
 * PostgreSQL 16.  (The input and receive functions of arrays, records,
 * ranges and domains exist in every release; owner_code.c lists them.)
 */
static inline bool
tg_func_converts_to_named_type(Oid funcid)
{
#if PG_VERSION_NUM >= 160000
	return funcid == F_PG_INPUT_IS_VALID || funcid == F_PG_INPUT_ERROR_INFO;
#else
	return false;
#endif
}

/*
 * Expression nodes of this release, besides the casts every release has,
 * that convert a value to their result type at run time, running that
 * type's input (a domain's checks) without a cast node below them:
 * JSON_VALUE(), JSON_QUERY() and JSON_TABLE()'s columns with RETURNING,
 * from PostgreSQL 17.
 */
static inline bool
tg_node_converts_to_its_type(Node *node)
{
#if PG_VERSION_NUM >= 170000
	return IsA(node, JsonExpr);
#else
	return false;
#endif
}

/*
 * ALTER TABLE ... SET ACCESS METHOD, which rewrites the table, is new in
 * PostgreSQL 15.
 */
static inline bool
tg_at_sets_access_method(AlterTableType subtype)
{
#if PG_VERSION_NUM >= 150000
	return subtype == AT_SetAccessMethod;
#else
	return false;
#endif
}

/*
 * Shared memory requests.  PostgreSQL 15 added shmem_request_hook, outside
 * which RequestAddinShmemSpace() and RequestNamedLWLockTranche() fail;
 * before, they are called straight from _PG_init.  tg_shmem_request_install
 * installs the request function (chaining the previous hook into *prev) or,
 * on 14, calls it at once; tg_shmem_request_chain calls the previous hook
 * from it.
 */
#if PG_VERSION_NUM >= 150000
typedef shmem_request_hook_type tg_shmem_request_hook_type;
#define tg_shmem_request_install(prev, request) \
	do { \
		(prev) = shmem_request_hook; \
		shmem_request_hook = (request); \
	} while (0)
#else
typedef void (*tg_shmem_request_hook_type) (void);
#define tg_shmem_request_install(prev, request) \
	do { \
		(prev) = NULL; \
		(request) (); \
	} while (0)
#endif
#define tg_shmem_request_chain(prev) \
	do { \
		if (prev) \
			(prev) (); \
	} while (0)

/*
 * The "extra" block a check hook hands to GUC, which GUC frees: malloc()ed
 * up to PostgreSQL 15, allocated in GUC's memory context with guc_malloc()
 * from 16 on (GUC pfree()s it, and a malloc()ed block is a fatal error).
 * NULL when out of memory (LOG level: a check hook must not fail).
 */
static inline void *
tg_guc_extra_alloc(size_t size)
{
#if PG_VERSION_NUM >= 160000
	return guc_malloc(LOG, size);
#else
	return malloc(size);
#endif
}

/*
 * PostgreSQL's JSON parser (common/jsonapi.h), which token.c runs on the
 * header and claims of a token.  Its semantic actions return void up to
 * PostgreSQL 15 and a JsonParseErrorType from 16 on; from 17 on the lexer
 * context is made with an optional struct to fill and takes const input.
 * A tg_json_action function is declared with TG_JSON_ACTION as its return
 * type and ends with TG_JSON_ACTION_DONE.
 */
#if PG_VERSION_NUM >= 160000
#define TG_JSON_ACTION JsonParseErrorType
#define TG_JSON_ACTION_DONE return JSON_SUCCESS
#else
#define TG_JSON_ACTION void
#define TG_JSON_ACTION_DONE return
#endif

static inline JsonLexContext *
tg_json_lex_context(const char *json, int len)
{
#if PG_VERSION_NUM >= 170000
	return makeJsonLexContextCstringLen(NULL, json, len, PG_UTF8, true);
#else
	return makeJsonLexContextCstringLen(unconstify(char *, json), len,
										PG_UTF8, true);
#endif
}

#endif							/* TENANT_GUARD_COMPAT_H */

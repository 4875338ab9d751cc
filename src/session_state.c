/*-------------------------------------------------------------------------
 *
 * session_state.c
 *	  Does the session hold state that an earlier request left, and that
 *	  would act in the next one?
 *
 * A pooled server connection serves one tenant's request after another's.
 * The property tenant_guard keeps is that the next request runs exactly the
 * SQL its own client sent (and the functions and views the schema owners
 * wrote), never SQL an earlier request chose, and sees only its own
 * tenant's rows.  Three kinds of session state break it, and the tenant
 * context rules (tenant_context.c) refuse to set a tenant while the session
 * holds any of them:
 *
 *	Temporary objects.  Temporary tables, views, sequences, types, domains
 *	and functions live as long as the session, and several are found by
 *	name before the objects an application means (pg_temp comes first in
 *	the search path for relations and types), so a request can leave code
 *	and tables behind that the next request runs or fills with its rows.
 *	Every object in the session's temporary schema depends on that schema
 *	(it is how PostgreSQL drops them all at the end of the session), so a
 *	probe of pg_depend's reference index finds them; a session that never
 *	used a temporary object has no temporary schema and costs nothing.
 *
 *	Prepared statements made by SQL PREPARE in an earlier transaction.
 *	Poolers (PgBouncer's max_prepared_statements) and drivers keep
 *	protocol-level named statements on a shared connection; a request that
 *	replaces one by DEALLOCATE and PREPARE of the same name runs its SQL in
 *	the next client's transaction, with that client's tenant.  An injected
 *	request can only make statements with SQL PREPARE, never at the
 *	protocol level, so the ProcessUtility hook notes the names PREPARE
 *	makes (utility_guard.c), and only those count.  Such a statement does
 *	not run at all in a later transaction (tg_check_prepared_statement,
 *	called by the utility, planner and executor hooks before any of it
 *	runs): a check when the tenant is set would come after a hijacked
 *	statement had run, erased its traces or captured its parameters.
 *
 *	A session-level search_path that an earlier transaction set, naming a
 *	schema the session's role can create objects in: a view or function
 *	there takes the place of the table or function the next request names.
 *	A search_path from configuration (postgresql.conf, ALTER ROLE/DATABASE
 *	... SET, startup options) or from this transaction does not count, nor
 *	one that exposes no more than the configured search_path already does.
 *
 * Only state that a role inside the rules left counts: the objects of roles
 * outside them (a superuser's, such as the tables pgTAP keeps its results
 * in when plan() runs before SET ROLE), and statements they prepared, were
 * not left by a request.
 *
 * src/session_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/prepare.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc_tables.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "compat.h"
#include "report.h"
#include "role_cache.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "xact_state.h"

/*
 * A statement SQL PREPARE made while a role inside the rules was the
 * session's role; made_this_xact until the transaction that made it ends.
 * The list lives in TopMemoryContext.
 */
typedef struct SqlPrepared
{
	char	   *name;
	const char *query_string;	/* its plan source's, to know it by (never
								 * followed: the statement may be gone) */
	bool		made_this_xact;
} SqlPrepared;

/* Not static: the hooks test it for NIL before calling in here. */
List	   *tg_sql_prepared = NIL;

/* The variable behind search_path, looked up once. */
static struct config_string *search_path_conf = NULL;

/*
 * The last session-level search_path found to expose nothing, for which
 * role and against which configured search_path: a session that a
 * framework gave a search_path at connect pays for the schema lookups once,
 * not in every transaction.  Any change to schemas, roles, role membership
 * or the database's privileges forgets it.
 */
static char *safe_path = NULL;
static char *safe_configured = NULL;
static Oid	safe_role = InvalidOid;
static bool safe_path_valid = false;
static bool safe_path_callbacks = false;

/*
 * Is the object a role inside the rules owns?  Objects of a kind without
 * an owner count as such.
 */
static bool
owned_inside_rules(Oid classid, Oid objid)
{
	AttrNumber	owner_attnum = get_object_attnum_owner(classid);
	Relation	catalog;
	HeapTuple	tuple;
	bool		isnull;
	Oid			owner = InvalidOid;

	if (owner_attnum == InvalidAttrNumber)
		return true;
	catalog = table_open(classid, AccessShareLock);
	tuple = get_catalog_object_by_oid(catalog, get_object_attnum_oid(classid),
									  objid);
	if (HeapTupleIsValid(tuple))
	{
		Datum		datum = heap_getattr(tuple, owner_attnum,
										 RelationGetDescr(catalog), &isnull);

		if (!isnull)
			owner = DatumGetObjectId(datum);
	}
	table_close(catalog, AccessShareLock);
	return !OidIsValid(owner) || !tg_role_is_exempt(owner);
}

/*
 * Does the session's temporary schema hold an object that a role inside
 * the rules owns?  If so, and found is not NULL, say which.
 */
static bool
find_temp_object(ObjectAddress *found_object)
{
	Oid			temp_namespace;
	Oid			temp_toast_namespace;
	Relation	depend;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found;

	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	if (!OidIsValid(temp_namespace))
		return false;

	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(NamespaceRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(temp_namespace));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL,
							  2, keys);
	found = false;
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		found = owned_inside_rules(dep->classid, dep->objid);
		if (found && found_object != NULL)
			ObjectAddressSet(*found_object, dep->classid, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

bool
tg_session_has_temp_objects(void)
{
	return find_temp_object(NULL);
}

/*
 * Could the input function of a parameter of this type run code that a role
 * inside the rules wrote or can change?  Bind (and EXECUTE) convert the
 * next request's parameters before any statement of it runs, so the check
 * of a statement's execution would come too late: the CHECK constraints of
 * a domain, and the attributes of a composite type (which its owner can
 * change later), are judged when the statement is made.  Base types are a
 * superuser's; enums run no code; arrays and ranges convert their elements.
 */
static bool
type_input_runs_role_code(Oid typid)
{
	HeapTuple	tuple;
	Form_pg_type typ;
	bool		result = false;

	check_stack_depth();
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	if ((typ->typtype == TYPTYPE_DOMAIN || typ->typtype == TYPTYPE_COMPOSITE) &&
		!tg_role_is_exempt(typ->typowner))
		result = true;
	else if (typ->typtype == TYPTYPE_DOMAIN)
		result = type_input_runs_role_code(typ->typbasetype);
	else if (typ->typtype == TYPTYPE_COMPOSITE)
	{
		TupleDesc	tupdesc = lookup_rowtype_tupdesc(typid, -1);

		for (int i = 0; i < tupdesc->natts && !result; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);

			if (!att->attisdropped)
				result = type_input_runs_role_code(att->atttypid);
		}
		ReleaseTupleDesc(tupdesc);
	}
	else if (typ->typtype == TYPTYPE_RANGE)
		result = type_input_runs_role_code(get_range_subtype(typid));
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		result = type_input_runs_role_code(get_multirange_range(typid));
	else if (OidIsValid(typ->typelem) && typ->typlen == -1)
		result = type_input_runs_role_code(typ->typelem);
	ReleaseSysCache(tuple);
	return result;
}

/*
 * A statement SQL PREPARE just made may not have a parameter whose
 * conversion runs code of a role inside the rules (see above): drop it and
 * refuse (in warn mode, say so and keep it).  Prepared statements are not
 * transactional, so the error alone would leave it behind.
 */
static void
check_parameter_types(PreparedStatement *stmt)
{
	CachedPlanSource *plansource = stmt->plansource;
	bool		as_warning = tg_session_mode() == TG_MODE_WARN;

	for (int i = 0; i < plansource->num_params; i++)
	{
		Oid			typid = plansource->param_types[i];
		char	   *name;

		if (!type_input_runs_role_code(typid))
			continue;
		name = pstrdup(stmt->stmt_name);
		if (!as_warning)
			DropPreparedStatement(name, false);
		tg_report_prepared_parameter(name, i + 1, typid, as_warning);
		return;
	}
}

/*
 * SQL PREPARE made a statement (called after it succeeded).  Remember its
 * name if the session's role is inside the rules; the end of the
 * transaction makes it a statement of an earlier transaction.  A role
 * outside the rules that makes a statement of a remembered name makes it
 * its own.
 */
void
tg_note_sql_prepare(const char *name)
{
	ListCell   *lc;
	SqlPrepared *entry = NULL;
	MemoryContext oldcxt;
	PreparedStatement *stmt = FetchPreparedStatement(name, false);
	bool		exempt = tg_role_is_exempt(GetOuterUserId());

	foreach(lc, tg_sql_prepared)
	{
		if (strcmp(((SqlPrepared *) lfirst(lc))->name, name) == 0)
		{
			entry = (SqlPrepared *) lfirst(lc);
			if (exempt)
			{
				pfree(entry->name);
				pfree(entry);
				tg_sql_prepared = foreach_delete_current(tg_sql_prepared, lc);
			}
			break;
		}
	}
	if (exempt || stmt == NULL)
		return;
	if (tg_session_guard_applies())
		check_parameter_types(stmt);
	tg_xact_state_left(TG_XACT_SESSION_STATE);
	if (entry == NULL)
	{
		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		entry = palloc(sizeof(SqlPrepared));
		entry->name = pstrdup(name);
		tg_sql_prepared = lappend(tg_sql_prepared, entry);
		MemoryContextSwitchTo(oldcxt);
	}
	entry->query_string = stmt->plansource->query_string;
	entry->made_this_xact = true;
}

/*
 * The remembered statement of an earlier transaction that the session holds
 * under this name, or whose plan source has this query string; NULL if
 * none.  A statement is known by its query string, not by its name: the
 * name a protocol-level Bind gives may be longer than the identifier SQL
 * PREPARE made, and still find the same statement (the hash of prepared
 * statements compares NAMEDATALEN - 1 bytes).
 */
static SqlPrepared *
earlier_sql_prepared(const char *name, const char *query_string)
{
	ListCell   *lc;

	if (name != NULL)
	{
		PreparedStatement *stmt = FetchPreparedStatement(name, false);

		if (stmt == NULL || !stmt->from_sql)
			return NULL;
		query_string = stmt->plansource->query_string;
	}
	foreach(lc, tg_sql_prepared)
	{
		SqlPrepared *entry = (SqlPrepared *) lfirst(lc);
		PreparedStatement *stmt;

		if (entry->made_this_xact || entry->query_string != query_string)
			continue;
		/* the remembered pointer may be stale: is it still that statement? */
		stmt = FetchPreparedStatement(entry->name, false);
		if (stmt != NULL && stmt->from_sql &&
			stmt->plansource->query_string == query_string)
			return entry;
	}
	return NULL;
}

/*
 * The session is about to run a prepared statement (EXECUTE, EXPLAIN
 * EXECUTE, CREATE TABLE AS EXECUTE, a protocol-level Bind or Execute), known
 * by its name, or plan one, known by its query string.  Refuse it, before
 * anything of it runs, if SQL PREPARE made it in an earlier transaction
 * while a role inside the rules was the session's role: on a pooled
 * connection it may stand under the name of a statement the pool or the
 * driver prepared, and run SQL an earlier request chose.  Whoever runs it:
 * a role outside the rules would run it with more privileges still.
 */
void
tg_check_prepared_statement(const char *name, const char *query_string)
{
	SqlPrepared *entry = earlier_sql_prepared(name, query_string);
	int			mode;

	if (entry == NULL)
		return;
	mode = tg_session_mode();
	if (mode == TG_MODE_OFF)
		return;
	tg_report_prepared_execution(entry->name, mode == TG_MODE_WARN);
}

/*
 * Transaction end (commit or abort: prepared statements are not
 * transactional, and survive a rollback): statements made so far were made
 * in an earlier transaction from now on.  Names whose statement is gone
 * (DEALLOCATE, DISCARD ALL) or was made again at the protocol level are
 * forgotten, so that a session that holds none again costs the hooks
 * nothing.
 */
void
tg_session_state_xact_end(void)
{
	ListCell   *lc;

	foreach(lc, tg_sql_prepared)
	{
		SqlPrepared *entry = (SqlPrepared *) lfirst(lc);
		PreparedStatement *stmt = FetchPreparedStatement(entry->name, false);

		entry->made_this_xact = false;
		if (stmt != NULL && stmt->from_sql &&
			stmt->plansource->query_string == entry->query_string)
			continue;
		pfree(entry->name);
		pfree(entry);
		tg_sql_prepared = foreach_delete_current(tg_sql_prepared, lc);
	}
}

/*
 * Does the session hold a statement that SQL PREPARE made in an earlier
 * transaction?  Names whose statement is gone (DEALLOCATE, DISCARD ALL) or
 * was made again at the protocol level are forgotten on the way.
 */
static bool
find_sql_prepared(char **name)
{
	ListCell   *lc;

	foreach(lc, tg_sql_prepared)
	{
		SqlPrepared *entry = (SqlPrepared *) lfirst(lc);
		PreparedStatement *stmt;

		if (entry->made_this_xact)
			continue;
		stmt = FetchPreparedStatement(entry->name, false);
		if (stmt != NULL && stmt->from_sql)
		{
			*name = pstrdup(entry->name);
			return true;
		}
		pfree(entry->name);
		pfree(entry);
		tg_sql_prepared = foreach_delete_current(tg_sql_prepared, lc);
	}
	return false;
}

/*
 * The schema names a search_path value stands for, in order, with "$user"
 * replaced by the name of the session's role and the temporary schema left
 * out (its objects are judged as temporary objects).
 */
static List *
search_path_names(const char *value)
{
	char	   *raw = pstrdup(value);
	List	   *elements;
	List	   *names = NIL;
	ListCell   *lc;

	if (!SplitIdentifierString(raw, ',', &elements))
		return NIL;				/* cannot be set; check_search_path saw to it */
	foreach(lc, elements)
	{
		char	   *name = (char *) lfirst(lc);

		if (strcmp(name, "$user") == 0)
			name = GetUserNameFromId(GetOuterUserId(), true);
		if (name == NULL || strcmp(name, "pg_temp") == 0 ||
			isTempNamespace(get_namespace_oid(name, true)))
			continue;
		names = lappend(names, name);
	}
	return names;
}

/* Position of a name in a list of names, or -1. */
static int
name_position(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return foreach_current_index(lc);
	}
	return -1;
}

/*
 * Does the search path expose no more through schema number i (of path)
 * than the configured one does: does the configured path name the schema,
 * followed by (at least) every schema that path names after it?  Objects
 * in a schema take the place of those of the same name in the schemas
 * after it, and functions and operators of a better match anywhere.
 */
static bool
exposed_as_configured(List *path, int i, List *configured)
{
	int			j = name_position(configured, (char *) list_nth(path, i));
	List	   *after;

	if (j < 0)
		return false;
	after = list_copy_tail(configured, j + 1);
	for (int k = i + 1; k < list_length(path); k++)
	{
		if (name_position(after, (char *) list_nth(path, k)) < 0)
			return false;
	}
	return true;
}

/*
 * The value of search_path outside the SET clauses of the functions
 * running, if an earlier transaction set it at session level; NULL if it
 * comes from configuration or from this transaction.
 */
static const char *
session_search_path(void)
{
	const char *value;
	GucSource	source;
	GucStack   *stack;

	if (search_path_conf == NULL)
		search_path_conf = (struct config_string *) tg_find_guc("search_path");
	if (search_path_conf == NULL)
		return NULL;
	value = *search_path_conf->variable;
	source = search_path_conf->gen.source;
	for (stack = search_path_conf->gen.stack; stack != NULL; stack = stack->prev)
	{
		if (stack->state != GUC_SAVE)
			return NULL;		/* SET or SET LOCAL in this transaction */
		value = stack->prior.val.stringval;
		source = stack->source;
	}
	if (source != PGC_S_SESSION || value == NULL ||
		strcmp(value, search_path_conf->reset_val ?
			   search_path_conf->reset_val : "") == 0)
		return NULL;
	return value;
}

static void
forget_safe_path(Datum arg, int cacheid, uint32 hashvalue)
{
	safe_path_valid = false;
}

/* Is this the search_path last found to expose nothing? */
static bool
known_safe_path(const char *value, const char *configured, Oid role)
{
	return safe_path_valid && role == safe_role &&
		strcmp(value, safe_path) == 0 &&
		strcmp(configured, safe_configured) == 0;
}

static void
remember_safe_path(const char *value, const char *configured, Oid role)
{
	if (!safe_path_callbacks)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, forget_safe_path, 0);
		CacheRegisterSyscacheCallback(AUTHOID, forget_safe_path, 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, forget_safe_path, 0);
		CacheRegisterSyscacheCallback(DATABASEOID, forget_safe_path, 0);
		safe_path_callbacks = true;
	}
	safe_path_valid = false;
	if (safe_path != NULL)
		pfree(safe_path);
	if (safe_configured != NULL)
		pfree(safe_configured);
	safe_path = MemoryContextStrdup(TopMemoryContext, value);
	safe_configured = MemoryContextStrdup(TopMemoryContext, configured);
	safe_role = role;
	safe_path_valid = true;
}

/*
 * Does the session-level search_path an earlier transaction set name a
 * schema that the session's role can create objects in (or, if the schema
 * does not exist, can create), in a place the configured search_path does
 * not?  pg_catalog and the temporary schema are left to what they are.
 */
static bool
find_search_path_hole(TgLeftover *leftover)
{
	const char *value = session_search_path();
	const char *configured_value;
	Oid			role = GetOuterUserId();
	List	   *path;
	List	   *configured;

	if (value == NULL)
		return false;
	configured_value = search_path_conf->reset_val ?
		search_path_conf->reset_val : "";
	if (known_safe_path(value, configured_value, role))
		return false;
	path = search_path_names(value);
	configured = search_path_names(configured_value);
	for (int i = 0; i < list_length(path); i++)
	{
		char	   *name = (char *) list_nth(path, i);
		Oid			nspid = get_namespace_oid(name, true);
		bool		writable = OidIsValid(nspid) ?
			tg_can_create_in_schema(nspid, role) : tg_can_create_schema(role);

		if (!writable || exposed_as_configured(path, i, configured))
			continue;
		leftover->kind = TG_LEFTOVER_SEARCH_PATH;
		leftover->name = name;
		leftover->search_path = pstrdup(value);
		leftover->schema_missing = !OidIsValid(nspid);
		return true;
	}
	remember_safe_path(value, configured_value, role);
	return false;
}

/*
 * Does the session hold state an earlier request left that would act in
 * the next one?  The common session (no SQL-prepared statement, no
 * temporary schema, search_path from configuration) costs a few flag
 * tests.
 */
bool
tg_session_leftover(TgLeftover *leftover)
{
	ObjectAddress object;

	memset(leftover, 0, sizeof(TgLeftover));
	if (tg_sql_prepared != NIL && find_sql_prepared(&leftover->name))
	{
		leftover->kind = TG_LEFTOVER_PREPARED;
		return true;
	}
	if (find_search_path_hole(leftover))
		return true;
	if (find_temp_object(&object))
	{
		leftover->kind = TG_LEFTOVER_TEMP_OBJECT;
		leftover->name = getObjectDescription(&object, true);
		return true;
	}
	return false;
}

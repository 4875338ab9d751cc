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
 * The check when a tenant is set comes too late for some of it: a
 * temporary domain named like a built-in type (pg_temp comes first for
 * types) runs its CHECK on the next request's values while its statement
 * is parsed and bound, and a temporary view or a search_path through a
 * writable schema serves the statements a request runs before it sets its
 * tenant (looking the tenant up from an API key, say).  So a transaction
 * of a role inside the rules cannot commit while it leaves temporary
 * objects (other than tables it created ON COMMIT DROP, which the commit
 * drops) or such a search_path behind: the error aborts it, and the abort
 * undoes them (tg_session_state_check_at_commit).  The check at tenant
 * assignment stays, for state left in warn mode or by a session whose
 * guard was off.
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
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/prepare.h"
#include "lib/stringinfo.h"
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
#include "owner_code.h"
#include "report.h"
#include "role_cache.h"
#include "session_state.h"
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
 * Did this transaction create or alter an object while the session had a
 * temporary schema?  Only then can its commit leave a new temporary object.
 */
static bool temp_schema_touched = false;

/*
 * Temporary tables this transaction created ON COMMIT DROP: the commit
 * drops them, after the transaction callbacks have run.  The list lives in
 * TopTransactionContext.
 */
static List *dropped_at_commit = NIL;

/*
 * While a CREATE TABLE (AS) ... ON COMMIT DROP runs, the name of its table
 * until it is seen created, and how deep in utility statements nested in
 * it the session is (see tg_on_commit_drop_begin).  Not static: the
 * ProcessUtility hook tests the name before it counts.
 */
const char *tg_on_commit_drop_name = NULL;
int			tg_on_commit_drop_nesting = 0;

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
 * Does a temporary object count as state a request left: is it owned by a
 * role inside the rules (objects of a kind without an owner count as
 * such), and, if only_this_xact, did this transaction create or change it?
 * State that an earlier transaction left (in warn mode) is for the check
 * at tenant assignment.
 */
static bool
counts_as_leftover(Oid classid, Oid objid, bool only_this_xact)
{
	AttrNumber	owner_attnum = get_object_attnum_owner(classid);
	Relation	catalog;
	HeapTuple	tuple;
	bool		isnull;
	Oid			owner = InvalidOid;
	bool		changed = false;

	if (owner_attnum == InvalidAttrNumber && !only_this_xact)
		return true;
	catalog = table_open(classid, AccessShareLock);
	tuple = get_catalog_object_by_oid(catalog, get_object_attnum_oid(classid),
									  objid);
	if (HeapTupleIsValid(tuple))
	{
		if (owner_attnum != InvalidAttrNumber)
		{
			Datum		datum = heap_getattr(tuple, owner_attnum,
											 RelationGetDescr(catalog), &isnull);

			if (!isnull)
				owner = DatumGetObjectId(datum);
		}
		changed = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data));
	}
	table_close(catalog, AccessShareLock);
	return (!OidIsValid(owner) || !tg_role_is_exempt(owner)) &&
		(changed || !only_this_xact);
}

/*
 * Will the commit of this transaction drop the object: a table it created
 * ON COMMIT DROP, or a sequence such a table's column owns (serial,
 * identity)?
 */
static bool
dropped_by_commit(Oid classid, Oid objid)
{
	Oid			table;
	int32		column;

	if (classid != RelationRelationId || dropped_at_commit == NIL)
		return false;
	if (list_member_oid(dropped_at_commit, objid))
		return true;
	return get_rel_relkind(objid) == RELKIND_SEQUENCE &&
		(sequenceIsOwned(objid, DEPENDENCY_AUTO, &table, &column) ||
		 sequenceIsOwned(objid, DEPENDENCY_INTERNAL, &table, &column)) &&
		list_member_oid(dropped_at_commit, table);
}

/*
 * Does the session's temporary schema hold an object that a role inside
 * the rules owns (at_commit: that this transaction created or changed, and
 * that the commit will not drop)?  If so, and found is not NULL, say which.
 */
static bool
find_temp_object(bool at_commit, ObjectAddress *found_object)
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

		found = counts_as_leftover(dep->classid, dep->objid, at_commit) &&
			!(at_commit && dropped_by_commit(dep->classid, dep->objid));
		if (found && found_object != NULL)
			ObjectAddressSet(*found_object, dep->classid, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
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
 * The verdict of a refusal of rule 2 decided here, about the session's
 * role, with what report.c needs to word it.
 */
static void
session_verdict(TgRefusal refusal, const char *name, bool as_warning,
				TgVerdict *verdict)
{
	memset(verdict, 0, sizeof(TgVerdict));
	verdict->refusal = refusal;
	verdict->name = name;
	verdict->as_warning = as_warning;
	verdict->role = tg_role_name(GetOuterUserId());
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
	TgVerdict	verdict;

	for (int i = 0; i < plansource->num_params; i++)
	{
		Oid			typid = plansource->param_types[i];
		char	   *name;

		if (!type_input_runs_role_code(typid))
			continue;
		name = pstrdup(stmt->stmt_name);
		if (!as_warning)
			DropPreparedStatement(name, false);
		session_verdict(TG_PREPARED_PARAMETER, name, as_warning, &verdict);
		verdict.param = i + 1;
		verdict.other = format_type_be(typid);
		tg_report(&verdict);
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
	TgVerdict	verdict;

	if (entry == NULL)
		return;
	mode = tg_session_mode();
	if (mode == TG_MODE_OFF)
		return;
	session_verdict(TG_PREPARED_EXECUTION, entry->name,
					mode == TG_MODE_WARN, &verdict);
	tg_report(&verdict);
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

	temp_schema_touched = false;
	dropped_at_commit = NIL;

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
 * Could a schema of this name hold objects for the search path to find:
 * does it exist, or could the role create it?
 */
static bool
schema_may_hold_objects(const char *name, Oid role)
{
	return OidIsValid(get_namespace_oid(name, true)) ||
		tg_can_create_schema(role);
}

/*
 * Does the search path expose no more through schema number i (of path)
 * than the configured one does?  Objects in a schema take the place of
 * those of the same name in the schemas after it, and functions and
 * operators of a better match anywhere; so the configured path must name
 * the schema, every schema the configured path puts before it must still
 * come before it (pg_catalog aside, which comes first when not named, and
 * schemas that do not exist and cannot be created), and every schema after
 * it must have come after it.
 */
static bool
exposed_as_configured(List *path, int i, List *configured, Oid role)
{
	int			j = name_position(configured, (char *) list_nth(path, i));
	List	   *after;

	if (j < 0)
		return false;
	for (int k = 0; k < j; k++)
	{
		char	   *before = (char *) list_nth(configured, k);
		int			position = name_position(path, before);

		if (strcmp(before, "pg_catalog") == 0 ||
			!schema_may_hold_objects(before, role))
			continue;
		if (position < 0 || position > i)
			return false;
	}
	after = list_copy_tail(configured, j + 1);
	for (int k = i + 1; k < list_length(path); k++)
	{
		if (name_position(after, (char *) list_nth(path, k)) < 0)
			return false;
	}
	return true;
}

/* search_path_variable()'s first call, out of line. */
static pg_noinline struct config_string *
find_search_path_variable(void)
{
	search_path_conf = (struct config_string *) tg_find_guc("search_path");
	return search_path_conf;
}

/* The variable behind search_path. */
static inline struct config_string *
search_path_variable(void)
{
	if (likely(search_path_conf != NULL))
		return search_path_conf;
	return find_search_path_variable();
}

/* The configured search_path: the value RESET goes back to. */
static const char *
configured_search_path(void)
{
	return search_path_conf->reset_val ? search_path_conf->reset_val : "";
}

/*
 * Does a search_path value of this source count as one a request chose: a
 * session-level SET (or set_config(..., false)) of another value than the
 * configured one?
 */
static bool
chosen_by_request(const char *value, GucSource source)
{
	return source == PGC_S_SESSION && value != NULL &&
		strcmp(value, configured_search_path()) != 0;
}

/*
 * The value of search_path outside the SET clauses of the functions
 * running, if an earlier transaction set it at session level; NULL if it
 * comes from configuration or from this transaction.
 */
static const char *
session_search_path(void)
{
	struct config_string *conf = search_path_variable();
	const char *value;
	GucSource	source;
	GucStack   *stack;

	if (conf == NULL)
		return NULL;
	value = tg_guc_string_value(conf);
	source = tg_guc_source(conf);
	for (stack = tg_guc_stack(conf); stack != NULL; stack = stack->prev)
	{
		if (stack->state != GUC_SAVE)
			return NULL;		/* SET or SET LOCAL in this transaction */
		value = stack->prior.val.stringval;
		source = stack->source;
	}
	return chosen_by_request(value, source) ? value : NULL;
}

/*
 * The search_path the session keeps once this transaction commits, if this
 * transaction set it at session level; NULL otherwise.  At commit only the
 * transaction's own entry is left on the variable's stack, and it keeps
 * what AtEOXact_GUC keeps: for SET, the current value; for SET followed by
 * SET LOCAL, the value the SET LOCAL masked; for SET LOCAL alone, the
 * value before the transaction, which is not this transaction's doing.
 */
static const char *
search_path_kept_at_commit(void)
{
	struct config_string *conf = search_path_variable();
	GucStack   *stack;

	if (conf == NULL || (stack = tg_guc_stack(conf)) == NULL)
		return NULL;
	if (stack->state == GUC_SET &&
		chosen_by_request(tg_guc_string_value(conf), tg_guc_source(conf)))
		return tg_guc_string_value(conf);
	if (stack->state == GUC_SET_LOCAL &&
		chosen_by_request(stack->masked.val.stringval, PGC_S_SESSION))
		return stack->masked.val.stringval;
	return NULL;
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
 * Does a session-level search_path name a schema that the session's role
 * can create objects in (or, if the schema does not exist, can create), in
 * a place the configured search_path does not?  pg_catalog and the
 * temporary schema are left to what they are.
 */
static bool
search_path_hole(const char *value, TgLeftover *leftover)
{
	const char *configured_value = configured_search_path();
	Oid			role = GetOuterUserId();
	List	   *path;
	List	   *configured;

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

		if (!writable || exposed_as_configured(path, i, configured, role))
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

/* The same for the session-level search_path an earlier transaction set. */
static bool
find_search_path_hole(TgLeftover *leftover)
{
	const char *value = session_search_path();

	return value != NULL && search_path_hole(value, leftover);
}

/*
 * Is the session plainly clean: no SQL-prepared statement, a search_path
 * that no SET of any transaction chose (no entry on its stack, a source
 * other than a session SET), no temporary schema?  Then
 * tg_session_leftover() finds nothing, and a transaction that gets its
 * tenant need not ask whose rules apply first.
 */
bool
tg_session_plainly_clean(void)
{
	/* static, so that the call needs no stack protector */
	static Oid	temp_namespace;
	static Oid	temp_toast_namespace;
	struct config_string *conf;

	if (tg_sql_prepared != NIL)
		return false;
	conf = search_path_variable();
	if (conf != NULL &&
		(tg_guc_stack(conf) != NULL || tg_guc_source(conf) == PGC_S_SESSION))
		return false;
	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	return !OidIsValid(temp_namespace);
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
	if (find_temp_object(false, &object))
	{
		leftover->kind = TG_LEFTOVER_TEMP_OBJECT;
		leftover->name = getObjectDescription(&object, true);
		return true;
	}
	return false;
}

/*
 * The table a CREATE TABLE (AS) ... ON COMMIT DROP creates (EXPLAIN
 * ANALYZE runs a CREATE TABLE AS without ProcessUtility), or NULL.
 */
static RangeVar *
on_commit_drop_target(Node *parsetree)
{
	if (IsA(parsetree, ExplainStmt))
		parsetree = ((ExplainStmt *) parsetree)->query;
	if (IsA(parsetree, Query) && ((Query *) parsetree)->utilityStmt != NULL)
		parsetree = ((Query *) parsetree)->utilityStmt;
	if (IsA(parsetree, CreateStmt) &&
		((CreateStmt *) parsetree)->oncommit == ONCOMMIT_DROP)
		return ((CreateStmt *) parsetree)->relation;
	if (IsA(parsetree, CreateTableAsStmt) &&
		((CreateTableAsStmt *) parsetree)->into->onCommit == ONCOMMIT_DROP)
		return ((CreateTableAsStmt *) parsetree)->into->rel;
	return NULL;
}

/*
 * A CREATE TABLE (AS) ... ON COMMIT DROP is about to run: from now until
 * tg_on_commit_drop_end(), the first table of its name that the object
 * access hook sees created in the temporary schema, outside any utility
 * statement nested in it, is the one the commit drops.  The table cannot
 * be found by its name once the statement is done: user code the statement
 * runs (the query of CREATE TABLE AS, the expressions of a partition
 * bound) may have renamed it and put another object in its place.  That
 * code makes objects only through utility statements of its own, which
 * the ProcessUtility hook counts (tg_on_commit_drop_nesting).  Returns
 * false, with nothing to end, for any other statement.
 */
bool
tg_on_commit_drop_begin(Node *parsetree, TgOnCommitDrop *saved)
{
	RangeVar   *rel = on_commit_drop_target(parsetree);

	if (rel == NULL)
		return false;
	saved->name = tg_on_commit_drop_name;
	saved->nesting = tg_on_commit_drop_nesting;
	tg_on_commit_drop_name = rel->relname;
	tg_on_commit_drop_nesting = 0;
	return true;
}

/* The statement is over, or failed: back to the enclosing one, if any. */
void
tg_on_commit_drop_end(const TgOnCommitDrop *saved)
{
	tg_on_commit_drop_name = saved->name;
	tg_on_commit_drop_nesting = saved->nesting;
}

/*
 * Is this new relation the table a running CREATE TABLE (AS) ... ON COMMIT
 * DROP makes?  Then remember it: the commit drops it.
 */
static void
note_on_commit_drop_table(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	MemoryContext oldcxt;
	bool		is_it;

	/* just created: its relation cache entry exists, its row is not seen */
	if (rel == NULL)
		return;
	is_it = isTempNamespace(RelationGetNamespace(rel)) &&
		(rel->rd_rel->relkind == RELKIND_RELATION ||
		 rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE) &&
		strcmp(RelationGetRelationName(rel), tg_on_commit_drop_name) == 0;
	RelationClose(rel);
	if (!is_it)
		return;
	tg_on_commit_drop_name = NULL;	/* only the first */
	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	dropped_at_commit = lappend_oid(dropped_at_commit, relid);
	MemoryContextSwitchTo(oldcxt);
	tg_xact_state_left(TG_XACT_SESSION_STATE);
}

/*
 * The kind of a relation the current command may just have created: its
 * relation cache entry exists before its catalog row can be seen.
 */
static char
new_relation_kind(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	char		relkind;

	if (rel == NULL)
		return '\0';
	relkind = rel->rd_rel->relkind;
	RelationClose(rel);
	return relkind;
}

/*
 * A type was created while the session has a temporary schema.  If it is a
 * temporary type that a statement could name (a domain, enum, range, shell
 * or composite type, not the row type of a table or an array type that
 * comes with another type), refuse it: pg_temp comes first in the search
 * path for types, so it would stand for the built-in or schema type of its
 * name in every statement the session parses, and PL/pgSQL functions
 * compiled meanwhile keep it after it is gone (their later calls fail).
 * The commit-time check would come too late for that.  In warn mode, say
 * so and go on.
 */
static void
check_temp_type(Oid typid)
{
	TupleDesc	desc;
	HeapTuple	tuple = tg_fresh_catalog_row(TypeRelationId, TypeOidIndexId,
											 Anum_pg_type_oid, typid, &desc);
	Form_pg_type typ;
	bool		nameable;

	if (!HeapTupleIsValid(tuple))
		return;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	nameable = isTempNamespace(typ->typnamespace) &&
		!(typ->typtype == TYPTYPE_COMPOSITE &&
		  new_relation_kind(typ->typrelid) != RELKIND_COMPOSITE_TYPE) &&
		!(OidIsValid(typ->typelem) && IsTrueArrayType(typ));
	if (nameable)
	{
		TgVerdict	verdict;

		session_verdict(TG_TEMP_TYPE, NameStr(typ->typname),
						tg_session_mode() == TG_MODE_WARN, &verdict);
		tg_report(&verdict);
	}
}

/*
 * The object access hook saw an object created or altered (object_guard.c).
 * If the session has a temporary schema and its role is inside the rules,
 * it may be a temporary object the commit may not leave: check then.
 */
void
tg_session_state_note_object(ObjectAccessType access, Oid classid,
							 Oid objid, int subid)
{
	Oid			temp_namespace;
	Oid			temp_toast_namespace;

	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	if (!OidIsValid(temp_namespace) || !tg_session_guard_applies())
		return;
	temp_schema_touched = true;
	tg_xact_state_left(TG_XACT_SESSION_STATE);
	if (access == OAT_POST_CREATE && classid == TypeRelationId)
		check_temp_type(objid);
	if (access == OAT_POST_CREATE && classid == RelationRelationId &&
		subid == 0 && tg_on_commit_drop_name != NULL &&
		tg_on_commit_drop_nesting == 0)
		note_on_commit_drop_table(objid);
}

/*
 * A temporary object's kind and qualified name, with the session's
 * temporary schema called pg_temp (as a statement would name it) where
 * PostgreSQL writes its real name, pg_temp_3 say, which differs from
 * session to session.  Qualified, so that pg_temp.text is not taken for
 * the built-in type.
 */
static char *
temp_object_description(const ObjectAddress *object)
{
	char	   *description = psprintf("%s %s",
									   getObjectTypeDescription(object, true),
									   getObjectIdentity(object, true));
	Oid			temp_namespace;
	Oid			temp_toast_namespace;
	char	   *schema;
	char	   *qualifier;
	char	   *found;
	StringInfoData buf;

	GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
	schema = get_namespace_name(temp_namespace);
	if (schema == NULL)
		return description;
	qualifier = psprintf("%s.", quote_identifier(schema));
	initStringInfo(&buf);
	while ((found = strstr(description, qualifier)) != NULL)
	{
		appendBinaryStringInfo(&buf, description, found - description);
		appendStringInfoString(&buf, "pg_temp.");
		description = found + strlen(qualifier);
	}
	appendStringInfoString(&buf, description);
	return buf.data;
}

/*
 * Refuse the commit that would leave the session a leftover (in warn mode,
 * say so).
 */
static void
report_leftover_at_commit(const TgLeftover *leftover)
{
	TgVerdict	verdict;

	session_verdict(TG_LEFTOVER_AT_COMMIT, NULL,
					tg_session_mode() == TG_MODE_WARN, &verdict);
	verdict.leftover = leftover->kind;
	verdict.other = leftover->name;
	verdict.other_sql = leftover->search_path;
	verdict.schema_missing = leftover->schema_missing;
	tg_report(&verdict);
}

/* tg_session_state_check_at_commit()'s work, out of its line. */
static pg_noinline void
check_session_state_at_commit(void)
{
	const char *path = search_path_kept_at_commit();
	TgLeftover	leftover;
	ObjectAddress object;

	if ((path == NULL && !temp_schema_touched) || !tg_session_guard_applies())
		return;
	memset(&leftover, 0, sizeof(TgLeftover));
	if (path != NULL && search_path_hole(path, &leftover))
		report_leftover_at_commit(&leftover);
	else if (temp_schema_touched && find_temp_object(true, &object))
	{
		leftover.kind = TG_LEFTOVER_TEMP_OBJECT;
		leftover.name = temp_object_description(&object);
		report_leftover_at_commit(&leftover);
	}
}

/*
 * The transaction is about to commit or be prepared.  A role inside the
 * rules cannot leave the session temporary objects, or a session-level
 * search_path through a schema it can create objects in, for the
 * statements the next request runs before it sets its tenant (see the
 * head of this file): refuse, and the abort undoes them.  In warn mode,
 * say so and commit.  A transaction that set no search_path and created
 * no object in a temporary schema costs two tests.
 */
void
tg_session_state_check_at_commit(void)
{
	/* every transaction commits through here: the common one in a jump */
	if (likely(!temp_schema_touched) && likely(search_path_conf != NULL) &&
		likely(tg_guc_stack(search_path_conf) == NULL))
		return;
	check_session_state_at_commit();
}
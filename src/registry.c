/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The registry of tables tenant_guard.protect() has protected.
 *
 * tenant_guard.registry (extension version 1.1) holds one row per protected
 * table or partition, with what protect() changed so that unprotect() can
 * undo exactly that.  Its relation column is a regclass, so pg_dump writes
 * table names rather than OIDs and the rows survive dump and restore (the
 * table is marked with pg_extension_config_dump).
 *
 * protect() and unprotect() run as their caller, who owns the table but has
 * no privilege on the registry, so the registry is read and written here as
 * its owner (the extension's owner), with a search_path that holds only
 * pg_catalog and every name in the statements qualified.  Nothing the
 * caller controls reaches those statements except as SPI parameters.
 *
 * A database without the extension, or with version 1.0, has no registry:
 * every lookup then finds nothing.
 *
 * src/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "registry.h"
#include "report.h"

#define REGISTRY_SCHEMA "tenant_guard"
#define REGISTRY_TABLE	"registry"

/* What registry_begin() changed, for registry_end() to restore. */
typedef struct RegistryAccess
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	const char *table;			/* quoted, qualified registry name */
} RegistryAccess;

/*
 * The registry table of this database, or InvalidOid if the extension (at
 * version 1.1 or later) is not installed.  A table of that name that does
 * not belong to the extension is ignored.
 */
Oid
tg_registry_relid(void)
{
	Oid			extoid = get_extension_oid("tenant_guard", true);
	Oid			nspoid;
	Oid			relid;

	if (!OidIsValid(extoid))
		return InvalidOid;
	nspoid = get_namespace_oid(REGISTRY_SCHEMA, true);
	if (!OidIsValid(nspoid))
		return InvalidOid;
	relid = get_relname_relid(REGISTRY_TABLE, nspoid);
	if (!OidIsValid(relid) ||
		getExtensionOfObject(RelationRelationId, relid) != extoid)
		return InvalidOid;
	return relid;
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Become the registry's owner, with a safe search_path, and connect to SPI.
 * Returns false (having changed nothing) if there is no registry.
 */
static bool
registry_begin(RegistryAccess *acc)
{
	Oid			relid = tg_registry_relid();

	if (!OidIsValid(relid))
		return false;

	acc->table = quote_qualified_identifier(REGISTRY_SCHEMA, REGISTRY_TABLE);
	GetUserIdAndSecContext(&acc->save_userid, &acc->save_sec_context);
	SetUserIdAndSecContext(relation_owner(relid),
						   acc->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	acc->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return true;
}

/* Undo registry_begin().  On error, transaction abort does the same. */
static void
registry_end(RegistryAccess *acc)
{
	SPI_finish();
	AtEOXact_GUC(true, acc->save_nestlevel);
	SetUserIdAndSecContext(acc->save_userid, acc->save_sec_context);
}

static void
registry_execute(const char *sql, int nargs, Oid *argtypes, Datum *values,
				 const char *nulls, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
										   false, 0);

	if (rc != expected)
		elog(ERROR, "tenant_guard registry statement failed: %s",
			 SPI_result_code_string(rc));
}

/*
 * Look up a relation.  Returns false if it is not protected (or there is no
 * registry); otherwise fills *prot, allocating in the caller's context.
 */
bool
tg_registry_lookup(Oid relid, TgProtection *prot)
{
	RegistryAccess acc;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		found = false;
	MemoryContext callercxt = CurrentMemoryContext;

	if (!registry_begin(&acc))
		return false;

	registry_execute(psprintf("SELECT tenant_column, partition_of, set_not_null,"
							  " previous_default, enabled_rls, forced_rls,"
							  " created_index"
							  " FROM %s WHERE relation OPERATOR(pg_catalog.=) $1",
							  acc.table),
					 1, argtypes, values, NULL, SPI_OK_SELECT);

	if (SPI_processed > 0)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

		found = true;
		memset(prot, 0, sizeof(*prot));
		prot->relid = relid;
		namestrcpy(&prot->tenant_column,
				   NameStr(*DatumGetName(SPI_getbinval(tuple, desc, 1, &isnull))));
		d = SPI_getbinval(tuple, desc, 2, &isnull);
		prot->partition_of = isnull ? InvalidOid : DatumGetObjectId(d);
		prot->set_not_null = DatumGetBool(SPI_getbinval(tuple, desc, 3, &isnull));
		d = SPI_getbinval(tuple, desc, 4, &isnull);
		prot->previous_default = isnull ? NULL : TextDatumGetCString(d);
		prot->enabled_rls = DatumGetBool(SPI_getbinval(tuple, desc, 5, &isnull));
		prot->forced_rls = DatumGetBool(SPI_getbinval(tuple, desc, 6, &isnull));
		d = SPI_getbinval(tuple, desc, 7, &isnull);
		if (!isnull)
			namestrcpy(&prot->created_index, NameStr(*DatumGetName(d)));
		MemoryContextSwitchTo(oldcxt);
	}

	registry_end(&acc);
	return found;
}

/* Is the relation protected? */
bool
tg_registry_contains(Oid relid)
{
	TgProtection prot;

	return tg_registry_lookup(relid, &prot);
}

/* Record a newly protected relation, protected by the current user. */
void
tg_registry_insert(const TgProtection *prot)
{
	RegistryAccess acc;
	Oid			argtypes[9] = {REGCLASSOID, NAMEOID, REGCLASSOID, BOOLOID,
	TEXTOID, BOOLOID, BOOLOID, NAMEOID, NAMEOID};
	Datum		values[9];
	char		nulls[9];
	NameData	caller;

	/* no NULLs yet (not a string: gcc 15 refuses a 9-char literal here) */
	memset(nulls, ' ', sizeof(nulls));

	/* before registry_begin() makes the registry's owner current */
	namestrcpy(&caller, GetUserNameFromId(GetUserId(), false));

	if (!registry_begin(&acc))
		tg_report_registry_missing();

	values[0] = ObjectIdGetDatum(prot->relid);
	values[1] = NameGetDatum(&prot->tenant_column);
	values[2] = ObjectIdGetDatum(prot->partition_of);
	if (!OidIsValid(prot->partition_of))
		nulls[2] = 'n';
	values[3] = BoolGetDatum(prot->set_not_null);
	if (prot->previous_default)
		values[4] = CStringGetTextDatum(prot->previous_default);
	else
		nulls[4] = 'n';
	values[5] = BoolGetDatum(prot->enabled_rls);
	values[6] = BoolGetDatum(prot->forced_rls);
	values[7] = NameGetDatum(&prot->created_index);
	if (NameStr(prot->created_index)[0] == '\0')
		nulls[7] = 'n';
	values[8] = NameGetDatum(&caller);

	registry_execute(psprintf("INSERT INTO %s (relation, tenant_column,"
							  " partition_of, set_not_null, previous_default,"
							  " enabled_rls, forced_rls, created_index,"
							  " protected_by)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
							  acc.table),
					 9, argtypes, values, nulls, SPI_OK_INSERT);
	registry_end(&acc);
}

/* Forget a relation. */
void
tg_registry_delete(Oid relid)
{
	RegistryAccess acc;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};

	if (!registry_begin(&acc))
		return;
	registry_execute(psprintf("DELETE FROM %s WHERE relation OPERATOR(pg_catalog.=) $1",
							  acc.table),
					 1, argtypes, values, NULL, SPI_OK_DELETE);
	registry_end(&acc);
}

/* Protected partitions registered as protected through relid. */
List *
tg_registry_partitions_of(Oid relid)
{
	RegistryAccess acc;
	Oid			argtypes[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	List	   *result = NIL;
	MemoryContext callercxt = CurrentMemoryContext;

	if (!registry_begin(&acc))
		return NIL;
	registry_execute(psprintf("SELECT relation FROM %s"
							  " WHERE partition_of OPERATOR(pg_catalog.=) $1"
							  " ORDER BY relation::pg_catalog.oid",
							  acc.table),
					 1, argtypes, values, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i],
									  SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);

		result = lappend_oid(result, DatumGetObjectId(d));
		MemoryContextSwitchTo(oldcxt);
	}
	registry_end(&acc);
	return result;
}

/* Record that relid is now protected through parent (or on its own). */
void
tg_registry_set_partition_of(Oid relid, Oid parent)
{
	RegistryAccess acc;
	Oid			argtypes[2] = {REGCLASSOID, REGCLASSOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), ObjectIdGetDatum(parent)};
	char		nulls[2] = {' ', OidIsValid(parent) ? ' ' : 'n'};

	if (!registry_begin(&acc))
		return;
	registry_execute(psprintf("UPDATE %s SET partition_of = $2"
							  " WHERE relation OPERATOR(pg_catalog.=) $1",
							  acc.table),
					 2, argtypes, values, nulls, SPI_OK_UPDATE);
	registry_end(&acc);
}

/* The tenant column of relid was renamed. */
void
tg_registry_rename_column(Oid relid, const char *oldname, const char *newname)
{
	RegistryAccess acc;
	Oid			argtypes[3] = {REGCLASSOID, NAMEOID, NAMEOID};
	Datum		values[3];
	NameData	oldn;
	NameData	newn;

	namestrcpy(&oldn, oldname);
	namestrcpy(&newn, newname);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = NameGetDatum(&oldn);
	values[2] = NameGetDatum(&newn);

	if (!registry_begin(&acc))
		return;
	registry_execute(psprintf("UPDATE %s SET tenant_column = $3"
							  " WHERE relation OPERATOR(pg_catalog.=) $1"
							  " AND tenant_column OPERATOR(pg_catalog.=) $2",
							  acc.table),
					 3, argtypes, values, NULL, SPI_OK_UPDATE);
	registry_end(&acc);
}

/* Number of protected relations. */
int64
tg_registry_count(void)
{
	RegistryAccess acc;
	int64		count;
	bool		isnull;

	if (!registry_begin(&acc))
		return 0;
	registry_execute(psprintf("SELECT pg_catalog.count(*) FROM %s", acc.table),
					 0, NULL, NULL, NULL, SPI_OK_SELECT);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	registry_end(&acc);
	return count;
}

/*
 * Forget relations that no longer exist.  Called after DROP statements,
 * whatever they dropped: a table can go by DROP TABLE, DROP SCHEMA ...
 * CASCADE or DROP OWNED, and a stale row would otherwise describe whatever
 * table later reuses the OID.
 */
void
tg_registry_sweep(void)
{
	RegistryAccess acc;

	if (!registry_begin(&acc))
		return;
	registry_execute(psprintf("DELETE FROM %s r WHERE NOT EXISTS"
							  " (SELECT FROM pg_catalog.pg_class c"
							  " WHERE c.oid OPERATOR(pg_catalog.=) r.relation::pg_catalog.oid)",
							  acc.table),
					 0, NULL, NULL, NULL, SPI_OK_DELETE);
	registry_end(&acc);
}

/*
 * Every protected relation, with its tenant column (relid and
 * tenant_column filled in), allocated in the caller's context.
 */
List *
tg_registry_tables(void)
{
	RegistryAccess acc;
	List	   *result = NIL;
	MemoryContext callercxt = CurrentMemoryContext;

	if (!registry_begin(&acc))
		return NIL;
	registry_execute(psprintf("SELECT relation, tenant_column FROM %s"
							  " ORDER BY relation::pg_catalog.oid",
							  acc.table),
					 0, NULL, NULL, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext oldcxt = MemoryContextSwitchTo(callercxt);
		TgProtection *prot = palloc0(sizeof(TgProtection));

		prot->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		namestrcpy(&prot->tenant_column,
				   NameStr(*DatumGetName(SPI_getbinval(tuple, desc, 2, &isnull))));
		result = lappend(result, prot);
		MemoryContextSwitchTo(oldcxt);
	}
	registry_end(&acc);
	return result;
}

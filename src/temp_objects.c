/*-------------------------------------------------------------------------
 *
 * temp_objects.c
 *	  Does the session hold temporary objects?
 *
 * Temporary tables, views, sequences, types, domains and functions live as
 * long as the session, and a pooled session serves one tenant's request
 * after another's.  Several of them are found by name before the objects
 * an application means (pg_temp comes first in the search path for
 * relations and types), so one request can leave code and tables behind
 * that the next request, of another tenant, runs or fills with its rows.
 * The tenant context rules (tenant_context.c) therefore refuse to set a
 * tenant while the session holds a temporary object that a role inside the
 * rules owns.  Those of roles outside the rules (a superuser's, such as the
 * tables pgTAP keeps its results in when plan() runs before SET ROLE) were
 * not left by a request, and do not count.
 *
 * Every object in the session's temporary schema depends on that schema
 * (it is how PostgreSQL drops them all at the end of the session), so a
 * probe of pg_depend's reference index finds them; a session that never
 * used a temporary object has no temporary schema and costs nothing.
 *
 * src/temp_objects.c
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
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "tenant_guard.h"

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
 * the rules owns?
 */
bool
tg_session_has_temp_objects(void)
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
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

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
 * tenant while the session holds any temporary object.
 *
 * Every object in the session's temporary schema depends on that schema
 * (it is how PostgreSQL drops them all at the end of the session), so one
 * probe of pg_depend's reference index answers; a session that never used
 * a temporary object has no temporary schema and costs nothing.
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
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"

#include "tenant_guard.h"

/* Does anything depend on the session's temporary schema? */
bool
tg_session_has_temp_objects(void)
{
	Oid			temp_namespace;
	Oid			temp_toast_namespace;
	Relation	depend;
	ScanKeyData keys[2];
	SysScanDesc scan;
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
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

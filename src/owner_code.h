/*-------------------------------------------------------------------------
 *
 * owner_code.h
 *	  Rule 6: DDL that would run owner code over every tenant's rows
 *	  (owner_code.c).
 *
 * src/owner_code.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_OWNER_CODE_H
#define TENANT_GUARD_OWNER_CODE_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/nodes.h"

extern HeapTuple tg_fresh_catalog_row(Oid catalog, Oid index, AttrNumber keyatt,
									  Oid objectId, TupleDesc *desc);
extern void tg_owner_code_object_access(int access, Oid classId,
										Oid objectId, int subId);
extern void tg_owner_code_check_utility(Node *parsetree);

#endif							/* TENANT_GUARD_OWNER_CODE_H */

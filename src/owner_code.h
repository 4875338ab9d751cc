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
/*
 * How rule 6 judges code (owner_code.c, type_code.c).  Code about to be
 * created is refused if it calls a function that is not built in or is
 * volatile; code that exists (re-run by REINDEX, ANALYZE, ...) if it calls
 * a function that is not built in and whose owner is inside the rules
 * (tg_controlled_inside()).  A type's support functions are always judged by the
 * second line.  A search stops at the first function it refuses.
 */
typedef struct TgCodeSearch
{
	bool		existing;		/* judge by tg_controlled_inside() */
	Oid			found;			/* the first function judged harmful */
} TgCodeSearch;

extern void tg_owner_code_object_access(int access, Oid classId,
										Oid objectId, int subId);
extern void tg_owner_code_check_utility(Node *parsetree);
extern bool tg_find_harmful_code(Node *node, TgCodeSearch *search);

#endif							/* TENANT_GUARD_OWNER_CODE_H */

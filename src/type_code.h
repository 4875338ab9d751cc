/*-------------------------------------------------------------------------
 *
 * type_code.h
 *	  Rule 6 through types: the code a type's values run (type_code.c).
 *
 * src/type_code.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_TYPE_CODE_H
#define TENANT_GUARD_TYPE_CODE_H

#include "owner_code.h"

extern bool tg_converts_to_any_type(Oid funcid);
extern bool tg_controlled_inside(Oid funcid);
extern void tg_judge_maintenance(bool on);
extern Oid	tg_opclass_code(Oid opclass, TgCodeSearch *search);
extern Oid	tg_type_code(Oid typid, bool conversion, TgCodeSearch *search);

#endif							/* TENANT_GUARD_TYPE_CODE_H */

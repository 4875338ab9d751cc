/*-------------------------------------------------------------------------
 *
 * referential_action.h
 *	  A foreign key's referential action bounded to the transaction's
 *	  tenant (referential_action.c).
 *
 * src/referential_action.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REFERENTIAL_ACTION_H
#define TENANT_GUARD_REFERENTIAL_ACTION_H

#include "executor/execdesc.h"

extern void tg_check_referential_action(QueryDesc *queryDesc);

#endif							/* TENANT_GUARD_REFERENTIAL_ACTION_H */

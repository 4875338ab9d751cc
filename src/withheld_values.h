/*-------------------------------------------------------------------------
 *
 * withheld_values.h
 *	  Errors of DDL over every tenant's rows, without the values they quote
 *	  (withheld_values.c).
 *
 * src/withheld_values.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_WITHHELD_VALUES_H
#define TENANT_GUARD_WITHHELD_VALUES_H

#include "nodes/nodes.h"

extern bool tg_reads_every_tenants_rows(Node *parsetree);
extern void tg_rethrow_withholding_values(Node *parsetree);

#endif							/* TENANT_GUARD_WITHHELD_VALUES_H */

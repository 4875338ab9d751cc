/*-------------------------------------------------------------------------
 *
 * set_local.h
 *	  Set a setting as a SET LOCAL statement does (set_local.c).
 *
 * src/set_local.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_SET_LOCAL_H
#define TENANT_GUARD_SET_LOCAL_H

/*
 * SET LOCAL name TO 'value', run through ProcessUtility so that the
 * utility hooks of other libraries (Citus's propagation to its workers)
 * see the statement, with its text.
 */
extern void tg_set_local(const char *name, const char *value);

#endif							/* TENANT_GUARD_SET_LOCAL_H */

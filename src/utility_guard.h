/*-------------------------------------------------------------------------
 *
 * utility_guard.h
 *	  Rules 1, 2 and 4 for utility statements (utility_guard.c).
 *
 * src/utility_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_UTILITY_GUARD_H
#define TENANT_GUARD_UTILITY_GUARD_H

extern void tg_utility_guard_init(void);

#endif							/* TENANT_GUARD_UTILITY_GUARD_H */

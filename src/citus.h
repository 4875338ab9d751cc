/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  Is Citus installed in this database (citus.c)?
 *
 * src/citus.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_CITUS_H
#define TENANT_GUARD_CITUS_H

/*
 * Is extension citus created in the current database?  protect() then
 * makes policies without a subquery and no trigger, which Citus refuses on
 * distributed tables.
 */
extern bool tg_citus_installed(void);

#endif							/* TENANT_GUARD_CITUS_H */

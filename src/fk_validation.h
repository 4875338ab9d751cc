/*-------------------------------------------------------------------------
 *
 * fk_validation.h
 *	  Foreign keys between tables with row-level security validated row by
 *	  row (fk_validation.c).
 *
 * src/fk_validation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_FK_VALIDATION_H
#define TENANT_GUARD_FK_VALIDATION_H

extern void tg_fk_validation_init(void);

#endif							/* TENANT_GUARD_FK_VALIDATION_H */

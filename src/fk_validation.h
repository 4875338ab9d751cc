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

#include "executor/executor.h"

#include "compat.h"

/* Hook installed by _PG_init. */
extern PGDLLIMPORT ExecutorCheckPerms_hook_type tg_prev_check_perms;
extern bool tg_check_perms(TG_CHECK_PERMS_PARAMS);

#endif							/* TENANT_GUARD_FK_VALIDATION_H */

/*-------------------------------------------------------------------------
 *
 * report.h
 *	  Wording and severity of every refusal of the rules (report.c).
 *
 * src/report.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REPORT_H
#define TENANT_GUARD_REPORT_H

#include "nodes/pg_list.h"

#include "session_state.h"
#include "tenant_context.h"

extern int	tg_violation_level(void);
extern const char *tg_tenant_origin_description(const TgTenantState *state);
extern void tg_report_tenant_context(Oid relid, const TgTenantState *state);
extern void tg_report_session_set(const char *name);
extern void tg_report_session_tenant(void);
extern void tg_report_not_forced(Oid relid);
extern void tg_report_not_forced_at_commit(Oid relid);
extern void tg_report_partition_hole(Oid relid, Oid ancestor);
extern void tg_report_child_behind_parent(Oid relid, Oid parent);
extern void tg_report_bypass(Oid relid, Oid as_role, bool via_view,
							 List *rtable);
extern void tg_report_truncate(Oid relid, Oid ancestor);
extern void tg_report_hold_cursor(Oid relid, const char *portalname);
extern void tg_report_hold_after_read(Oid relid, const char *portalname);
extern void tg_report_tid_lookup(Oid funcid);
extern void tg_report_parallel_worker(Oid relid);
extern void tg_report_referential_action(Oid relid);
extern void tg_report_leftover(const char *tenant, const TgLeftover *leftover,
							   bool as_warning);
extern void tg_report_leftover_at_commit(const TgLeftover *leftover,
										 bool as_warning);
extern void tg_report_temp_type(const char *name, bool as_warning);
extern void tg_report_prepared_execution(const char *name, bool as_warning);
extern void tg_report_prepared_parameter(const char *name, int param,
										 Oid typid, bool as_warning);
extern void tg_report_lasting_setting(const char *where, const char *target);

#endif							/* TENANT_GUARD_REPORT_H */

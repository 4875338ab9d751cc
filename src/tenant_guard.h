/*-------------------------------------------------------------------------
 *
 * tenant_guard.h
 *	  Declarations shared by the modules of tenant_guard.
 *
 * Each module owns one concern and installs its own hooks from an *_init
 * function called by _PG_init (tenant_guard.c):
 *
 *	role_cache.c		is a role outside the rules (superuser, BYPASSRLS)?
 *	rel_cache.c			row-level security facts per relation, invalidated
 *						with the relcache
 *	tenant_context.c	the tenant setting: where its value came from, the
 *						tenant a transaction is pinned to
 *	definer.c			the innermost SECURITY DEFINER function running
 *	report.c			wording and severity of every refusal
 *	executor_guard.c	rules 1, 4 and 5 for every statement that runs a plan
 *	utility_guard.c		rules 1, 2 and 4 for utility statements
 *	object_guard.c		rule 5 for TRUNCATE
 *	xact_guard.c		what must hold when a statement or transaction ends
 *	fk_validation.c		foreign keys between tables with row-level security
 *						validated row by row
 *	status.c			the SQL-callable status() and tenant()
 *	set_tenant.c		the SQL-callable set_tenant()
 *	fill_tenant.c		the trigger that fills a NULL tenant column
 *
 * src/tenant_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_H
#define TENANT_GUARD_H

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"

/* tenant_guard.mode */
typedef enum TgMode
{
	TG_MODE_OFF,				/* do nothing */
	TG_MODE_WARN,				/* report violations as warnings, proceed */
	TG_MODE_ENFORCE				/* refuse violations */
} TgMode;

/* How this backend came to load the library. */
typedef enum TgLoadOrigin
{
	TG_LOADED_SHARED_PRELOAD,	/* shared_preload_libraries */
	TG_LOADED_SESSION_START,	/* session_ or local_preload_libraries */
	TG_LOADED_ON_DEMAND			/* LOAD, or first call of one of our
								 * functions: this session only */
} TgLoadOrigin;

/* tenant_guard.c */
extern int	tg_mode;
extern char *tg_tenant_setting;
extern TgLoadOrigin tg_load_origin;

/* role_cache.c */
extern PGDLLIMPORT Oid tg_cached_role;
extern PGDLLIMPORT bool tg_cached_role_exempt;
extern void tg_role_cache_init(void);
extern bool tg_role_lookup_exempt(Oid roleid);

/*
 * Is row-level security skipped for this role (superuser or BYPASSRLS)?
 * The answer for the last role asked is cached; every statement asks, so
 * the common case is inline.
 */
static inline bool
tg_role_is_exempt(Oid roleid)
{
	if (likely(roleid == tg_cached_role && OidIsValid(roleid)))
		return tg_cached_role_exempt;
	return tg_role_lookup_exempt(roleid);
}

/*
 * Do tenant_guard's rules apply to the statement about to run?  They apply
 * unless the guard is off, or the role the session acts as (the login role
 * or the one chosen by SET ROLE, i.e. the role outside any SECURITY DEFINER
 * function) bypasses row-level security.
 */
static inline bool
tg_guard_applies(void)
{
	return tg_mode != TG_MODE_OFF && !tg_role_is_exempt(GetOuterUserId());
}

/* rel_cache.c */
typedef struct TgRelInfo
{
	Oid			relid;			/* hash key; must be first */
	bool		valid;			/* false once invalidated */
	bool		exists;			/* false if the relation is gone */
	bool		rls_enabled;	/* pg_class.relrowsecurity */
	bool		rls_forced;		/* pg_class.relforcerowsecurity */
	bool		is_partition;	/* pg_class.relispartition */
	bool		inherits;		/* an inheritance child (INHERITS) */
	bool		parent_known;	/* has parent been looked up? */
	Oid			parent;			/* partition parent, if is_partition */
} TgRelInfo;

/* Direct-mapped front of the relation cache; see rel_cache.c. */
#define TG_REL_SLOTS 64
extern PGDLLIMPORT TgRelInfo *tg_rel_slots[TG_REL_SLOTS];
extern TgRelInfo *tg_rel_info_lookup(Oid relid);

/*
 * The cached facts about a relation.  The pointer stays valid until the end
 * of the transaction, but its contents may be refilled by the next call;
 * callers copy what they need before asking again.
 */
static inline TgRelInfo *
tg_rel_info(Oid relid)
{
	TgRelInfo  *info = tg_rel_slots[relid % TG_REL_SLOTS];

	if (likely(info != NULL && info->relid == relid && info->valid))
		return info;
	return tg_rel_info_lookup(relid);
}
/* Is the relation a partition or an inheritance child? */
static inline bool
tg_rel_has_parents(const TgRelInfo *info)
{
	return info->is_partition || info->inherits;
}
extern Oid	tg_partition_parent(Oid relid);
extern List *tg_rel_ancestors(Oid relid);
extern Oid	tg_rls_ancestor(Oid relid);
extern bool tg_all_ancestors_have_rls(Oid relid);
extern void tg_rel_cache_xact_end(void);

/* tenant_context.c */
typedef enum TgTenantOrigin
{
	TG_TENANT_NONE,				/* empty */
	TG_TENANT_LOCAL,			/* SET LOCAL or set_config(..., true) in
								 * this transaction: the only valid kind */
	TG_TENANT_SESSION,			/* SET or set_config(..., false) */
	TG_TENANT_FUNCTION,			/* the SET clause of a function */
	TG_TENANT_CONFIG			/* configuration: postgresql.conf, ALTER
								 * ROLE/DATABASE ... SET, connection options */
} TgTenantOrigin;

typedef struct TgTenantState
{
	TgTenantOrigin origin;
	const char *value;			/* current value of the tenant setting */
	GucSource	source;			/* for TG_TENANT_CONFIG: where from */
	const char *pinned;			/* tenant the transaction is pinned to, or
								 * NULL */
} TgTenantState;

extern PGDLLIMPORT bool tg_tenant_setting_changed;
extern void tg_tenant_context_init(void);
extern void tg_tenant_setting_define(void);

/*
 * Bring the tenant setting's variable up to date with
 * tenant_guard.tenant_setting: a flag test unless the setting was renamed.
 * The executor and utility hooks call it first thing, so that the variable
 * under a new name has its check hook before a statement can assign it.
 */
static inline void
tg_tenant_setting_sync(void)
{
	if (unlikely(tg_tenant_setting_changed))
		tg_tenant_setting_define();
}
extern void tg_tenant_setting_renamed(const char *newname);
extern bool tg_is_tenant_setting(const char *name);
extern void tg_tenant_state(TgTenantState *state);
extern bool tg_tenant_is_valid(const TgTenantState *state);
extern bool tg_session_tenant_pending(void);
extern PGDLLIMPORT bool tg_tenant_touched;	/* assigned since last checked */
/* did the last transaction that left state behind have a tenant? */
extern PGDLLIMPORT bool tg_tenant_ended_with_xact;
extern void tg_tenant_forget_touch(void);
extern void tg_tenant_xact_end(void);
extern bool tg_session_guard_applies(void);
extern int	tg_session_mode(void);

/* session_state.c */
typedef enum TgLeftoverKind
{
	TG_LEFTOVER_NONE,
	TG_LEFTOVER_TEMP_OBJECT,	/* an object in the temporary schema */
	TG_LEFTOVER_PREPARED,		/* a statement made by SQL PREPARE */
	TG_LEFTOVER_SEARCH_PATH		/* a session-level search_path */
} TgLeftoverKind;

/* Session state an earlier request left, which would act in the next. */
typedef struct TgLeftover
{
	TgLeftoverKind kind;
	char	   *name;			/* object description, statement name or
								 * schema name */
	char	   *search_path;	/* for TG_LEFTOVER_SEARCH_PATH: its value */
	bool		schema_missing; /* ... and the schema does not exist yet */
} TgLeftover;

extern bool tg_session_has_temp_objects(void);
extern bool tg_session_leftover(TgLeftover *leftover);
extern void tg_note_sql_prepare(const char *name);
extern void tg_session_state_xact_end(void);
extern PGDLLIMPORT List *tg_sql_prepared;	/* statements SQL PREPARE made */
extern void tg_check_prepared_statement(const char *name,
										const char *query_string);

/* definer.c */
extern void tg_definer_init(void);
extern Oid	tg_current_definer(void);
extern void tg_definer_xact_end(void);

/* report.c */
extern int	tg_violation_level(void);
extern char *tg_relation_name(Oid relid);
extern char *tg_relation_sql(Oid relid);
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
extern void tg_report_prepared_execution(const char *name, bool as_warning);
extern void tg_report_prepared_parameter(const char *name, int param,
										 Oid typid, bool as_warning);
extern void tg_report_lasting_setting(const char *where, const char *target);

/* executor_guard.c */
typedef struct TgStatementCheck
{
	struct PlannedStmt *pstmt;	/* the plan, or NULL for a utility
								 * statement naming one table */
	bool		tenant_checked; /* tenant context already judged? */
	bool		in_worker;		/* nested in a parallel worker */
	bool		in_referential_action;	/* run during a foreign key's action */
} TgStatementCheck;

extern void tg_executor_guard_init(void);
extern void tg_check_relation(TgStatementCheck *check, Oid relid,
							  bool named_by_query, Oid check_as_user);

/* fk_validation.c */
extern void tg_fk_validation_init(void);

/* utility_guard.c */
extern void tg_utility_guard_init(void);
extern bool tg_planning_plain_explain(void);

/* object_guard.c */
extern void tg_object_guard_init(void);

/* xact_guard.c */
extern PGDLLIMPORT bool tg_xact_dirty;	/* per-transaction state to reset */
extern void tg_xact_guard_init(void);
extern void tg_remember_rls_change(Oid relid);
extern void tg_check_session_tenant(void);

#endif							/* TENANT_GUARD_H */

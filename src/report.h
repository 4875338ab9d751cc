/*-------------------------------------------------------------------------
 *
 * report.h
 *	  A verdict of the rules, and its wording and severity (report.c);
 *	  the other messages of tenant_guard.
 *
 * A verdict says whether a statement, an assignment of the tenant, DDL or
 * a commit may go on, and if not which rule it breaks, about which object,
 * with everything the message needs already looked up: report.c only
 * words it.  The rules decide (rules.c; session_state.c for the state a
 * session keeps; drift_guard.c for what protect() installed; owner_code.c
 * for rule 6); the modules that run them report.  The SQL functions'
 * answers about their call are reported through the functions at the end.
 *
 * src/report.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_REPORT_H
#define TENANT_GUARD_REPORT_H

#include "utils/guc.h"

/* What a verdict refuses (rule numbers as in the README). */
typedef enum TgRefusal
{
	TG_ALLOWED,
	/* rules 1 to 3: the statement's tenant context */
	TG_NO_TENANT,				/* none set */
	TG_TENANT_AT_SESSION_LEVEL, /* set with SET, not SET LOCAL */
	TG_TENANT_OF_FUNCTION,		/* set by a function's SET clause */
	TG_TENANT_OF_CONFIG,		/* offered by configuration, ignored */
	TG_TENANT_CHANGED,			/* not the tenant the transaction acts for */
	TG_TENANT_NOT_SIGNED,		/* not set by set_tenant_token(), with
								 * require_signed_tenant on */
	TG_TOKEN_REFUSED,			/* a token set_tenant_token() refused: never
								 * passed to tg_report(), tg_report_token()
								 * counts and words it */
	/* rules 2 and 3: assignments of the tenant setting */
	TG_SESSION_TENANT,			/* a session-level tenant was assigned */
	TG_SESSION_SET,				/* SET without LOCAL, before it runs */
	TG_TENANT_SWITCH,			/* a second tenant in the transaction */
	TG_WORKER_TENANT_SWITCH,	/* a tenant set in a parallel worker */
	TG_LEFTOVER_AT_TENANT,		/* a tenant set over an earlier request's
								 * session state */
	/* rule 2: the state a session keeps */
	TG_LEFTOVER_AT_COMMIT,
	TG_TEMP_TYPE,
	TG_PREPARED_EXECUTION,
	TG_PREPARED_PARAMETER,
	TG_LASTING_SETTING,
	/* rule 4 */
	TG_NOT_FORCED,
	TG_NOT_FORCED_AT_COMMIT,
	/* rule 5 */
	TG_PARTITION_HOLE,
	TG_CHILD_BEHIND_PARENT,
	TG_BYPASS_VIEW,
	TG_BYPASS_FUNCTION,
	TG_BYPASS_ROLE,
	TG_REFERENTIAL_ACTION,
	TG_ACTION_WITHOUT_TENANT,	/* a foreign key's action, no tenant */
	TG_ACTION_OTHER_TENANTS,	/* ... not bounded to the tenant */
	TG_PARALLEL_WORKER,
	TG_TRUNCATE,
	TG_HOLD_CURSOR,
	TG_HOLD_AFTER_READ,
	TG_TID_LOOKUP,
	/* the drift guard: what protect() installed (drift_guard.c) */
	TG_DRIFT_DISABLE_RLS,
	TG_DRIFT_NO_FORCE_RLS,
	TG_DRIFT_DROP_POLICY,
	TG_DRIFT_ALTER_POLICY,
	TG_DRIFT_RENAME_POLICY,
	TG_DRIFT_DROP_TENANT_COLUMN,
	TG_DRIFT_RETYPE_TENANT_COLUMN,
	TG_DRIFT_CASCADE,			/* dropped as a dependent object */
	TG_DRIFT_DETACH,			/* detaching an unprotected partition */
	TG_DRIFT_OPEN_PARENT,		/* a parent without the isolation */
	TG_DRIFT_DROP_EXTENSION,
	TG_DRIFT_CITUS_POLICY,		/* a policy without the tenant, where Citus
								 * makes it permissive on the shards */
	TG_DRIFT_SHARD_TRIGGER,		/* a trigger on a shard, on a worker */
	/* rule 6: DDL running code over every tenant's rows (owner_code.c) */
	TG_OWNER_CODE,				/* a function not built in, or volatile */
	TG_OWNER_CODE_SEARCH_PATH,	/* ... redirected through the search_path */
	TG_OWNER_ACTION,			/* no function: a rule, a rewrite */
	TG_OWNER_DOMAIN_CHECK,		/* a check of a domain such a table uses */
	TG_OWNER_REPLACE,			/* replacing a function stored code calls */
	TG_OWNER_CAST				/* a cast with such a function */
} TgRefusal;

/* Kinds of session state an earlier request left (TG_LEFTOVER_*). */
typedef enum TgLeftoverKind
{
	TG_LEFTOVER_NONE,
	TG_LEFTOVER_TEMP_OBJECT,	/* an object in the temporary schema */
	TG_LEFTOVER_PREPARED,		/* a statement made by SQL PREPARE */
	TG_LEFTOVER_SEARCH_PATH		/* a session-level search_path */
} TgLeftoverKind;

/*
 * A verdict that allows carries only refusal (TG_ALLOWED) and pin; the
 * rest is filled in when it refuses.
 */
typedef struct TgVerdict
{
	TgRefusal	refusal;		/* TG_ALLOWED, or what is refused */
	bool		as_warning;		/* warn mode: report, and go on */
	const char *rel;			/* the table, as messages name it */
	const char *rel_sql;		/* ... and as SQL names it */
	const char *other;			/* an ancestor, parent, view or function */
	const char *other_sql;		/* ... as SQL names it */
	const char *role;			/* the role the message names */
	const char *name;			/* the tenant setting, a cursor, a prepared
								 * statement, a type, a policy, a column, a
								 * constraint */
	const char *what;			/* rule 6: the object whose code would run,
								 * as "an index" or "type t" */
	const char *type;			/* rule 6: a domain */
	const char *value;			/* a tenant; a search_path */
	const char *pinned;			/* the tenant the transaction acts for */
	const char *database;		/* for TG_TENANT_OF_CONFIG's hint */
	GucSource	source;			/* for TG_TENANT_OF_CONFIG */
	TgLeftoverKind leftover;	/* for TG_LEFTOVER_* */
	int			param;			/* for TG_PREPARED_PARAMETER */
	int64		count;			/* for TG_DRIFT_DROP_EXTENSION */
	bool		is_partition;	/* a partition, not an inheritance child */
	bool		read_view;		/* TG_HOLD_AFTER_READ: what was read is a view
								 * of tenant_guard's statistics */
	bool		schema_missing; /* the search_path's schema does not exist */
	bool		in_transaction_block;	/* for TG_NO_TENANT */
	bool		ended_with_xact;	/* ... the last tenant ended with its
									 * transaction */
	bool		pin;			/* the caller should pin the tenant */
} TgVerdict;

extern void tg_report(const TgVerdict *verdict);
extern void tg_refusal_kind(TgRefusal refusal, int *rule, const char **name,
							const char **sqlstate);
extern void tg_word_withheld_error(ErrorData *edata, const char *command,
								   const char *role);
extern bool tg_report_assignment(const TgVerdict *verdict);
extern const char *tg_tenant_source_description(GucSource source);
extern void tg_report_configured_tenant(const char *where, const char *name);
extern void tg_report_tenant_setting_unusable(const char *name);
extern void tg_report_tenant_setting_foreign(const char *name);
struct TgToken;
extern void tg_report_token(const struct TgToken *token);

/*
 * The answers of the SQL functions about their call: argument errors and
 * notices (report.c).  rel names a table as messages do, rel_sql as SQL
 * does.  The error ones do not return.
 */
/* protect(), unprotect() (protect.c), the registry (registry.c) */
extern void tg_report_no_such_relation(Oid relid);
extern void tg_report_not_a_table(const char *rel);
extern void tg_report_system_catalog(const char *rel);
extern void tg_report_temporary_table(const char *rel);
extern void tg_report_no_tenant_column(const char *column, const char *rel,
									   const char *rel_sql);
extern void tg_report_system_tenant_column(const char *column);
extern void tg_report_tenant_column_type(const char *column, const char *rel,
										 const char *type);
extern void tg_report_other_tenant_column(const char *rel, const char *rel_sql,
										  const char *column);
extern void tg_report_tenant_column_nulls(const char *column, const char *rel);
extern void tg_report_registry_missing(void);
extern void tg_report_protected_through(const char *rel, const char *parent,
										const char *parent_sql);
extern void tg_report_restored(const char *what, const char *rel);
extern void tg_report_created_index(const char *index, const char *column,
									const char *rel);
extern void tg_report_foreign_partition(const char *rel, const char *parent);
extern void tg_report_protected_partition(const char *rel, const char *parent);
extern void tg_report_already_protected(const char *rel);
extern void tg_report_kept_not_null(const char *column, const char *rel);
extern void tg_report_not_protected(const char *rel);
/* fill_tenant() (fill_tenant.c) */
extern void tg_report_fill_tenant_misfired(void);
extern void tg_report_fill_trigger_without_when(const char *trigger,
												const char *rel);
extern void tg_report_fill_without_tenant(const char *column, const char *rel);
/* set_tenant() (set_tenant.c) */
extern void tg_report_null_tenant(void);
extern void tg_report_set_tenant_outside_block(void);
extern void tg_report_empty_tenant(const char *setting);

/* statistics and audit lines (tenant_stats.c, violations.c) */
extern void tg_report_violation_log(int rule, const char *refusal,
									const char *sqlstate, const char *mode,
									const char *role, const char *database,
									const char *object, uint64 queryid,
									const char *tenant, int pid);
extern void tg_report_tenant_context(const char *tenant, const char *set_by,
									 const char *key_id, const char *role,
									 const char *database,
									 const char *application, int pid);
extern void tg_report_stats_not_loaded(void);

#endif							/* TENANT_GUARD_REPORT_H */

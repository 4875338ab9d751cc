/*-------------------------------------------------------------------------
 *
 * tenant_guard.c
 *	  Module entry point: settings and hook installation.
 *
 * tenant_guard turns the silent ways row-level security tenant isolation
 * fails into immediate errors: a statement without a tenant, a tenant set
 * at session level that a pooled connection would hand to the next
 * request, a tenant switch within a transaction, a table whose owner
 * bypasses its policies, and the views, functions, partitions and TRUNCATE
 * that go around them.  The rules themselves live in src/; this file only
 * defines the settings and installs the hooks that call them.
 *
 * The library is meant to be loaded through shared_preload_libraries, so
 * that every session is guarded from its first statement.  It also works
 * when loaded by session_preload_libraries or LOAD; status() says which.
 *
 * tenant_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "src/compat.h"
#include "src/definer.h"
#include "src/drift_guard.h"
#include "src/executor_guard.h"
#include "src/fk_validation.h"
#include "src/object_guard.h"
#include "src/planner_guard.h"
#include "src/rel_cache.h"
#include "src/role_cache.h"
#include "src/session_state.h"
#include "src/tenant_context.h"
#include "src/tenant_guard.h"
#include "src/tenant_stats.h"
#include "src/token.h"
#include "src/utility_guard.h"
#include "src/violations.h"
#include "src/xact_guard.h"
#include "src/xact_state.h"

TG_MODULE_MAGIC;

/* tenant_guard.mode */
int			tg_mode = TG_MODE_ENFORCE;

/* tenant_guard.tenant_setting */
char	   *tg_tenant_setting = NULL;

/* tenant_guard.require_signed_tenant */
bool		tg_require_signed_tenant = false;

TgLoadOrigin tg_load_origin = TG_LOADED_ON_DEMAND;

static const struct config_enum_entry mode_options[] = {
	{"enforce", TG_MODE_ENFORCE, false},
	{"warn", TG_MODE_WARN, false},
	{"off", TG_MODE_OFF, false},
	{NULL, 0, false}
};

extern PGDLLEXPORT void _PG_init(void);

/*
 * Is name a valid custom setting name: two or more identifiers separated by
 * dots, the rule PostgreSQL applies to the settings of extensions and
 * applications?
 */
static bool
is_custom_setting_name(const char *name)
{
	bool		saw_dot = false;
	bool		part_start = true;

	for (const char *p = name; *p; p++)
	{
		if (*p == '.')
		{
			if (part_start)
				return false;	/* empty identifier */
			saw_dot = true;
			part_start = true;
		}
		else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				 *p == '_' || IS_HIGHBIT_SET(*p))
			part_start = false;
		else if (part_start || !((*p >= '0' && *p <= '9') || *p == '$'))
			return false;
	}
	return saw_dot && !part_start;
}

/*
 * Check hook for tenant_guard.tenant_setting: a custom setting name outside
 * tenant_guard's own prefix.
 */
static bool
check_tenant_setting(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !is_custom_setting_name(*newval))
	{
		GUC_check_errdetail("The tenant setting must be a custom setting name: two or more identifiers separated by dots, such as \"app.current_tenant\".");
		return false;
	}
	if (pg_strncasecmp(*newval, "tenant_guard.", strlen("tenant_guard.")) == 0)
	{
		GUC_check_errdetail("Settings under the \"tenant_guard\" prefix are reserved for tenant_guard's own configuration.");
		return false;
	}
	return true;
}

static void
assign_tenant_setting(const char *newval, void *extra)
{
	tg_tenant_setting_renamed(newval);
}

/* Does a configuration parameter name designate the tenant setting? */
bool
tg_is_tenant_setting(const char *name)
{
	return name != NULL && pg_strcasecmp(name, tg_tenant_setting) == 0;
}

/* The variable behind tenant_guard.mode, looked up once. */
static struct config_enum *mode_conf = NULL;

/*
 * tenant_guard.mode as the session has it, whatever the SET clauses of the
 * functions running say.  A function exempted with SET tenant_guard.mode =
 * off turns the guard off for its own statements, not for the transaction
 * it runs in: what must hold of the transaction (no session state from an
 * earlier request when it gets its tenant, no session-level tenant at the
 * end of a statement) still holds when the function is the one that sets
 * the tenant.  The mode outside those functions is the value below the
 * GUC_SAVE entries their SET clauses pushed on the variable's stack.
 */
int
tg_session_mode(void)
{
	int			mode = tg_mode;
	GucStack   *stack;

	if (mode != TG_MODE_OFF)
		return mode;
	if (mode_conf == NULL)
		mode_conf = (struct config_enum *) tg_find_guc("tenant_guard.mode");
	if (mode_conf == NULL)
		return mode;
	for (stack = mode_conf->gen.stack;
		 stack != NULL && stack->state == GUC_SAVE; stack = stack->prev)
		mode = stack->prior.val.enumval;
	return mode;
}

/* Do the rules apply to the session (see above)? */
bool
tg_session_guard_applies(void)
{
	return tg_session_mode() != TG_MODE_OFF &&
		!tg_role_is_exempt(GetOuterUserId());
}

/*
 * The settings of signed tenant tokens (README, "Signed tenant context").
 * The keys are reloadable and superuser-only (PGC_SIGHUP: not settable in
 * a session, nor per role or database), kept out of SHOW ALL and
 * pg_settings, and shown as a count of keys where a role may read them
 * (token_keys.c).  The rest is per database or role, by superusers.
 */
static void
define_token_settings(void)
{
	DefineCustomStringVariable("tenant_guard.token_secret",
							   "HS256 secrets that tenant tokens are verified with.",
							   "Comma-separated entries \"kid:secret\" or \"secret\"; a value starting with / is a file holding the secret.",
							   &tg_token_secret,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   tg_check_token_secret,
							   tg_assign_token_secret,
							   tg_show_token_secret);

	DefineCustomStringVariable("tenant_guard.token_public_key",
							   "Ed25519 public keys (PEM) that EdDSA tenant tokens are verified with.",
							   "Comma-separated entries \"kid:PEM\" or \"PEM\"; a value starting with / is a PEM file.",
							   &tg_token_public_key,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   tg_check_token_public_key,
							   tg_assign_token_public_key,
							   tg_show_token_public_key);

	/* tenant_context.c: the token set_tenant_token() sends Citus's workers */
	DefineCustomStringVariable("tenant_guard.tenant_token",
							   "Signed tenant token of the transaction, which set_tenant_token() sends on to Citus's workers.",
							   "A worker takes the tenant as signed only if this token, verified there, names it.",
							   &tg_tenant_token,
							   "",
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE |
							   GUC_DISALLOW_IN_FILE,
							   tg_tenant_token_check,
							   tg_tenant_token_assign,
							   tg_tenant_token_show);

	DefineCustomStringVariable("tenant_guard.token_tenant_claim",
							   "Claim of a tenant token that names the tenant.",
							   NULL,
							   &tg_token_tenant_claim,
							   "tenant",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("tenant_guard.token_audience",
							   "Audience a tenant token must name in its aud claim; empty for none.",
							   NULL,
							   &tg_token_audience,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("tenant_guard.token_max_age",
							"Longest lifetime of a tenant token, from its iat (or now) to its exp.",
							NULL,
							&tg_token_max_age,
							300,
							1,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("tenant_guard.require_signed_tenant",
							 "Whether only a tenant set by set_tenant_token() is a tenant context.",
							 "When on, a tenant set with SET LOCAL, set_config() or set_tenant() is refused for roles inside the rules.",
							 &tg_require_signed_tenant,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

static void
define_settings(void)
{
	DefineCustomEnumVariable("tenant_guard.mode",
							 "Whether tenant_guard refuses, reports or ignores violations of its rules.",
							 "enforce refuses them with an error; warn reports each as a warning and lets the statement run; off does nothing.",
							 &tg_mode,
							 TG_MODE_ENFORCE,
							 mode_options,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomStringVariable("tenant_guard.tenant_setting",
							   "Name of the setting that holds the tenant of the current transaction.",
							   "Row-level security policies compare tenant columns with this setting.",
							   &tg_tenant_setting,
							   "app.current_tenant",
							   PGC_SIGHUP,
							   0,
							   check_tenant_setting,
							   assign_tenant_setting,
							   NULL);

	define_token_settings();

	/* tenant_stats.c: .stats, .stats_max_tenants, .log_tenant_context */
	tg_stats_define_settings();

	/* violations.c: .log_violations */
	tg_violations_define_settings();

	tg_reserve_guc_prefix("tenant_guard");
}

/*
 * The statistics (tenant_stats.c, violations.c), when the library is
 * preloaded: without shared memory their views say they cannot work.
 */
static void
install_stats(void)
{
	/* tenant_stats.c: shared memory request and startup hooks */
	tg_stats_shmem_install();

	/*
	 * tenant_stats.c: statements nest inside ExecutorFinish (AFTER triggers,
	 * foreign keys) as inside ExecutorRun, whose hook, the guard's, keeps
	 * the depth too
	 */
	tg_stats_prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = tg_stats_ExecutorFinish;

	/* tenant_stats.c: the executor depth a failed savepoint returns to */
	RegisterSubXactCallback(tg_stats_subxact_callback, NULL);
}

/*
 * Module load: define the settings and install every hook and callback.
 * This is the library's table of contents: each line says what a hook is
 * for, and names the file that does it.  When loaded through
 * shared_preload_libraries this runs in the postmaster and every backend
 * inherits the result.
 *
 * Three modules register callbacks later, with the state they look after:
 * the relcache callback of the relation cache, when the cache is created
 * (rel_cache.c); the syscache callbacks that forget a search_path found
 * safe, when one is first remembered (session_state.c); and the transaction
 * callback that checks changed inheritance trees at commit, at the first
 * change (drift_guard.c).
 */
void
_PG_init(void)
{
	if (process_shared_preload_libraries_in_progress)
		tg_load_origin = TG_LOADED_SHARED_PRELOAD;
	else if (tg_loading_at_session_start())
		tg_load_origin = TG_LOADED_SESSION_START;
	else
		tg_load_origin = TG_LOADED_ON_DEMAND;

	/*
	 * tenant_guard.mode, tenant_guard.tenant_setting, and the settings of
	 * signed tenant tokens (token_keys.c, token.c)
	 */
	define_settings();

	/* tenant_context.c: the tenant setting, whose check hook pins a tenant */
	tg_tenant_setting_define();

	/* role_cache.c: forget whether the last role asked bypasses RLS */
	CacheRegisterSyscacheCallback(AUTHOID, tg_role_cache_invalidate,
								  (Datum) 0);

	/* definer.c: forget whether the last function asked is SECURITY DEFINER */
	CacheRegisterSyscacheCallback(PROCOID, tg_proc_cache_invalidate,
								  (Datum) 0);

	/* definer.c: the innermost SECURITY DEFINER function running */
	tg_prev_fmgr_hook = fmgr_hook;
	fmgr_hook = tg_fmgr_hook;

	/* planner_guard.c: a query under RLS without a tenant, before planning */
	tg_prev_planner = planner_hook;
	planner_hook = tg_planner;

	/* executor_guard.c: rules 1, 4 and 5 for every plan, before it runs */
	tg_prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = tg_ExecutorStart;

	/* executor_guard.c: a session-level tenant the statement assigned */
	tg_prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = tg_ExecutorRun;

	/* executor_guard.c: cursors held past COMMIT; a session-level tenant */
	tg_prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = tg_ExecutorEnd;

	/* utility_guard.c: utility statements; the drift guard and rule 6 */
	tg_prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = tg_ProcessUtility;

	/* object_guard.c: TRUNCATE, DROP, currtid2(), objects DDL makes */
	tg_prev_object_access_hook = object_access_hook;
	object_access_hook = tg_object_access;

	/* xact_guard.c: checks at commit, and each transaction's state reset */
	RegisterXactCallback(tg_xact_callback, NULL);

	/* tenant_context.c: a savepoint's end may change where the tenant came from */
	RegisterSubXactCallback(tg_tenant_subxact_callback, NULL);

	/* xact_state.c: what each module resets when a transaction ends */
	tg_on_xact_end(TG_XACT_TENANT, tg_tenant_xact_end);
	tg_on_xact_end(TG_XACT_SESSION_STATE, tg_session_state_xact_end);
	tg_on_xact_end(TG_XACT_DEFINER, tg_definer_xact_end);
	tg_on_xact_end(TG_XACT_REL_CACHE, tg_rel_cache_xact_end);
	tg_on_xact_end(TG_XACT_DRIFT, tg_drift_xact_end);
	tg_on_xact_end(TG_XACT_STATS, tg_stats_xact_end);
	tg_on_xact_abort(tg_stats_xact_abort);

	/* fk_validation.c: foreign keys under RLS validated row by row */
	tg_prev_check_perms = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = tg_check_perms;

	/* The statistics need shared memory: only when preloaded. */
	if (tg_load_origin == TG_LOADED_SHARED_PRELOAD)
		install_stats();
}

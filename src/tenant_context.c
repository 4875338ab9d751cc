/*-------------------------------------------------------------------------
 *
 * tenant_context.c
 *	  The tenant setting: where its value came from, and the one tenant a
 *	  transaction may act for.
 *
 * The tenant setting (tenant_guard.tenant_setting, "app.current_tenant" by
 * default) is an ordinary custom configuration variable that the
 * application sets per request.  tenant_guard defines it as a real string
 * variable so that it owns its check hook: the hook sees every assignment
 * the moment it happens (SET, SET LOCAL, set_config(), a function's SET
 * clause), which is the only way to stop a tenant switch in the middle of a
 * statement, before a single row of the second tenant is read.
 *
 * Two questions are answered here:
 *
 * Where did the current value come from?  GUC keeps, per variable, a stack
 * of the values each transaction or function nesting level replaced, and
 * the state of each entry says how it was replaced (SET, SET LOCAL, a
 * function's SET clause).  Walking that stack tells a transaction-local
 * value (the only kind that counts as a tenant context) from a session-level
 * one, and the variable's source tells configuration values (postgresql.conf,
 * ALTER ROLE/DATABASE ... SET, connection options) apart.
 *
 * Which tenant is the transaction pinned to?  The first non-empty value
 * assigned in a transaction pins it; assigning a different one later in the
 * same transaction is refused by the check hook, even after a rollback to a
 * savepoint.  The pin is dropped when the transaction ends.
 *
 * src/tenant_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "compat.h"
#include "report.h"
#include "role_cache.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "xact_state.h"

/* The variable behind the tenant setting (NULL if it cannot hold one). */
static struct config_string *tenant_conf = NULL;

/* Variables we defined for the tenant setting, under any name it had. */
static List *defined_confs = NIL;

/* Set when tenant_guard.tenant_setting names another variable. */
bool		tg_tenant_setting_changed = true;

/* True while we define a variable, so the check hook stays out of it. */
static bool defining_tenant_setting = false;

/*
 * Tenant the current transaction is pinned to, or NULL.  Short values (all
 * the usual kinds of tenant key) are kept in a static buffer, longer ones in
 * TopTransactionContext.
 */
static char *pinned_tenant = NULL;
static char pinned_buffer[64];

/* Set when the tenant setting was assigned since last checked. */
bool		tg_tenant_touched = false;

/*
 * Did the last transaction that left state behind have a tenant?  Only for
 * messages: a statement refused for want of a tenant may be one of an
 * autocommit session whose tenant ended with an earlier statement.
 */
bool		tg_tenant_ended_with_xact = false;

/*
 * Where the last non-empty tenant offered by configuration came from
 * (PGC_S_DEFAULT if none).  Such a value is kept out of the variable, see
 * below; this remembers it for error messages.
 */
static GucSource configured_source = PGC_S_DEFAULT;

static bool tenant_value_check(char **newval, void **extra,
							   GucSource source);

/*
 * Pin the current transaction to a tenant.  A short value is copied byte by
 * byte into the buffer: a tenant key is a few characters, for which
 * strlen() and memcpy() cost four times as much.
 */
static void
pin_tenant(const char *value)
{
	tg_xact_state_left(TG_XACT_TENANT);
	for (size_t i = 0; i < sizeof(pinned_buffer); i++)
	{
		if ((pinned_buffer[i] = value[i]) == '\0')
		{
			pinned_tenant = pinned_buffer;
			return;
		}
	}
	pinned_tenant = MemoryContextStrdup(TopTransactionContext, value);
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
static int
session_mode(void)
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

/* The mode outside the SET clauses of the functions running. */
int
tg_session_mode(void)
{
	return session_mode();
}

/* Do the rules apply to the session (see above)? */
bool
tg_session_guard_applies(void)
{
	return session_mode() != TG_MODE_OFF &&
		!tg_role_is_exempt(GetOuterUserId());
}

/*
 * A transaction is about to get its tenant: refuse if the session holds
 * state that an earlier request left and that would act in this one
 * (session_state.c says which).  This holds whatever sets the tenant, an
 * exempted function included.  In warn mode, say so and go on.
 */
static pg_noinline bool
check_session_state(const char *value)
{
	TgLeftover	leftover;

	if (!tg_session_guard_applies() || !tg_session_leftover(&leftover))
		return true;
	if (session_mode() == TG_MODE_WARN)
	{
		tg_report_leftover(value, &leftover, true);
		return true;
	}
	tg_report_leftover(value, &leftover, false);
	return false;
}

/*
 * A parallel worker starts with the leader's value, which the leader
 * judged; the only assignment user code can make there is a function's SET
 * clause, and it may not change the tenant.
 */
static bool
check_in_parallel_worker(const char *value)
{
	const char *current = tg_guc_string_value(tenant_conf);

	if (InitializingParallelWorker || strcmp(value, current ? current : "") == 0)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("cannot change tenant in a parallel worker");
	GUC_check_errdetail("A function's SET clause would set \"%s\" to \"%s\" while it runs in a parallel worker.",
						tg_tenant_setting, value);
	GUC_check_errhint("Remove the SET clause, or mark the function PARALLEL RESTRICTED.");
	return false;
}

/*
 * Check hook of the tenant setting.
 *
 * A value from configuration (postgresql.conf, ALTER ROLE/DATABASE ... SET,
 * connection options) never counts as a tenant context.  Were it stored, a
 * RESET, SET LOCAL ... TO DEFAULT or set_config(name, NULL, true) would
 * bring it back in the middle of a transaction without passing through
 * this hook.  So it is replaced by the empty string, and its source is
 * remembered to explain later refusals.
 *
 * An interactive assignment (SET, SET LOCAL, set_config(), a function's
 * SET clause: all PGC_S_SESSION) of a non-empty value pins the transaction
 * to the first tenant it sets, and any other tenant is refused for the rest
 * of the transaction.  Empty values are always accepted: clearing the
 * tenant never widens what a request sees.
 */
static bool
tenant_value_check(char **newval, void **extra, GucSource source)
{
	const char *value = *newval;

	if (source < PGC_S_INTERACTIVE)
	{
		configured_source = PGC_S_DEFAULT;
		if (value != NULL && value[0] != '\0')
		{
			configured_source = source;
			tg_guc_replace_string(newval, "");
		}
		return true;
	}
	if (source != PGC_S_SESSION || value == NULL || value[0] == '\0' ||
		defining_tenant_setting || !IsTransactionState())
		return true;
	if (IsParallelWorker())
		return check_in_parallel_worker(value);

	tg_tenant_touched = true;
	tg_xact_state_left(TG_XACT_TENANT);

	if (pinned_tenant == NULL)
	{
		/* the common session has nothing left, whoever's rules apply */
		if (!tg_session_plainly_clean() && !check_session_state(value))
			return false;
		pin_tenant(value);
		return true;
	}
	if (strcmp(pinned_tenant, value) == 0 || !tg_guard_applies())
		return true;

	if (tg_mode == TG_MODE_WARN)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("tenant changed from \"%s\" to \"%s\" within a transaction",
						pinned_tenant, value),
				 errdetail("tenant_guard.mode is \"warn\"; in \"enforce\" mode the change would be refused.")));
		return true;
	}

	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("cannot change tenant from \"%s\" to \"%s\" within a transaction",
					 pinned_tenant, value);
	GUC_check_errdetail("The transaction already acts for tenant \"%s\"; a transaction acts for one tenant only.",
						pinned_tenant);
	GUC_check_errhint("End the transaction with COMMIT or ROLLBACK and set the other tenant in a new one.");
	return false;
}

/*
 * Make tenant_conf point at the variable named by
 * tenant_guard.tenant_setting, defining it if needed.
 *
 * Normally we define the variable ourselves (replacing any placeholder the
 * application created by setting it before the library was loaded) so that
 * our check hook sees every assignment.  If another module already defined
 * a real string variable of that name we use it as it is: every rule still
 * holds when a statement runs, but a tenant switch is caught at the next
 * statement rather than at once.
 *
 * When the setting is renamed at run time, the variable we defined for the
 * old name cannot be undefined; it keeps existing as an ordinary variable,
 * and we detach our check hook from it (it is our own definition, so the
 * hook pointer is ours to change) and attach it again if the name comes
 * back.
 */
void
tg_tenant_setting_define(void)
{
	struct config_generic *gconf;

	if (tenant_conf != NULL &&
		tg_guc_string_check_hook(tenant_conf) == tenant_value_check)
		tg_guc_set_string_check_hook(tenant_conf, NULL);
	tenant_conf = NULL;
	pinned_tenant = NULL;
	tg_tenant_setting_changed = false;

	gconf = tg_find_guc(tg_tenant_setting);
	if (gconf == NULL || (gconf->flags & GUC_CUSTOM_PLACEHOLDER) != 0)
	{
		char	  **value_addr = MemoryContextAllocZero(TopMemoryContext,
														sizeof(char *));
		MemoryContext oldcxt;

		defining_tenant_setting = true;
		PG_TRY();
		{
			DefineCustomStringVariable(tg_tenant_setting,
									   "Tenant the current transaction acts for.",
									   "tenant_guard counts it only when it was set in the current transaction with SET LOCAL or set_config(..., true).",
									   value_addr,
									   "",
									   PGC_USERSET,
									   0,
									   tenant_value_check,
									   NULL,
									   NULL);
		}
		PG_FINALLY();
		{
			defining_tenant_setting = false;
		}
		PG_END_TRY();

		gconf = tg_find_guc(tg_tenant_setting);
		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		defined_confs = lappend(defined_confs, gconf);
		MemoryContextSwitchTo(oldcxt);
	}

	if (gconf == NULL || gconf->vartype != PGC_STRING)
	{
		/* every statement on a row-level security table will be refused */
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration parameter \"%s\" cannot hold a tenant",
						tg_tenant_setting),
				 errhint("Set tenant_guard.tenant_setting to the name of a custom string setting such as \"app.current_tenant\".")));
		return;
	}

	tenant_conf = (struct config_string *) gconf;
	if (list_member_ptr(defined_confs, gconf))
		tg_guc_set_string_check_hook(tenant_conf, tenant_value_check);
	else
		ereport(LOG,
				(errmsg("tenant_guard uses configuration parameter \"%s\" as defined by another module",
						tg_tenant_setting),
				 errdetail("A change of tenant within a transaction is refused at the next statement rather than at once.")));
}

/*
 * Called by the assign hook of tenant_guard.tenant_setting.  Defining a
 * variable from inside the GUC machinery is not safe, so this only notes
 * that the next sync must do it.
 */
void
tg_tenant_setting_renamed(const char *newname)
{
	if (tenant_conf == NULL || newname == NULL ||
		pg_strcasecmp(tg_guc_name(tenant_conf), newname) != 0)
		tg_tenant_setting_changed = true;
}


/* Does a configuration parameter name designate the tenant setting? */
bool
tg_is_tenant_setting(const char *name)
{
	return name != NULL && pg_strcasecmp(name, tg_tenant_setting) == 0;
}

static inline const char *
nonnull(const char *s)
{
	return s ? s : "";
}

/*
 * Describe the tenant setting as it stands: its value, where that value
 * came from, and the tenant the transaction is pinned to.
 *
 * The GUC stack is walked from the innermost nesting level outwards.  An
 * entry records how the value at its level was last assigned: SET LOCAL
 * (GUC_LOCAL, or GUC_SET_LOCAL after a SET) means a transaction-local
 * value; SET means a session-level one.  Either counts only if the value
 * itself was assigned interactively (source PGC_S_SESSION); RESET and SET
 * ... TO DEFAULT assign the configured value with its configuration
 * source.  A GUC_SAVE entry belongs to a function with a SET clause: if the
 * function kept the value it found, the origin is that of the value outside
 * the call, so we keep walking; otherwise the value is the function's own.
 * Below the last entry the value predates the transaction, and its source
 * says whether a session SET or the configuration put it there.
 */
void
tg_tenant_state(TgTenantState *state)
{
	const char *value;
	GucSource	source;
	GucStack   *stack;

	tg_tenant_setting_sync();

	state->pinned = pinned_tenant;
	state->value = tenant_conf ? nonnull(tg_guc_string_value(tenant_conf)) : "";
	value = state->value;
	if (value[0] == '\0')
	{
		/* configuration may have offered a tenant, which was ignored */
		state->source = configured_source;
		state->origin = configured_source == PGC_S_DEFAULT ?
			TG_TENANT_NONE : TG_TENANT_CONFIG;
		return;
	}

	source = tg_guc_source(tenant_conf);
	for (stack = tg_guc_stack(tenant_conf); stack != NULL; stack = stack->prev)
	{
		if (stack->state == GUC_SAVE)
		{
			if (strcmp(value, nonnull(stack->prior.val.stringval)) != 0)
			{
				state->source = source;
				state->origin = TG_TENANT_FUNCTION;
				return;
			}
			value = nonnull(stack->prior.val.stringval);
			source = stack->source;
			continue;
		}
		state->source = source;
		if (source != PGC_S_SESSION)
			state->origin = TG_TENANT_CONFIG;
		else if (stack->state == GUC_SET)
			state->origin = TG_TENANT_SESSION;
		else
			state->origin = TG_TENANT_LOCAL;
		return;
	}

	state->source = source;
	state->origin = (source == PGC_S_SESSION) ? TG_TENANT_SESSION
		: TG_TENANT_CONFIG;
}

/*
 * Does the state amount to a tenant context: a non-empty value set in this
 * transaction with SET LOCAL or set_config(..., true), and the tenant the
 * transaction is pinned to?
 */
bool
tg_tenant_is_valid(const TgTenantState *state)
{
	if (state->origin != TG_TENANT_LOCAL)
		return false;
	if (state->pinned == NULL)
	{
		/*
		 * Set while the check hook could not see it: while we were defining
		 * the variable, or when another module defined it.  It is a SET
		 * LOCAL of this transaction all the same; pin it now, unless the
		 * check hook would have refused it for the session state an
		 * earlier request left, in which case it is no tenant context.
		 */
		TgLeftover	leftover;

		if (tg_mode == TG_MODE_ENFORCE && tg_guard_applies() &&
			tg_session_leftover(&leftover))
			return false;
		pin_tenant(state->value);
		return true;
	}
	return strcmp(state->pinned, state->value) == 0;
}

/*
 * Has this transaction made a session-level assignment of a non-empty
 * tenant, one that would survive COMMIT?  That is a GUC_SET entry whose
 * level's value came from a session SET, or the SET value a later SET LOCAL
 * masked (GUC_SET_LOCAL).  RESET and SET ... TO DEFAULT restore the
 * configured value with its configuration source, which does not count.
 */
bool
tg_session_tenant_pending(void)
{
	const char *value;
	GucSource	source;
	GucStack   *stack;

	tg_tenant_setting_sync();
	if (tenant_conf == NULL)
		return false;

	value = nonnull(tg_guc_string_value(tenant_conf));
	source = tg_guc_source(tenant_conf);
	for (stack = tg_guc_stack(tenant_conf); stack != NULL; stack = stack->prev)
	{
		if (stack->state == GUC_SET && source == PGC_S_SESSION &&
			value[0] != '\0')
			return true;
		if (stack->state == GUC_SET_LOCAL &&
			nonnull(stack->masked.val.stringval)[0] != '\0')
			return true;
		value = nonnull(stack->prior.val.stringval);
		source = stack->source;
	}
	return false;
}

void
tg_tenant_forget_touch(void)
{
	tg_tenant_touched = false;
}

/* Transaction end: the next transaction starts with no tenant. */
void
tg_tenant_xact_end(void)
{
	tg_tenant_ended_with_xact = (pinned_tenant != NULL);
	pinned_tenant = NULL;
	tg_tenant_touched = false;
}

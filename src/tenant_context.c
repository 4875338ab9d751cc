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
 * Whether a value may be assigned, and whether the state amounts to a
 * tenant context, is decided in rules.c; this file only describes the
 * state, keeps the pin, and pins when a verdict says so.
 *
 * src/tenant_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "compat.h"
#include "report.h"
#include "rules.h"
#include "set_local.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "tenant_stats.h"
#include "token.h"
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

/*
 * Set when an assignment left a session-level value (SET, set_config(...,
 * false)) since the last check; session_assigned stays set for the rest of
 * the transaction.
 */
bool		tg_tenant_touched = false;
static bool session_assigned = false;

/*
 * The generation of the tenant setting's value: bumped by its assign hook,
 * which PostgreSQL calls whenever the value changes (an assignment, RESET,
 * the end of a function with a SET clause, a rollback to a savepoint, the
 * end of the transaction), and when the variable is redefined.
 * tg_tenant_valid_generation is the generation at which the value was last
 * found to be a tenant context whose validity cannot change until the
 * value does (tg_tenant_known_valid()).
 */
uint64		tg_tenant_generation = 1;
uint64		tg_tenant_valid_generation = 0;

/*
 * The value the check hook last passed as an interactive assignment of a
 * tenant in this transaction (NULL if the last check was of anything
 * else): the assign hook that follows, for the same pointer, finishes the
 * judgement.
 */
static const char *checked_value = NULL;
static bool checked_is_pinned = false;	/* and it is the pinned tenant */
static bool checked_token_signed = false;	/* tenant_token names it */

/*
 * tenant_guard.tenant_token: a signed tenant token, set with SET LOCAL by
 * set_tenant_token() where Citus is installed, which sends it on to the
 * workers with the tenant.  A worker takes the tenant as signed only if
 * this token, verified there, names it (token_signs()), so that a tenant
 * the application's role sets on the workers by other means (SQL that
 * Citus runs there) is not.  It counts in the transaction that assigned
 * it only, by an assignment its check hook saw: a session-level value an
 * earlier request left, or one a rollback restores, signs nothing.  SHOW
 * prints whether it is set, not the token.
 */
char	   *tg_tenant_token = NULL;
static const char *tenant_token_checked = NULL;
static LocalTransactionId tenant_token_lxid = InvalidLocalTransactionId;
static TgSignedTenant token_signed;	/* what token_signs() verified */

/*
 * The signed tenant (set_tenant_token(), set_tenant.c): the key id that
 * verified it and the token's claims, in TopTransactionContext.  It is
 * signed only while the tenant setting holds the value set_tenant_token()
 * assigned: the setting's assign hook, which PostgreSQL calls for every
 * change of the value (SET, SET LOCAL, RESET, set_config(), a function's
 * SET clause on entry and exit, and the restoring of an older value by
 * ROLLBACK TO SAVEPOINT or at the end of a function), clears it unless the
 * change is set_tenant_token()'s own.  So injected SQL that runs after a
 * valid token cannot keep it while naming a tenant of its own, even the
 * same one; a value restored by a rollback is unsigned even when it was
 * the token's, which errs on the side of refusing.
 */
bool		tg_tenant_is_signed = false;

/* tg_tenant_note_read() (tenant_context.h) */
Oid			tg_tenant_read_relid = InvalidOid;
LocalTransactionId tg_tenant_read_lxid = InvalidLocalTransactionId;
static bool assigning_signed = false;
static TgSignedTenant signed_tenant;

/*
 * Did the last transaction that left state behind have a tenant?  Only for
 * messages: a statement refused for want of a tenant may be one of an
 * autocommit session whose tenant ended with an earlier statement.
 */
static bool tenant_ended_with_xact = false;

/*
 * Where the last non-empty tenant offered by configuration came from
 * (PGC_S_DEFAULT if none).  Such a value is kept out of the variable, see
 * below; this remembers it for error messages.
 */
static GucSource configured_source = PGC_S_DEFAULT;

static bool tenant_value_check(char **newval, void **extra,
							   GucSource source);
static void tenant_value_assign(const char *newval, void *extra);

/*
 * Pin the current transaction to a tenant.  A short value is copied byte by
 * byte into the buffer: a tenant key is a few characters, for which
 * strlen() and memcpy() cost four times as much.  Every way of setting a
 * tenant passes here: the statistics and the tenant_context audit line
 * (tenant_stats.c) learn of it here, at the cost of a flag test when off.
 */
static void
pin_tenant(const char *value)
{
	tg_xact_state_left(TG_XACT_TENANT);
	tg_stats_note_pin(value);
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

/*
 * The check hook's judgement of an assignment in a parallel worker, which
 * may not change the tenant its leader set.
 */
static pg_noinline bool
check_worker_assignment(const char *value)
{
	TgVerdict	verdict;

	if (tg_rule_worker_assignment(value, tg_guc_string_value(tenant_conf),
								  &verdict))
		return true;
	return tg_report_assignment(&verdict);
}

/*
 * The check hook's judgement of any assignment but the first of a plainly
 * clean session (rules.c): pin the first tenant, refuse another.  Out of
 * line, so that the common assignment needs no verdict on the stack.
 * *is_pinned tells whether the value, if allowed, is the pinned tenant (in
 * warn mode another may be allowed with a warning).
 */
static pg_noinline bool
check_assignment(const char *value, bool *is_pinned)
{
	TgVerdict	verdict;

	*is_pinned = false;
	if (!tg_rule_tenant_assignment(value, pinned_tenant, &verdict) &&
		!tg_report_assignment(&verdict))
		return false;
	if (verdict.pin)
		pin_tenant(value);
	*is_pinned = pinned_tenant != NULL && strcmp(pinned_tenant, value) == 0;
	return true;
}

/*
 * What a verified token signs, copied into TopTransactionContext, where
 * the signed tenant keeps it until the transaction ends.
 */
void
tg_tenant_signed_from_token(const TgToken *token, TgSignedTenant *signed_by)
{
	TgTokenClaim *claims;

	claims = MemoryContextAlloc(TopTransactionContext,
								Max(token->nclaims, 1) * sizeof(TgTokenClaim));
	for (int i = 0; i < token->nclaims; i++)
	{
		claims[i].name = MemoryContextStrdup(TopTransactionContext,
											 token->claims[i].name);
		claims[i].value = token->claims[i].value == NULL ? NULL :
			MemoryContextStrdup(TopTransactionContext,
								token->claims[i].value);
	}
	signed_by->tenant = MemoryContextStrdup(TopTransactionContext,
											token->tenant);
	signed_by->kid = token->kid ?
		MemoryContextStrdup(TopTransactionContext, token->kid) : NULL;
	signed_by->alg = strcmp(token->alg, "HS256") == 0 ? "HS256" : "EdDSA";
	signed_by->nclaims = token->nclaims;
	signed_by->claims = claims;
}

/*
 * Does tenant_guard.tenant_token, set in this transaction, verify here and
 * name the tenant value?  Then token_signed holds what it signs.
 */
static bool
token_signs(const char *value)
{
	TgToken		token;

	if (tg_tenant_token == NULL || tg_tenant_token[0] == '\0' ||
		tenant_token_lxid != tg_local_xact_id())
		return false;
	memset(&token, 0, sizeof(token));
	tg_token_verify(tg_tenant_token, strlen(tg_tenant_token), &token);
	if (token.failure != TG_TOKEN_VALID || token.tenant == NULL ||
		strcmp(token.tenant, value) != 0)
		return false;
	tg_tenant_signed_from_token(&token, &token_signed);
	return true;
}

/*
 * Check hook of tenant_guard.tenant_token: note the value of an assignment
 * (GUC calls it for those, not for the values it restores).  It rejects
 * nothing: its error would quote the token.
 */
bool
tg_tenant_token_check(char **newval, void **extra, GucSource source)
{
	tenant_token_checked = *newval;
	return true;
}

/*
 * Assign hook of tenant_guard.tenant_token: the transaction of an
 * assignment the check hook saw; none for a restored value (the end of a
 * transaction or savepoint, RESET).
 */
void
tg_tenant_token_assign(const char *newval, void *extra)
{
	bool		assigned = newval != NULL && newval == tenant_token_checked &&
		newval[0] != '\0' && IsTransactionState();

	tenant_token_checked = NULL;
	tenant_token_lxid = assigned ? tg_local_xact_id() :
		InvalidLocalTransactionId;
}

/* Show hook of tenant_guard.tenant_token: never the token itself. */
const char *
tg_tenant_token_show(void)
{
	return (tg_tenant_token != NULL && tg_tenant_token[0] != '\0') ?
		"(set)" : "";
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
 * of the transaction; the first is refused while the session holds state
 * an earlier request left (rules.c decides, report.c words the refusal, in
 * warn mode as a WARNING).  In a parallel worker, which starts with the
 * leader's value, no other may be set.  Empty values are always accepted:
 * clearing the tenant never widens what a request sees.
 */
static bool
tenant_value_check(char **newval, void **extra, GucSource source)
{
	const char *value = *newval;

	checked_value = NULL;
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
		return check_worker_assignment(value);

	/* the first tenant of a transaction in a plainly clean session */
	if (likely(tg_rule_first_tenant_plain(pinned_tenant)))
	{
		pin_tenant(value);
		checked_is_pinned = true;
	}
	else if (!check_assignment(value, &checked_is_pinned))
		return false;
	checked_token_signed = !assigning_signed && token_signs(value);
	checked_value = *newval;
	return true;
}

/*
 * Assign hook of the tenant setting: every change of the value passes
 * here, also those that bypass the check hook (RESET, the end of a
 * function with a SET clause, a rollback), so it starts a new generation.
 *
 * After an assignment the check hook passed, GUC has already pushed the
 * stack entry that says how it was made.  A session-level one (the entry's
 * state GUC_SET, or GUC_SET_LOCAL when SET LOCAL masks a SET) marks the
 * tenant touched, so that the end of the statement refuses it, and so does
 * any assignment after one in the same transaction (a session-level tenant
 * that a role outside the rules assigned, or warn mode let pass, is still
 * there beneath a SET LOCAL in a savepoint); a SET LOCAL
 * of the pinned tenant, in a transaction that made no session-level
 * assignment, is a valid tenant context until the value changes again.  Any
 * other assignment leaves the judgement to the next statement.  The check
 * hook passed the value interactively (PGC_S_SESSION), which becomes its
 * source as soon as this hook returns.
 *
 * Every change but set_tenant_token()'s own also ends the signed tenant
 * (see above).
 */
static void
tenant_value_assign(const char *newval, void *extra)
{
	const char *checked = checked_value;
	bool		by_token = checked_token_signed && checked != NULL &&
		checked == newval;
	GucStack   *top;

	checked_value = NULL;
	checked_token_signed = false;
	tg_tenant_generation++;
	tg_tenant_is_signed = (assigning_signed || by_token) && newval != NULL &&
		newval[0] != '\0';
	if (by_token)
	{
		signed_tenant = token_signed;
		tg_xact_state_left(TG_XACT_TENANT);
	}
	if (checked == NULL || checked != newval || tenant_conf == NULL ||
		(top = tg_guc_stack(tenant_conf)) == NULL)
		return;

	if (top->state == GUC_SET || top->state == GUC_SET_LOCAL ||
		session_assigned)
	{
		tg_tenant_touched = true;
		session_assigned = true;
		tg_xact_state_left(TG_XACT_TENANT);
	}
	else if (top->state == GUC_LOCAL && checked_is_pinned &&
			 !session_assigned)
		tg_tenant_valid_generation = tg_tenant_generation;
}

/*
 * Assign value as the tenant with a SET LOCAL statement (set_local.c),
 * which the utility hooks of other libraries see as a client's (Citus sends
 * it on to its workers), and, when signed is given, mark it signed by that
 * key and claims: set_tenant() and set_tenant_token() (set_tenant.c).  The
 * check hook of the setting judges the assignment as it judges any SET
 * LOCAL; the mark is set only if
 * the value reached the variable through our own definition of it, whose
 * assign hook sees every later change.
 */
void
tg_tenant_assign(const char *value, const TgSignedTenant *signed_by)
{
	tg_tenant_setting_sync();
	assigning_signed = (signed_by != NULL && tenant_conf != NULL &&
						list_member_ptr(defined_confs, tenant_conf));
	PG_TRY();
	{
		tg_set_local(tg_tenant_setting, value);
	}
	PG_FINALLY();
	{
		assigning_signed = false;
	}
	PG_END_TRY();
	if (signed_by != NULL && tg_tenant_is_signed)
	{
		tg_xact_state_left(TG_XACT_TENANT);
		signed_tenant.tenant = MemoryContextStrdup(TopTransactionContext,
												   signed_by->tenant);
		signed_tenant.kid = signed_by->kid ?
			MemoryContextStrdup(TopTransactionContext, signed_by->kid) : NULL;
		signed_tenant.alg = signed_by->alg;
		signed_tenant.nclaims = signed_by->nclaims;
		signed_tenant.claims = signed_by->claims;
	}
}

/*
 * The signed tenant of the transaction, if the tenant setting still holds
 * the value set_tenant_token() assigned it; else NULL.
 */
const TgSignedTenant *
tg_tenant_signed(void)
{
	return tg_tenant_is_signed ? &signed_tenant : NULL;
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
	{
		tg_guc_set_string_check_hook(tenant_conf, NULL);
		tg_guc_set_string_assign_hook(tenant_conf, NULL);
	}
	tenant_conf = NULL;
	tg_tenant_generation++;
	pinned_tenant = NULL;
	tg_tenant_is_signed = false;
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
									   tenant_value_assign,
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
		tg_report_tenant_setting_unusable(tg_tenant_setting);
		return;
	}

	tenant_conf = (struct config_string *) gconf;
	if (list_member_ptr(defined_confs, gconf))
	{
		tg_guc_set_string_check_hook(tenant_conf, tenant_value_check);
		tg_guc_set_string_assign_hook(tenant_conf, tenant_value_assign);
	}
	else
		tg_report_tenant_setting_foreign(tg_tenant_setting);
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


static inline const char *
nonnull(const char *s)
{
	return s ? s : "";
}

/*
 * Describe the tenant setting as it stands: its value, where that value
 * came from, and the tenant the transaction is pinned to; whether a
 * session-level tenant is pending is left to the caller to ask
 * (tg_session_tenant_pending()), which may know it need not.
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
	state->is_signed = tg_tenant_is_signed;
	state->ended_with_xact = tenant_ended_with_xact;
	state->session_pending = false;
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
 * Pin the transaction to the tenant a verdict found valid but not pinned
 * (rules.c): one set while the check hook could not see it, while we were
 * defining the variable or when another module defined it.  It is a SET
 * LOCAL of this transaction all the same.
 */
void
tg_tenant_pin(const TgTenantState *state, const TgVerdict *verdict)
{
	if (verdict->pin)
		pin_tenant(state->value);
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

/*
 * Subtransaction callback.  When a savepoint or an exception block ends,
 * GUC folds the tenant setting's stack entries of that level into the
 * level below without calling the assign hook: a SET LOCAL made in an
 * exception block inside a function with a SET clause becomes that
 * clause's value.  Where the value came from may change though the value
 * does not, so a new generation starts.
 */
void
tg_tenant_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB || event == SUBXACT_EVENT_ABORT_SUB)
		tg_tenant_generation++;
}

/*
 * Might a session-level tenant be pending: has the transaction made a
 * session-level assignment?  Only then can tg_session_tenant_pending()
 * find one.
 */
bool
tg_tenant_session_assigned(void)
{
	return session_assigned;
}

/*
 * A statement found the tenant state a valid tenant context (rules.c): note
 * it, so that the transaction's next statements need not judge it again
 * while the value stays as it is, if its validity depends on nothing else
 * (a SET LOCAL of the pinned tenant, no session-level assignment).
 */
void
tg_tenant_note_valid(const TgTenantState *state)
{
	if (state->origin == TG_TENANT_LOCAL && !session_assigned &&
		!tg_tenant_touched && pinned_tenant != NULL &&
		strcmp(pinned_tenant, state->value) == 0)
		tg_tenant_valid_generation = tg_tenant_generation;
}

/* Transaction end: the next transaction starts with no tenant. */
void
tg_tenant_xact_end(void)
{
	tenant_ended_with_xact = (pinned_tenant != NULL);
	pinned_tenant = NULL;
	tg_tenant_is_signed = false;
	memset(&signed_tenant, 0, sizeof(signed_tenant));
	tg_tenant_touched = false;
	session_assigned = false;
	tg_tenant_generation++;
}

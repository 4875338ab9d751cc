/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  The decisions of rules 1 to 5, as verdicts.
 *
 * Every function here answers one question the hooks ask (may this
 * statement read this table, with this tenant state?  may the tenant be
 * set to this value?  may this table be truncated?) and returns the answer
 * as a verdict (report.h): allowed, or which rule is broken and about which
 * object, with the names and facts the message needs already looked up.
 * Nothing here reports, and nothing changes the state of the transaction
 * or the session (the caches it reads through aside): the hooks report a
 * verdict with tg_report() (report.c), and pin the tenant themselves when a
 * verdict asks for it (tenant_context.c).  So the same decision serves the
 * executor, the planner, utility statements, the object access hook, the
 * commit and status(), and a verdict can be computed without acting on it.
 *
 * Some questions are settled on the hooks' fast paths by a test cheap
 * enough to pay on every call (currtid2()'s OID, a holdable portal, a SET
 * without LOCAL): for those, the function here gives the rule's answer
 * once the case is found, which is always a refusal.
 *
 * The transaction's tenant state is the caller's to gather
 * (tg_tenant_state(), tenant_context.c), including whether to ask if a
 * session-level tenant is pending, which costs a walk of the setting's
 * stack.  The state a session keeps from earlier requests is decided in
 * session_state.c; rule 6 in owner_code.c and type_code.c; the drift guard
 * in drift_guard.c.
 *
 * src/rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "compat.h"
#include "definer.h"
#include "rel_cache.h"
#include "report.h"
#include "role_cache.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_guard.h"

/* A verdict about nothing yet: allowed, with the mode's severity. */
static void
verdict_init(TgVerdict *verdict)
{
	memset(verdict, 0, sizeof(TgVerdict));
	verdict->as_warning = (tg_mode == TG_MODE_WARN);
}

/*
 * An allowing verdict.  Its callers read no more than refusal and pin, so
 * the rest is not cleared: this is the path every statement takes.
 */
static inline bool
allow(TgVerdict *verdict, bool pin)
{
	verdict->refusal = TG_ALLOWED;
	verdict->pin = pin;
	return true;
}

/* A refusal about a table. */
static bool
refuse_about(TgVerdict *verdict, TgRefusal refusal, Oid relid)
{
	verdict->refusal = refusal;
	verdict->rel = tg_relation_name(relid);
	return false;
}

/* Rule 2: a session-level tenant was assigned. */
static bool
refuse_session_tenant(TgVerdict *verdict)
{
	verdict->refusal = TG_SESSION_TENANT;
	verdict->name = tg_tenant_setting;
	return false;
}

/*
 * Is the tenant state a tenant context: a non-empty value set in this
 * transaction with SET LOCAL or set_config(..., true), and the tenant the
 * transaction is pinned to?  A value set while the check hook could not see
 * it (while the variable was being defined, or when another module defined
 * it) has no pin yet: it counts unless the check hook would have refused it
 * for the session state an earlier request left; the caller then pins it
 * (verdict->pin).
 */
static bool
tenant_is_valid(const TgTenantState *state, bool *pin)
{
	TgLeftover	leftover;

	*pin = false;
	if (state->origin != TG_TENANT_LOCAL)
		return false;
	if (state->pinned != NULL)
		return strcmp(state->pinned, state->value) == 0;
	if (tg_mode == TG_MODE_ENFORCE && tg_guard_applies() &&
		tg_session_leftover(&leftover))
		return false;
	*pin = true;
	return true;
}

/*
 * Rules 1 to 3 for a statement that reaches table relid (InvalidOid if the
 * planner found none to name): the transaction must have a valid tenant
 * context, and must not have assigned a session-level tenant.  With
 * tenant_guard.require_signed_tenant on, a tenant context must be signed
 * too: set by set_tenant_token() and not assigned since.  The verdict
 * asks for the tenant to be pinned whenever it is valid and not pinned
 * yet, even when a pending session-level tenant refuses the statement.
 */
bool
tg_rule_tenant_context(const TgTenantState *state, Oid relid,
					   TgVerdict *verdict)
{
	bool		valid;
	bool		pin;

	valid = tenant_is_valid(state, &pin);
	if (likely(valid && !state->session_pending &&
			   (state->is_signed || !tg_require_signed_tenant)))
		return allow(verdict, pin);
	verdict_init(verdict);
	verdict->pin = pin;
	if (state->session_pending)
		return refuse_session_tenant(verdict);
	if (valid && !state->is_signed && tg_require_signed_tenant)
	{
		verdict->name = tg_tenant_setting;
		verdict->value = state->value;
		return refuse_about(verdict, TG_TENANT_NOT_SIGNED, relid);
	}
	if (valid)
		return true;

	verdict->name = tg_tenant_setting;
	verdict->value = state->value;
	verdict->pinned = state->pinned ? state->pinned : "";
	switch (state->origin)
	{
		case TG_TENANT_NONE:
			verdict->in_transaction_block = IsTransactionBlock();
			verdict->ended_with_xact = state->ended_with_xact;
			return refuse_about(verdict, TG_NO_TENANT, relid);
		case TG_TENANT_SESSION:
			return refuse_about(verdict, TG_TENANT_AT_SESSION_LEVEL, relid);
		case TG_TENANT_FUNCTION:
			return refuse_about(verdict, TG_TENANT_OF_FUNCTION, relid);
		case TG_TENANT_CONFIG:
			verdict->source = state->source;
			verdict->role = GetUserNameFromId(GetSessionUserId(), false);
			verdict->database = get_database_name(MyDatabaseId);
			return refuse_about(verdict, TG_TENANT_OF_CONFIG, relid);
		case TG_TENANT_LOCAL:

			/*
			 * A SET LOCAL value other than the pinned tenant: in warn mode
			 * after a reported switch, or when another module defined the
			 * tenant setting and its assignments escape our check hook.
			 */
			return refuse_about(verdict, TG_TENANT_CHANGED, relid);
	}
	return true;				/* keep compiler quiet */
}

/*
 * Rule 2: no session-level tenant may be assigned (set_config(..., false)
 * and the like), whatever the statement reads.
 */
bool
tg_rule_no_session_tenant(bool session_pending, TgVerdict *verdict)
{
	if (likely(!session_pending))
		return allow(verdict, false);
	verdict_init(verdict);
	return refuse_session_tenant(verdict);
}

/* Rule 2: SET of the tenant setting without LOCAL, before it runs. */
bool
tg_rule_session_set(const char *name, TgVerdict *verdict)
{
	verdict_init(verdict);
	verdict->refusal = TG_SESSION_SET;
	verdict->name = name;
	return false;
}

/*
 * Rules 2 and 3 for a non-empty tenant assigned interactively in a
 * transaction (the tenant setting's check hook).  The first tenant of the
 * transaction (pinned NULL) may not be set while the session holds state
 * an earlier request left, whatever sets it, an exempted function
 * included; a later one must be the same tenant.  A verdict to pin comes
 * with the first tenant allowed.
 */
bool
tg_rule_tenant_assignment(const char *value, const char *pinned,
						  TgVerdict *verdict)
{
	TgLeftover	leftover;

	/* the common session has nothing left, whoever's rules apply */
	if (tg_rule_first_tenant_plain(pinned))
		return allow(verdict, true);
	verdict_init(verdict);
	verdict->value = value;
	verdict->name = tg_tenant_setting;
	if (pinned == NULL)
	{
		verdict->pin = true;
		if (!tg_session_guard_applies() || !tg_session_leftover(&leftover))
			return true;
		verdict->refusal = TG_LEFTOVER_AT_TENANT;
		verdict->as_warning = (tg_session_mode() == TG_MODE_WARN);
		verdict->leftover = leftover.kind;
		verdict->other = leftover.name;
		verdict->other_sql = leftover.search_path;
		verdict->schema_missing = leftover.schema_missing;
		verdict->role = tg_role_name(GetOuterUserId());
		return false;
	}
	if (strcmp(pinned, value) == 0 || !tg_guard_applies())
		return true;
	verdict->refusal = TG_TENANT_SWITCH;
	verdict->pinned = pinned;
	return false;
}

/*
 * A parallel worker starts with the leader's value (current), which the
 * leader judged; the only assignment user code can make there is a
 * function's SET clause, and it may not change the tenant.
 */
bool
tg_rule_worker_assignment(const char *value, const char *current,
						  TgVerdict *verdict)
{
	verdict_init(verdict);
	if (InitializingParallelWorker ||
		strcmp(value, current ? current : "") == 0)
		return true;
	verdict->refusal = TG_WORKER_TENANT_SWITCH;
	verdict->name = tg_tenant_setting;
	verdict->value = value;
	return false;
}

/*
 * Find a view in the range table owned by the given role, to name it as the
 * way a table was reached.
 */
static Oid
view_owned_by(List *rtable, Oid owner)
{
	ListCell   *lc;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Oid			view = tg_rte_view(rte);

		if (OidIsValid(view))
		{
			HeapTuple	tuple = SearchSysCache1(RELOID,
												ObjectIdGetDatum(view));

			if (HeapTupleIsValid(tuple))
			{
				Oid			relowner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;

				ReleaseSysCache(tuple);
				if (relowner == owner)
					return view;
			}
		}
	}
	return InvalidOid;
}

/*
 * Rule 5: row-level security was skipped because the table is read as a
 * role that bypasses it: the owner of a view (as_role is the range table
 * entry's checkAsUser) or of a SECURITY DEFINER function (as_role is the
 * current user).  Name the view or function when there is one.
 */
static void
refuse_bypass(TgVerdict *verdict, Oid relid, Oid as_role, bool via_view,
			  List *rtable)
{
	Oid			view = via_view ? view_owned_by(rtable, as_role) : InvalidOid;
	Oid			func = via_view ? InvalidOid : tg_current_definer();

	verdict_init(verdict);
	refuse_about(verdict, TG_BYPASS_ROLE, relid);
	verdict->role = tg_role_name(as_role);
	if (OidIsValid(view))
	{
		verdict->refusal = TG_BYPASS_VIEW;
		verdict->other = tg_relation_name(view);
		verdict->other_sql = tg_relation_sql(view);
	}
	else if (OidIsValid(func))
	{
		verdict->refusal = TG_BYPASS_FUNCTION;
		verdict->other = format_procedure(func);
		verdict->other_sql = format_procedure_qualified(func);
	}
}

/* A refusal about a table and, where the rule names it, another. */
static void
refuse_pair(TgVerdict *verdict, TgRefusal refusal, Oid relid, Oid other)
{
	verdict_init(verdict);
	refuse_about(verdict, refusal, relid);
	verdict->rel_sql = tg_relation_sql(relid);
	if (OidIsValid(other))
	{
		verdict->other = tg_relation_name(other);
		verdict->other_sql = tg_relation_sql(other);
	}
}

/*
 * Find the range table entry through which the plan names one of the
 * ancestors of relid, and return that ancestor; InvalidOid if the plan
 * names none (the child was not reached through an ancestor).
 */
static Oid
named_ancestor(PlannedStmt *pstmt, Oid relid)
{
	List	   *ancestors = tg_rel_ancestors(relid);
	ListCell   *ac;

	foreach(ac, ancestors)
	{
		Oid			ancestor = lfirst_oid(ac);
		ListCell   *lc;

		foreach(lc, pstmt->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			Oid			check_as_user;

			if (rte->rtekind == RTE_RELATION && rte->relid == ancestor &&
				tg_rte_named_by_query(pstmt, rte, &check_as_user))
				return ancestor;
		}
	}
	return InvalidOid;
}

/*
 * Rule 5 for a partition or inheritance child the query did not name,
 * reached through a parent.  The policies that apply are those of the
 * ancestor the query named; the child's own are ignored.  That is fine
 * when the named ancestor has row-level security, and a hole when the
 * child has it and the named ancestor does not.  In a fully protected tree
 * every ancestor has it, which is decided without looking at the range
 * table.
 */
static int
rule_reached_through_parent(const TgRelationUse *use, TgVerdict *verdicts)
{
	Oid			ancestor;

	if (use->pstmt == NULL || tg_all_ancestors_have_rls(use->relid))
		return 0;
	ancestor = named_ancestor(use->pstmt, use->relid);
	if (!OidIsValid(ancestor) || tg_rel_info(ancestor)->rls_enabled)
		return 0;
	refuse_pair(&verdicts[0], TG_CHILD_BEHIND_PARENT, use->relid, ancestor);
	return 1;
}

/*
 * Rule 5 for a table without row-level security that the statement names:
 * a partition or inheritance child of one that has it skips its policies.
 */
static int
rule_named_without_rls(const TgRelationUse *use, TgVerdict *verdicts)
{
	Oid			ancestor;
	int			n = 0;

	if (!OidIsValid(ancestor = tg_rls_ancestor(use->relid)))
		return 0;
	if (use->in_worker)
		refuse_pair(&verdicts[n++], TG_PARALLEL_WORKER, use->relid,
					InvalidOid);
	refuse_pair(&verdicts[n], TG_PARTITION_HOLE, use->relid, ancestor);
	verdicts[n++].is_partition = tg_rel_info(use->relid)->is_partition;
	return n;
}

/*
 * Rules 4 and 5 for one table a statement touches: fill verdicts (at most
 * TG_MAX_RELATION_VERDICTS, in the order they are reported) and return how
 * many there are.  *needs_tenant is set when the statement must also have
 * a valid tenant context for this table (rules 1 to 3: it has row-level
 * security and the statement named it).  The caller has established that
 * the rules apply to the session.
 */
int
tg_rule_relation(const TgRelationUse *use, TgVerdict *verdicts,
				 bool *needs_tenant)
{
	Oid			relid = use->relid;
	TgRelInfo  *info;
	bool		rls_forced;
	Oid			read_as;
	int			n = 0;

	*needs_tenant = false;
	/* Built-in catalogs never have row-level security. */
	if (relid < (Oid) FirstNormalObjectId)
		return 0;

	info = tg_rel_info(relid);
	if (!info->rls_enabled)
	{
		if (use->named_by_query && tg_rel_has_parents(info))
			return rule_named_without_rls(use, verdicts);
		return 0;
	}
	if (!use->named_by_query)
	{
		if (tg_rel_has_parents(info))
			return rule_reached_through_parent(use, verdicts);
		return 0;
	}
	rls_forced = info->rls_forced;
	*needs_tenant = true;

	if (use->in_worker)
		refuse_pair(&verdicts[n++], TG_PARALLEL_WORKER, relid, InvalidOid);

	/* Rule 4: the owner of an unforced table bypasses every policy. */
	if (!rls_forced)
		refuse_pair(&verdicts[n++], TG_NOT_FORCED, relid, InvalidOid);

	/*
	 * Rule 5: a view or SECURITY DEFINER owner that bypasses RLS, or the
	 * table's owner inside a referential action, where PostgreSQL does not
	 * apply FORCE ROW LEVEL SECURITY.
	 */
	read_as = OidIsValid(use->check_as_user) ? use->check_as_user : GetUserId();
	if (read_as != GetOuterUserId() && tg_role_is_exempt(read_as))
		refuse_bypass(&verdicts[n++], relid, read_as,
					  OidIsValid(use->check_as_user),
					  use->pstmt ? use->pstmt->rtable : NIL);
	if (use->in_referential_action &&
		tg_relation_ownercheck(relid, read_as))
		refuse_pair(&verdicts[n++], TG_REFERENTIAL_ACTION, relid, InvalidOid);
	return n;
}

/*
 * Rule 5: a cursor kept past COMMIT (portalname) reads table relid, which
 * has row-level security (hold_after_read false), or its transaction read
 * that table (hold_after_read true).  The executor tells when a cursor is
 * kept (executor_guard.c).  Besides tables with row-level security, a
 * transaction reads a tenant's data from the views of the statistics
 * (tenant_stats.c), which note the view as read.
 */
bool
tg_rule_held_cursor(Oid relid, const char *portalname, bool after_read,
					TgVerdict *verdict)
{
	verdict_init(verdict);
	verdict->name = portalname;
	verdict->read_view = after_read && get_rel_relkind(relid) == RELKIND_VIEW;
	return refuse_about(verdict,
						after_read ? TG_HOLD_AFTER_READ : TG_HOLD_CURSOR,
						relid);
}

/*
 * Rule 5: TRUNCATE of a table with row-level security, or of a partition
 * or child of one.
 */
bool
tg_rule_truncate(Oid relid, TgVerdict *verdict)
{
	TgRelInfo  *info = tg_rel_info(relid);
	Oid			ancestor = InvalidOid;

	verdict_init(verdict);
	if (!info->rls_enabled &&
		!(tg_rel_has_parents(info) &&
		  OidIsValid(ancestor = tg_rls_ancestor(relid))))
		return true;
	refuse_pair(verdict, TG_TRUNCATE, relid, ancestor);
	verdict->is_partition = OidIsValid(ancestor) &&
		tg_rel_info(relid)->is_partition;
	return false;
}

/*
 * Rule 5: currtid2() follows the updates of a row by its physical address,
 * in any table and without row-level security.
 */
bool
tg_rule_tid_lookup(Oid funcid, TgVerdict *verdict)
{
	verdict_init(verdict);
	verdict->refusal = TG_TID_LOOKUP;
	verdict->other = format_procedure(funcid);
	return false;
}

/*
 * Rule 4 at commit: a table whose row-level security this transaction
 * changed may not be left enabled but not forced.
 */
bool
tg_rule_forced_at_commit(Oid relid, TgVerdict *verdict)
{
	TgRelInfo  *info = tg_rel_info(relid);

	verdict_init(verdict);
	if (!info->exists || !info->rls_enabled || info->rls_forced)
		return true;
	refuse_pair(verdict, TG_NOT_FORCED_AT_COMMIT, relid, InvalidOid);
	return false;
}

/*
 * Rule 2: a role inside the rules may not store settings that later
 * sessions start with (where: the statement; target: whose settings).
 */
bool
tg_rule_lasting_setting(const char *where, const char *target,
						TgVerdict *verdict)
{
	verdict_init(verdict);
	verdict->refusal = TG_LASTING_SETTING;
	verdict->role = tg_role_name(GetOuterUserId());
	verdict->name = where;
	verdict->other = target;
	return false;
}

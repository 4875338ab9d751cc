/*-------------------------------------------------------------------------
 *
 * xact_guard.c
 *	  What must hold when a statement or a transaction ends.
 *
 * Two rules cannot be checked when a statement starts, because the
 * statement itself breaks them:
 *
 *	A session-level tenant (set_config(name, value, false) never passes
 *	through ProcessUtility) is refused at the end of the statement that
 *	assigned it, and at the latest when its transaction commits.  The error
 *	aborts the transaction, and the abort undoes the assignment, so no
 *	session-level tenant ever reaches a later transaction.
 *
 *	A table left with row-level security enabled but not forced by ALTER
 *	TABLE in this transaction fails the commit.  Checking at commit rather
 *	than per statement lets "ENABLE; FORCE;" in one transaction work.
 *
 * At every transaction end the tenant pin and the other per-transaction
 * state are dropped, so the next transaction starts with no tenant, and
 * what this transaction left in the session (statements it prepared with
 * SQL) becomes what an earlier transaction left (session_state.c).
 *
 * src/xact_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "report.h"
#include "rules.h"
#include "session_state.h"
#include "tenant_context.h"
#include "tenant_guard.h"
#include "xact_guard.h"
#include "xact_state.h"

/* Tables whose row-level security settings this transaction changed. */
static List *rls_changed = NIL;

/*
 * One bit per TgXactModule that left state in this transaction
 * (xact_state.h).  Defined here, next to the callback that tests it at
 * every transaction event, so that the test is one instruction, as the
 * flag's was: a variable of another file is reached through the GOT.
 */
uint8		tg_xact_state = 0;

/*
 * Remember a table whose row-level security settings were changed, to check
 * it at commit.  The list lives in TopTransactionContext.
 */
void
tg_remember_rls_change(Oid relid)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);

	tg_xact_state_left(TG_XACT_RLS_CHANGES);
	rls_changed = list_append_unique_oid(rls_changed, relid);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Refuse a session-level tenant.  Called at the end of every statement
 * that assigned the tenant setting, and at commit if one was assigned since
 * (a statement's end is not always seen: a portal of the extended protocol
 * may still be open).  The "touched" flag is cleared only once the check
 * has passed or been reported as a warning, so an error caught by an
 * exception block is raised again at the next statement's end or commit.
 */
void
tg_check_session_tenant(void)
{
	TgVerdict	verdict;

	if (!IsTransactionState() || IsParallelWorker())
		return;
	if (!tg_guard_applies())
	{
		/*
		 * Inside a function exempted by its SET clause the guard is off for
		 * the function's own statements only: leave the check pending for
		 * the statement that called it, or the commit.  Otherwise the
		 * inner statement's end would clear it, and a session-level tenant
		 * assigned next to the call would survive.
		 */
		if (tg_session_guard_applies())
			return;
	}
	else if (!tg_rule_no_session_tenant(tg_session_tenant_pending(), &verdict))
		tg_report(&verdict);
	tg_tenant_forget_touch();
}

/* Checks when the transaction commits or is prepared. */
static pg_noinline void
check_at_commit(void)
{
	ListCell   *lc;
	TgVerdict	verdict;

	if (tg_mode == TG_MODE_OFF)
		return;

	foreach(lc, rls_changed)
	{
		if (!tg_rule_forced_at_commit(lfirst_oid(lc), &verdict))
			tg_report(&verdict);
	}

	if (tg_tenant_touched)
		tg_check_session_tenant();

	tg_session_state_check_at_commit();
}

/* Transaction end: every module resets the state it left behind. */
static pg_noinline void
reset_at_xact_end(void)
{
	rls_changed = NIL;
	tg_xact_state_reset();
}

/*
 * Transaction callback.  A transaction that left no state behind (see
 * tg_xact_state) has nothing to check or reset; at the commit of one that
 * did, the checks of check_at_commit() that have nothing to look at (no
 * table whose row-level security changed, no session-level tenant assigned
 * since the last check) are skipped.
 */
void
tg_xact_callback(XactEvent event, void *arg)
{
	if (unlikely(event == XACT_EVENT_ABORT ||
				 event == XACT_EVENT_PARALLEL_ABORT))
		tg_xact_state_abort();

	if (likely(tg_xact_state == 0))
	{
		/* a session-level SET search_path leaves no other trace */
		if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
			tg_session_state_check_at_commit();
		return;
	}

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (unlikely(rls_changed != NIL || tg_tenant_touched))
				check_at_commit();
			else if (tg_mode != TG_MODE_OFF)
				tg_session_state_check_at_commit();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			reset_at_xact_end();
			break;
		default:
			break;
	}
}

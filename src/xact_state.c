/*-------------------------------------------------------------------------
 *
 * xact_state.c
 *	  The one place where modules register the state they keep for a
 *	  transaction, and where it is reset when the transaction ends.
 *
 * Each module that keeps state for a transaction (a tenant pin, a definer
 * stack, tables to check at commit, a cache sweep) owns it and resets it
 * itself, in a function _PG_init registers here for the module's bit of
 * tg_xact_state.  The module sets its bit when it leaves state behind, so
 * that the transaction callback (xact_guard.c) ends the common transaction,
 * which leaves none, at the cost of one test, and a transaction that left
 * some calls only the resets of the modules that did.
 *
 * src/xact_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"

#include "xact_state.h"

/* The function that resets each module's state. */
static TgXactEndFunc xact_end_funcs[TG_XACT_MODULES];

/* Those that reset at every abort (tg_on_xact_abort). */
#define MAX_ABORT_FUNCS 4
static TgXactEndFunc xact_abort_funcs[MAX_ABORT_FUNCS];
static int	n_abort_funcs = 0;

/* Register the function that resets a module's transaction state. */
void
tg_on_xact_end(TgXactModule module, TgXactEndFunc reset)
{
	Assert((int) module >= 0 && module < TG_XACT_MODULES);
	xact_end_funcs[module] = reset;
}

/*
 * Transaction end: each module that left state behind resets it, in the
 * order of TgXactModule.  tenant_context.c resets whenever any module left
 * state: it notes whether the transaction had a tenant, which the messages
 * about a later transaction's missing tenant mention.
 */
void
tg_xact_state_reset(void)
{
	uint32		left = tg_xact_state | (1 << TG_XACT_TENANT);

	tg_xact_state = 0;
	/* the common case: a transaction that only got its tenant */
	if (likely(left == (1 << TG_XACT_TENANT)))
	{
		if (xact_end_funcs[TG_XACT_TENANT] != NULL)
			xact_end_funcs[TG_XACT_TENANT] ();
		return;
	}
	while (left != 0)
	{
		int			module = pg_rightmost_one_pos32(left);

		left &= left - 1;
		if (xact_end_funcs[module] != NULL)
			xact_end_funcs[module] ();
	}
}

/* Register a function to call at every abort (_PG_init). */
void
tg_on_xact_abort(TgXactEndFunc reset)
{
	if (n_abort_funcs >= MAX_ABORT_FUNCS)
		elog(ERROR, "too many tenant_guard abort callbacks");
	xact_abort_funcs[n_abort_funcs++] = reset;
}

/* Transaction abort, with or without state bits (xact_guard.c). */
void
tg_xact_state_abort(void)
{
	for (int i = 0; i < n_abort_funcs; i++)
		xact_abort_funcs[i] ();
}

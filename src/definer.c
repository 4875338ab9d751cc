/*-------------------------------------------------------------------------
 *
 * definer.c
 *	  Track the innermost SECURITY DEFINER function being executed.
 *
 * A SECURITY DEFINER function owned by a role that bypasses row-level
 * security reads every tenant's rows for whoever calls it.  The executor
 * guard notices that a statement runs as such a role; this module lets its
 * error name the function, so the DBA knows what to fix.
 *
 * PostgreSQL calls fmgr_hook when entering and leaving every function that
 * has SECURITY DEFINER or a SET clause (other functions never reach it and
 * cost nothing), also when the function ends with an error (FHET_ABORT).
 * Entries and exits nest strictly, so a stack of "definer current before
 * this call" is all we need.  The private Datum PostgreSQL offers the hook
 * is not used: there is only one per call site, and another module chained
 * on fmgr_hook may need it.
 *
 * src/definer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "definer.h"
#include "xact_state.h"

fmgr_hook_type tg_prev_fmgr_hook = NULL;

/* The innermost SECURITY DEFINER function running, or InvalidOid. */
static Oid	current_definer = InvalidOid;

/* current_definer as it was when each enclosing tracked call began. */
static Oid *saved_definers = NULL;
static int	saved_depth = 0;
static int	saved_size = 0;

/* prosecdef of the function last entered (calls repeat, often per row). */
static Oid	last_fn_oid = InvalidOid;
static bool last_fn_is_definer = false;

void
tg_proc_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	last_fn_oid = InvalidOid;
}

static bool
function_is_security_definer(Oid fn_oid)
{
	HeapTuple	tuple;

	if (fn_oid == last_fn_oid)
		return last_fn_is_definer;

	last_fn_is_definer = false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (HeapTupleIsValid(tuple))
	{
		last_fn_is_definer = ((Form_pg_proc) GETSTRUCT(tuple))->prosecdef;
		ReleaseSysCache(tuple);
	}
	last_fn_oid = fn_oid;
	return last_fn_is_definer;
}

static void
push_definer(void)
{
	if (saved_depth == saved_size)
	{
		int			new_size = saved_size == 0 ? 16 : saved_size * 2;

		if (saved_definers == NULL)
			saved_definers = MemoryContextAlloc(TopMemoryContext,
												new_size * sizeof(Oid));
		else
			saved_definers = repalloc(saved_definers, new_size * sizeof(Oid));
		saved_size = new_size;
	}
	saved_definers[saved_depth++] = current_definer;
	tg_xact_state_left(TG_XACT_DEFINER);
}

/*
 * fmgr_hook: maintain current_definer across calls.  An exit without a
 * matching entry belongs to a call that began before the library was
 * loaded, and is ignored.
 */
void
tg_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	switch (event)
	{
		case FHET_START:
			push_definer();
			if (function_is_security_definer(flinfo->fn_oid))
				current_definer = flinfo->fn_oid;
			break;
		case FHET_END:
		case FHET_ABORT:
			if (saved_depth > 0)
				current_definer = saved_definers[--saved_depth];
			break;
	}

	if (tg_prev_fmgr_hook)
		(*tg_prev_fmgr_hook) (event, flinfo, private);
}

/* OID of the innermost SECURITY DEFINER function running, or InvalidOid. */
Oid
tg_current_definer(void)
{
	return current_definer;
}

/*
 * Transaction end.  Every call has ended by now, normally or through
 * FHET_ABORT; start the next transaction from a clean slate regardless.
 */
void
tg_definer_xact_end(void)
{
	saved_depth = 0;
	current_definer = InvalidOid;
}

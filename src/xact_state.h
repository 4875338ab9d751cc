/*-------------------------------------------------------------------------
 *
 * xact_state.h
 *	  Which modules left state the end of the transaction must reset, and
 *	  the function that resets each (xact_state.c).
 *
 * src/xact_state.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_XACT_STATE_H
#define TENANT_GUARD_XACT_STATE_H

/*
 * The modules that keep state for a transaction, which its end must reset.
 * A module that leaves such state sets its bit with tg_xact_state_left();
 * when the transaction ends, tg_xact_state_reset() calls the function the
 * module registered for it with tg_on_xact_end() (_PG_init registers them
 * all), in this order.  The common transaction sets no bit, and ends at the
 * cost of one test (xact_guard.c).
 */
typedef enum TgXactModule
{
	TG_XACT_STATS,				/* tenant_stats.c: counters of the
								 * transaction's tenant to flush; first,
								 * before tenant_context.c forgets whether
								 * the tenant was signed */
	TG_XACT_TENANT,				/* tenant_context.c: the tenant pin */
	TG_XACT_SESSION_STATE,		/* session_state.c: statements SQL PREPARE
								 * made or DEALLOCATE dropped */
	TG_XACT_DEFINER,			/* definer.c: the definer stack */
	TG_XACT_REL_CACHE,			/* rel_cache.c: stale entries to sweep */
	TG_XACT_DRIFT,				/* drift_guard.c: parts of protected tables
								 * dropped */
	TG_XACT_RLS_CHANGES,		/* xact_guard.c: tables whose row-level
								 * security settings changed */
	TG_XACT_MODULES				/* number of modules */
} TgXactModule;

typedef void (*TgXactEndFunc) (void);

/* One bit per TgXactModule that left state in this transaction. */
extern PGDLLIMPORT uint8 tg_xact_state; /* defined in xact_guard.c */
StaticAssertDecl(TG_XACT_MODULES <= 8, "tg_xact_state has 8 bits");

/* A module left state that the end of the transaction must reset. */
static inline void
tg_xact_state_left(TgXactModule module)
{
	tg_xact_state |= (uint8) (1 << module);
}

extern void tg_on_xact_end(TgXactModule module, TgXactEndFunc reset);
extern void tg_xact_state_reset(void);

/*
 * State that an error can leave behind without its module noticing (the
 * statistics' executor depth, which needs no PG_TRY), reset at every abort
 * whatever the bits say.
 */
extern void tg_on_xact_abort(TgXactEndFunc reset);
extern void tg_xact_state_abort(void);

#endif							/* TENANT_GUARD_XACT_STATE_H */

/*-------------------------------------------------------------------------
 *
 * rules.h
 *	  The decisions of rules 1 to 5: given what a statement touches and
 *	  the transaction's tenant state, a verdict (rules.c).
 *
 * src/rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_RULES_H
#define TENANT_GUARD_RULES_H

#include "nodes/plannodes.h"
#include "utils/guc.h"

#include "report.h"
#include "session_state.h"

/* Where the tenant setting's current value came from. */
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

/* The transaction's tenant state, as tenant_context.c describes it. */
typedef struct TgTenantState
{
	TgTenantOrigin origin;
	const char *value;			/* current value of the tenant setting */
	GucSource	source;			/* for TG_TENANT_CONFIG: where from */
	const char *pinned;			/* tenant the transaction is pinned to, or
								 * NULL */
	bool		is_signed;		/* the value is set_tenant_token()'s */
	bool		ended_with_xact;	/* did the last transaction that left
									 * state behind have a tenant? */
	bool		session_pending;	/* has the transaction assigned a
									 * session-level tenant?  Filled by the
									 * caller, who knows whether to ask. */
} TgTenantState;

/* A table a statement touches, as the executor or a utility sees it. */
typedef struct TgRelationUse
{
	Oid			relid;
	PlannedStmt *pstmt;			/* the plan, or NULL for a utility
								 * statement naming the table */
	bool		named_by_query; /* named, not reached through a parent */
	Oid			check_as_user;	/* role its policies were checked as, if
								 * not the current user (a view's owner) */
	bool		in_worker;		/* nested in a parallel worker */
	bool		in_referential_action;	/* run during a foreign key's action */
} TgRelationUse;

/* At most this many verdicts for one table (warn mode reports them all). */
#define TG_MAX_RELATION_VERDICTS 4

extern bool tg_rule_tenant_context(const TgTenantState *state, Oid relid,
								   TgVerdict *verdict);
extern bool tg_rule_no_session_tenant(bool session_pending,
									  TgVerdict *verdict);
extern bool tg_rule_session_set(const char *name, TgVerdict *verdict);
extern bool tg_rule_tenant_assignment(const char *value, const char *pinned,
									  TgVerdict *verdict);

/*
 * The common case of tg_rule_tenant_assignment(), decided without a
 * verdict: the first tenant of a transaction (pinned NULL), in a session
 * that holds nothing an earlier request left, whoever's rules apply, may
 * be set and is pinned.
 */
static inline bool
tg_rule_first_tenant_plain(const char *pinned)
{
	return pinned == NULL && tg_session_plainly_clean();
}
extern bool tg_rule_worker_assignment(const char *value, const char *current,
									  TgVerdict *verdict);
extern int	tg_rule_relation(const TgRelationUse *use, TgVerdict *verdicts,
							 bool *needs_tenant);

/*
 * The table of nearly every statement, decided without a call: row-level
 * security enabled and forced, named by the query, read as the role that
 * runs it (read_as, which is not a role outside the rules unless it is the
 * session's own, outer), outside parallel workers and referential actions.
 * Rules 4 and 5 allow it; rules 1 to 3 apply (a valid tenant context).
 * Everything else goes to tg_rule_relation(), which gives the same answer
 * for this case.  rls_enabled and rls_forced are the table's (rel_cache.h).
 */
static inline bool
tg_rule_relation_plain(const TgRelationUse *use, bool rls_enabled,
					   bool rls_forced, Oid read_as, Oid outer)
{
	return rls_enabled && rls_forced && use->named_by_query &&
		!OidIsValid(use->check_as_user) && read_as == outer &&
		!use->in_worker && !use->in_referential_action;
}
extern bool tg_rule_held_cursor(Oid relid, const char *portalname,
								bool after_read, TgVerdict *verdict);
extern bool tg_rule_truncate(Oid relid, TgVerdict *verdict);
extern bool tg_rule_tid_lookup(Oid funcid, TgVerdict *verdict);
extern bool tg_rule_forced_at_commit(Oid relid, TgVerdict *verdict);
extern bool tg_rule_lasting_setting(const char *where, const char *target,
									TgVerdict *verdict);

#endif							/* TENANT_GUARD_RULES_H */

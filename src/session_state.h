/*-------------------------------------------------------------------------
 *
 * session_state.h
 *	  Does the session hold state an earlier request left, which would act
 *	  in the next one?  (session_state.c)
 *
 * src/session_state.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_SESSION_STATE_H
#define TENANT_GUARD_SESSION_STATE_H

#include "catalog/objectaccess.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

#include "report.h"
#include "xact_state.h"

/* Session state an earlier request left, which would act in the next. */
typedef struct TgLeftover
{
	TgLeftoverKind kind;
	char	   *name;			/* object description, statement name or
								 * schema name */
	char	   *search_path;	/* for TG_LEFTOVER_SEARCH_PATH: its value */
	bool		schema_missing; /* ... and the schema does not exist yet */
} TgLeftover;

extern bool tg_session_leftover(TgLeftover *leftover);
extern bool tg_session_plainly_clean(void);
extern void tg_note_sql_prepare(const char *name);

/*
 * DEALLOCATE or DISCARD ran: the end of the transaction forgets the
 * statements they dropped (tg_session_state_xact_end).
 */
static inline void
tg_note_sql_deallocate(void)
{
	tg_xact_state_left(TG_XACT_SESSION_STATE);
}

extern void tg_session_state_xact_end(void);
extern void tg_session_state_note_object(ObjectAccessType access,
										 Oid classid, Oid objid, int subid);
extern void tg_session_state_check_at_commit(void);

/* The CREATE TABLE (AS) ... ON COMMIT DROP running, saved while another runs. */
typedef struct TgOnCommitDrop
{
	const char *name;
	int			nesting;
} TgOnCommitDrop;

extern PGDLLIMPORT const char *tg_on_commit_drop_name;
extern PGDLLIMPORT int tg_on_commit_drop_nesting;
extern bool tg_on_commit_drop_begin(Node *parsetree, TgOnCommitDrop *saved);
extern void tg_on_commit_drop_end(const TgOnCommitDrop *saved);
extern PGDLLIMPORT List *tg_sql_prepared;	/* statements SQL PREPARE made */
extern void tg_check_prepared_statement(const char *name,
										const char *query_string);

#endif							/* TENANT_GUARD_SESSION_STATE_H */

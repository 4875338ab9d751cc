/*-------------------------------------------------------------------------
 *
 * tenant_stats.c
 *	  Per-tenant statistics in shared memory, and the audit line of each
 *	  transaction's tenant.
 *
 * Which tenant loads the server?  pg_stat_statements counts by query, not
 * by tenant.  This module counts, for each (database, tenant), the
 * transactions that had the tenant, their top-level statements and the
 * rows those returned and wrote, the transactions' time, and the refusals
 * of each rule (the view tenant_guard.tenant_stats).
 *
 * Cost.  Counters accumulate in backend-local memory; shared memory is
 * touched once per transaction that had a tenant, when it ends (the
 * transaction state bit TG_XACT_STATS, set when the tenant is pinned), under
 * a shared lock and the entry's spinlock unless the tenant is new.  A
 * statement costs an increment around ExecutorRun and ExecutorFinish, which
 * tell top-level statements from nested ones as pg_stat_statements does, and
 * a few additions at ExecutorEnd, in the guard's executor hooks.  (Where a
 * statement's rows go cannot tell instead: at ExecutorEnd a portal's
 * receiver may be gone.)  The nesting depth needs no PG_TRY: the abort of the
 * transaction resets it, and that of a subtransaction restores the depth at
 * which it started.  Time is the transaction's, from its start to its end: one
 * clock reading per transaction, and what a pooled connection cares about
 * (how long a tenant held a server connection).
 *
 * Memory is bounded by tenant_guard.stats_max_tenants: a new tenant in a
 * full table evicts the least active ones (a usage count that every
 * transaction raises and every eviction decays), as pg_stat_statements
 * does, and counts them.  Nothing is kept across a restart: the view starts
 * empty after a crash, a restart, or stats_reset().
 *
 * The tenant_context audit line (tenant_guard.log_tenant_context) is
 * written here too, when the tenant is pinned: tenant_context.c's
 * pin_tenant() is the one place every way of setting a tenant passes.
 *
 * src/tenant_stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/cmdtag.h"
#include "tcop/pquery.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "report.h"
#include "rules.h"
#include "tenant_context.h"
#include "tenant_stats.h"
#include "violations.h"
#include "xact_state.h"

TG_FUNCTION_INFO_V1(tenant_guard_tenant_stats);
TG_FUNCTION_INFO_V1(tenant_guard_stats_reset);
TG_FUNCTION_INFO_V1(tenant_guard_stats_info);

/* Settings (tg_stats_define_settings). */
bool		tg_stats = true;
int			tg_stats_max_tenants = 5000;
bool		tg_log_tenant_context = false;
bool		tg_stats_watch_pins = true;

#define TENANT_LEN TG_STATS_TENANT_LEN

/* Refusals are counted by rule: the drift guard (0) and rules 1 to 6. */
#define RULES 7

typedef struct TenantKey
{
	Oid			dbid;
	char		tenant[TENANT_LEN];	/* NUL-terminated; hashed up to it */
} TenantKey;

typedef struct TenantCounters
{
	int64		transactions;
	int64		statements;
	int64		rows_returned;
	int64		rows_written;
	double		total_time;		/* milliseconds */
	int64		refusals[RULES];
} TenantCounters;

typedef struct TenantEntry
{
	TenantKey	key;			/* first: the hash table's key */
	double		usage;			/* what eviction compares */
	slock_t		mutex;			/* protects what follows */
	TenantCounters counters;
	TimestampTz first_activity;
	TimestampTz last_activity;
} TenantEntry;

typedef struct StatsShared
{
	LWLock	   *lock;			/* both hash tables, and what follows */
	int64		evictions;
	TimestampTz reset_time;
} StatsShared;

static StatsShared *shared = NULL;
static HTAB *tenants = NULL;

static tg_shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

ExecutorFinish_hook_type tg_stats_prev_ExecutorFinish = NULL;

/* The transaction's tenant and what it did so far, in this backend. */
static TenantKey local_key;
static size_t local_len;		/* strlen(local_key.tenant) */
bool		tg_stats_counting = false;	/* local_key has the tenant */
static bool local_refused = false;	/* local.refusals has one */
static TenantCounters local;

/*
 * How deep in the executor this backend is (ExecutorRun and
 * ExecutorFinish), reset when the transaction ends; and the depth at which
 * each open subtransaction started, to restore when it aborts (an error
 * leaves the depth where it was thrown).
 */
int			tg_stats_nesting = 0;
#define MAX_SUBXACT_DEPTHS 64
static int	subxact_nesting[MAX_SUBXACT_DEPTHS];

/* How the next tenant of this transaction is set (tg_stats_setting_via). */
static TgTenantSetBy set_by = TG_SET_BY_SET_CONFIG;
static char set_by_key_id[64];	/* a copy: "" for none */
static LocalTransactionId set_by_lxid = InvalidLocalTransactionId;

/* Hash of a tenant key: the database and the tenant up to its end. */
static inline uint32
tenant_hash(const TenantKey *key, size_t len)
{
	return hash_bytes((const unsigned char *) key->tenant, len) ^
		(uint32) key->dbid;
}

/* The hash table's hash function: the same, of a key of unknown length. */
static uint32
tenant_key_hash(const void *key, Size keysize)
{
	const TenantKey *k = (const TenantKey *) key;

	return tenant_hash(k, strlen(k->tenant));
}

static int
tenant_key_compare(const void *key1, const void *key2, Size keysize)
{
	const TenantKey *a = (const TenantKey *) key1;
	const TenantKey *b = (const TenantKey *) key2;

	return (a->dbid == b->dbid) ? strcmp(a->tenant, b->tenant) : 1;
}

static Size
stats_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(StatsShared)),
					hash_estimate_size(tg_stats_max_tenants,
									   sizeof(TenantEntry)));
}

/* shmem_request_hook (PostgreSQL 15 on), or _PG_init itself before. */
static void
stats_shmem_request(void)
{
	tg_shmem_request_chain(prev_shmem_request);
	RequestAddinShmemSpace(add_size(stats_shmem_size(),
									tg_violations_shmem_size()));
	RequestNamedLWLockTranche("tenant_guard", 1);
}

/*
 * shmem_startup_hook: create or attach to the statistics.  After a crash
 * the postmaster creates shared memory anew, and the view starts empty.
 */
static void
stats_shmem_startup(void)
{
	HASHCTL		info;
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("tenant_guard stats", sizeof(StatsShared),
							 &found);
	if (!found)
	{
		shared->lock = &(GetNamedLWLockTranche("tenant_guard"))->lock;
		shared->evictions = 0;
		shared->reset_time = GetCurrentTimestamp();
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(TenantKey);
	info.entrysize = sizeof(TenantEntry);
	info.hash = tenant_key_hash;
	info.match = tenant_key_compare;
	tenants = ShmemInitHash("tenant_guard tenant_stats",
							tg_stats_max_tenants, tg_stats_max_tenants,
							&info, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE);
	tg_violations_shmem_startup();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Ask for shared memory and install the startup hook, when the library is
 * preloaded (_PG_init); otherwise statistics stay off and their functions
 * say why.
 */
void
tg_stats_shmem_install(void)
{
	tg_shmem_request_install(prev_shmem_request, stats_shmem_request);
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = stats_shmem_startup;
}

/* Is shared memory there to count in? */
bool
tg_stats_attach(void)
{
	return shared != NULL;
}

LWLock *
tg_stats_lock(void)
{
	return shared->lock;
}

/* The functions of the views fail without shared memory, as pgss's do. */
static void
require_shared(void)
{
	if (shared == NULL)
		tg_report_stats_not_loaded();
}

/* Keep tg_stats_watch_pins: either setting, with the other's value. */
static void
assign_stats(bool newval, void *extra)
{
	tg_stats_watch_pins = newval || tg_log_tenant_context;
}

static void
assign_log_tenant_context(bool newval, void *extra)
{
	tg_stats_watch_pins = newval || tg_stats;
}

/* tenant_guard.stats, .stats_max_tenants, .log_tenant_context */
void
tg_stats_define_settings(void)
{
	DefineCustomBoolVariable("tenant_guard.stats",
							 "Collects per-tenant statistics and violations in shared memory.",
							 "Needs tenant_guard in shared_preload_libraries.",
							 &tg_stats, true, PGC_SUSET, 0,
							 NULL, assign_stats, NULL);
	/* a server-start setting can only be defined while the server starts */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("tenant_guard.stats_max_tenants",
								"Tenants, and distinct violations, kept in shared memory.",
								"The least active are evicted when a new one comes.",
								&tg_stats_max_tenants, 5000, 100, 1000000,
								PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("tenant_guard.log_tenant_context",
							 "Logs one line per transaction that gets a tenant.",
							 "Role, tenant, how it was set, application_name and backend pid; never a secret.",
							 &tg_log_tenant_context, false, PGC_SUSET, 0,
							 NULL, assign_log_tenant_context, NULL);
}

/*
 * set_tenant() and set_tenant_token() say how they are about to set the
 * tenant, for the audit line, and take it back (TG_SET_BY_SET_CONFIG) once
 * the assignment is over, whether it succeeded or not.  The key id is
 * copied: the token it comes from does not outlive an error.
 */
void
tg_stats_setting_via(TgTenantSetBy how, const char *key_id)
{
	set_by = how;
	strlcpy(set_by_key_id, key_id != NULL ? key_id : "",
			sizeof(set_by_key_id));
	set_by_lxid = tg_local_xact_id();
}

/* How the tenant being pinned was set, as far as can be told cheaply. */
static TgTenantSetBy
pinned_set_by(const char **key_id)
{
	*key_id = NULL;
	if (set_by_lxid == tg_local_xact_id() && set_by != TG_SET_BY_SET_CONFIG)
	{
		*key_id = set_by_key_id[0] != '\0' ? set_by_key_id : NULL;
		return set_by;
	}
	if (ActivePortal != NULL && ActivePortal->commandTag == CMDTAG_SET)
		return TG_SET_BY_STATEMENT;
	return TG_SET_BY_SET_CONFIG;
}

/*
 * The names of the current role and database for a log line, looked up
 * only inside a transaction (NULL outside one).
 */
void
tg_stats_names(const char **role, const char **database)
{
	*role = NULL;
	*database = NULL;
	if (!IsTransactionState())
		return;
	*role = GetUserNameFromId(GetUserId(), true);
	*database = get_database_name(MyDatabaseId);
}

static const char *
set_by_name(TgTenantSetBy how)
{
	switch (how)
	{
		case TG_SET_BY_STATEMENT:
			return "SET";
		case TG_SET_BY_SET_CONFIG:
			return "set_config";
		case TG_SET_BY_SET_TENANT:
			return "set_tenant";
		case TG_SET_BY_TOKEN:
			return "token";
	}
	return NULL;				/* keep compiler quiet */
}

/* The tenant_context audit line (report.c words it); off by default. */
static pg_noinline void
log_tenant_context(const char *tenant)
{
	const char *key_id;
	TgTenantSetBy how = pinned_set_by(&key_id);
	const char *role;
	const char *database;

	tg_stats_names(&role, &database);
	tg_report_tenant_context(tenant, set_by_name(how), key_id, role,
							 database, application_name, MyProcPid);
}

/*
 * tenant_context.c pinned the transaction to a tenant (through
 * tg_stats_note_pin, only when this module watches pins): write the audit
 * line, and note the tenant that the transaction's counters are for.
 */
void
tg_stats_tenant_pinned(const char *tenant)
{
	size_t		len;

	if (tg_log_tenant_context)
		log_tenant_context(tenant);
	if (!tg_stats || shared == NULL)
		return;
	/* byte by byte, as pin_tenant() does: tenants are a few characters */
	for (len = 0; (local_key.tenant[len] = tenant[len]) != '\0'; len++)
	{
		if (len == TENANT_LEN - 1)
		{
			tg_stats_counting = false;
			return;
		}
	}
	local_len = len;
	local_key.dbid = MyDatabaseId;
	tg_stats_counting = true;
	tg_xact_state_left(TG_XACT_STATS);
}

/*
 * The tenant the transaction's counters are for, or NULL: none when the
 * tenant is not signed and tenant_guard.require_signed_tenant asks for it.
 */
const char *
tg_stats_current_tenant(void)
{
	return tg_stats_counting && tg_tenant_signed_as_required() ?
		local_key.tenant : NULL;
}

/*
 * The tenant whose row a reader outside pg_read_all_stats may see: the
 * transaction's, if the rules let a statement use it as the tenant context
 * (rules.c, as for status()), else none.
 */
const char *
tg_stats_reader_tenant(void)
{
	TgTenantState state;
	TgVerdict	verdict;

	tg_tenant_state(&state);
	state.session_pending = tg_session_tenant_pending();
	if (!tg_rule_tenant_context(&state, InvalidOid, &verdict))
		return NULL;
	return state.value;
}

void
tg_stats_count_refusal(int rule)
{
	if (tg_stats_counting && rule >= 0 && rule < RULES)
	{
		local.refusals[rule]++;
		local_refused = true;
	}
}

/* qsort() comparator of pointers to usage counts. */
static int
usage_compare(const void *a, const void *b)
{
	double		ua = (*(const double *const *) a)[0];
	double		ub = (*(const double *const *) b)[0];

	return (ua < ub) ? -1 : (ua > ub) ? 1 : 0;
}

/*
 * Evict the least active entries of a full hash table (its entries start
 * with the key and have a double usage at usage_offset), and decay the
 * usage of the others, as pg_stat_statements does: about 5% go, at least
 * 10.  Called with the lock held exclusively, possibly while a transaction
 * ends: it allocates nothing that can fail with an error, and without
 * memory for the sort it evicts the one least active entry.
 */
void
tg_stats_evict(HTAB *htab, Size usage_offset, int64 *evictions)
{
	long		n = hash_get_num_entries(htab);
	char	  **entries;
	HASH_SEQ_STATUS seq;
	char	   *entry;
	long		i = 0;
	long		victims = Max(10, n / 20);
	char	   *least = NULL;

	entries = MemoryContextAllocExtended(TopMemoryContext, n * sizeof(char *),
										 MCXT_ALLOC_NO_OOM);
	hash_seq_init(&seq, htab);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		double	   *usage = (double *) (entry + usage_offset);

		if (least == NULL || *usage < *(double *) (least + usage_offset))
			least = entry;
		*usage *= 0.99;
		if (entries != NULL && i < n)
			entries[i++] = entry;
	}
	if (entries == NULL)
	{
		if (least != NULL && hash_search(htab, least, HASH_REMOVE, NULL))
			(*evictions)++;
		return;
	}
	/* sort by the usage, which sits usage_offset into each entry */
	for (long j = 0; j < i; j++)
		entries[j] += usage_offset;
	qsort(entries, i, sizeof(char *), usage_compare);
	victims = Min(victims, i);
	for (long j = 0; j < victims; j++)
	{
		if (hash_search(htab, entries[j] - usage_offset, HASH_REMOVE, NULL))
			(*evictions)++;
	}
	pfree(entries);
}

/* Add the transaction's counters to its tenant's entry. */
static void
add_counters(TenantEntry *entry, TimestampTz now)
{
	SpinLockAcquire(&entry->mutex);
	entry->counters.transactions += local.transactions;
	entry->counters.statements += local.statements;
	entry->counters.rows_returned += local.rows_returned;
	entry->counters.rows_written += local.rows_written;
	entry->counters.total_time += local.total_time;
	if (unlikely(local_refused))
	{
		for (int r = 0; r < RULES; r++)
			entry->counters.refusals[r] += local.refusals[r];
	}
	entry->usage += 1.0;
	entry->last_activity = now;
	SpinLockRelease(&entry->mutex);
}

/*
 * Flush the transaction's counters to its tenant's entry: under a shared
 * lock if the tenant has one, else under an exclusive lock that may evict.
 */
static void
flush(void)
{
	TimestampTz now = GetCurrentTimestamp();
	uint32		hash = tenant_hash(&local_key, local_len);
	TenantEntry *entry;
	bool		found;

	local.transactions = 1;
	local.total_time = (double) (now - GetCurrentTransactionStartTimestamp()) / 1000.0;

	LWLockAcquire(shared->lock, LW_SHARED);
	entry = hash_search_with_hash_value(tenants, &local_key, hash,
										HASH_FIND, NULL);
	if (entry == NULL)
	{
		LWLockRelease(shared->lock);
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		if (hash_get_num_entries(tenants) >= tg_stats_max_tenants)
			tg_stats_evict(tenants, offsetof(TenantEntry, usage),
						   &shared->evictions);
		entry = hash_search_with_hash_value(tenants, &local_key, hash,
											HASH_ENTER_NULL, &found);
		if (entry != NULL && !found)
		{
			memset(&entry->counters, 0, sizeof(entry->counters));
			entry->usage = 0;
			entry->first_activity = now;
			SpinLockInit(&entry->mutex);
		}
	}
	if (entry != NULL)
		add_counters(entry, now);
	LWLockRelease(shared->lock);
}

/*
 * Transaction end (xact_state.c, for the bit that tg_stats_tenant_pinned
 * sets): flush the transaction's counters, and start the next one from
 * zero.
 */
void
tg_stats_xact_end(void)
{
	if (tg_stats_counting && tg_stats && shared != NULL &&
		tg_tenant_signed_as_required())
		flush();
	tg_stats_counting = false;
	local.statements = 0;
	local.rows_returned = 0;
	local.rows_written = 0;
	if (unlikely(local_refused))
	{
		memset(local.refusals, 0, sizeof(local.refusals));
		local_refused = false;
	}
}

/*
 * Transaction abort (xact_state.c, at every one): an error thrown inside
 * the executor left the depth where it was.
 */
void
tg_stats_xact_abort(void)
{
	tg_stats_nesting = 0;
}

/* ExecutorFinish hook: so are those of AFTER triggers, foreign keys' too. */
void
tg_stats_ExecutorFinish(QueryDesc *queryDesc)
{
	bool		entered = tg_stats_enter();

	if (tg_stats_prev_ExecutorFinish)
		tg_stats_prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	tg_stats_leave(entered);
}

/*
 * A statement of a transaction with a tenant ends (executor_guard.c's
 * ExecutorEnd hook, before the executor's state is freed): count it if it
 * is a top-level one, and the rows it returned or wrote.
 */
void
tg_stats_count_statement(QueryDesc *queryDesc)
{
	uint64		rows;

	if (tg_stats_nesting != 0 || queryDesc->estate == NULL)
		return;
	rows = queryDesc->estate->es_processed;
	local.statements++;
	if (queryDesc->operation == CMD_SELECT)
		local.rows_returned += rows;
	else
		local.rows_written += rows;
}

/*
 * Subtransaction callback: note the executor depth at which a
 * subtransaction (a savepoint, an exception block) starts, and restore it
 * when the subtransaction aborts, since the error left it deeper.
 */
void
tg_stats_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (level <= 0 || level >= MAX_SUBXACT_DEPTHS)
		return;
	if (event == SUBXACT_EVENT_START_SUB)
		subxact_nesting[level] = tg_stats_nesting;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		tg_stats_nesting = subxact_nesting[level];
}

/*
 * Members of pg_read_all_stats (and superusers) see every tenant and
 * violation; other roles their own current tenant and their own
 * violations, without the sample statements.
 */
bool
tg_stats_reader_sees_all(void)
{
	return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
}

/* Start a materialized set-returning function's result. */
void
tg_stats_begin_srf(FunctionCallInfo fcinfo, Tuplestorestate **store,
				   TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		elog(ERROR, "set-valued function called in context that cannot accept a set");
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*desc = CreateTupleDescCopy(*desc);
	*store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = *store;
	rsinfo->setDesc = *desc;
}

#define TENANT_STATS_COLS (9 + RULES)

/* Copy an entry of the shared table, its counters under its spinlock. */
static void
copy_entry(TenantEntry *copy, TenantEntry *entry)
{
	copy->key = entry->key;
	SpinLockAcquire(&entry->mutex);
	copy->counters = entry->counters;
	copy->first_activity = entry->first_activity;
	copy->last_activity = entry->last_activity;
	SpinLockRelease(&entry->mutex);
}

/* One row of tenant_stats(), from a copy of an entry. */
static void
put_tenant_row(Tuplestorestate *store, TupleDesc desc,
			   const TenantEntry *entry)
{
	Datum		values[TENANT_STATS_COLS];
	bool		nulls[TENANT_STATS_COLS] = {0};
	TenantCounters c = entry->counters;
	TimestampTz first = entry->first_activity;
	TimestampTz last = entry->last_activity;
	int			i = 0;

	values[i++] = ObjectIdGetDatum(entry->key.dbid);
	values[i++] = CStringGetTextDatum(entry->key.tenant);
	values[i++] = Int64GetDatum(c.transactions);
	values[i++] = Int64GetDatum(c.statements);
	values[i++] = Int64GetDatum(c.rows_returned);
	values[i++] = Int64GetDatum(c.rows_written);
	values[i++] = Float8GetDatum(c.total_time);
	for (int r = 1; r < RULES; r++)
		values[i++] = Int64GetDatum(c.refusals[r]);
	values[i++] = Int64GetDatum(c.refusals[0]);
	values[i++] = TimestampTzGetDatum(first);
	values[i++] = TimestampTzGetDatum(last);
	Assert(i == TENANT_STATS_COLS);
	tuplestore_putvalues(store, desc, values, nulls);
}

/*
 * A reader inside the rules got a row of its tenant from one of the views
 * (its name): like rows read from a table with row-level security, they
 * must not outlive the transaction in a cursor kept past COMMIT, which the
 * next request on a pooled connection could fetch (executor_guard.c).
 */
void
tg_stats_note_tenant_read(FunctionCallInfo fcinfo, const char *view)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid = get_relname_relid(view, nsp);

	tg_tenant_note_read(OidIsValid(relid) ? relid : fcinfo->flinfo->fn_oid);
}

/*
 * Copy the entries a reader sees: every one, or the one of its own tenant
 * (own) in the current database.  The shared lock is held only for the
 * copy, not while the rows are built: readers that keep it long starve the
 * transactions that need it exclusively, to add a tenant, as they commit.
 */
static long
copy_entries(const char *own, TenantEntry **copies)
{
	long		n = 0;

	LWLockAcquire(shared->lock, LW_SHARED);
	if (own == NULL)
	{
		HASH_SEQ_STATUS seq;
		TenantEntry *entry;

		*copies = palloc(Max(hash_get_num_entries(tenants), 1) *
						 sizeof(TenantEntry));
		hash_seq_init(&seq, tenants);
		while ((entry = hash_seq_search(&seq)) != NULL)
			copy_entry(&(*copies)[n++], entry);
	}
	else
	{
		TenantKey	key;
		TenantEntry *entry;

		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		strlcpy(key.tenant, own, TENANT_LEN);
		*copies = palloc(sizeof(TenantEntry));
		entry = hash_search(tenants, &key, HASH_FIND, NULL);
		if (entry != NULL)
			copy_entry(&(*copies)[n++], entry);
	}
	LWLockRelease(shared->lock);
	return n;
}

/*
 * tenant_guard.tenant_stats(): a row per (database, tenant); for a role
 * without pg_read_all_stats, only its transaction's current tenant in the
 * current database, if the rules let it use that tenant.
 */
Datum
tenant_guard_tenant_stats(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	TenantEntry *copies;
	long		n;
	bool		all;
	const char *own;

	require_shared();
	all = tg_stats_reader_sees_all();
	own = all ? NULL : tg_stats_reader_tenant();
	tg_stats_begin_srf(fcinfo, &store, &desc);
	if (!all && (own == NULL || strlen(own) >= TENANT_LEN))
		return (Datum) 0;

	n = copy_entries(own, &copies);
	for (long i = 0; i < n; i++)
		put_tenant_row(store, desc, &copies[i]);
	pfree(copies);
	if (!all && n > 0)
		tg_stats_note_tenant_read(fcinfo, "tenant_stats");
	return (Datum) 0;
}

/*
 * tenant_guard.stats_reset(): forget every tenant and violation.  EXECUTE
 * is the superuser's, and of the roles granted it.
 */
Datum
tenant_guard_stats_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS seq;
	TenantEntry *entry;

	require_shared();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, tenants);
	while ((entry = hash_seq_search(&seq)) != NULL)
		hash_search(tenants, &entry->key, HASH_REMOVE, NULL);
	tg_violations_reset();
	shared->evictions = 0;
	shared->reset_time = GetCurrentTimestamp();
	LWLockRelease(shared->lock);
	PG_RETURN_VOID();
}

/*
 * tenant_guard.stats_info(): tenants and violations kept and evicted, and
 * when the statistics were last reset.
 */
Datum
tenant_guard_stats_info(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {0};

	require_shared();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	LWLockAcquire(shared->lock, LW_SHARED);
	values[0] = Int64GetDatum(hash_get_num_entries(tenants));
	values[1] = Int64GetDatum(shared->evictions);
	values[2] = Int64GetDatum(tg_violations_count());
	values[3] = Int64GetDatum(tg_violations_evictions());
	values[4] = Int32GetDatum(tg_stats_max_tenants);
	values[5] = TimestampTzGetDatum(shared->reset_time);
	LWLockRelease(shared->lock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*-------------------------------------------------------------------------
 *
 * violations.c
 *	  Each distinct violation of the rules, counted in shared memory.
 *
 * In warn mode the guard's only output used to be a WARNING per statement
 * in the server log; the view tenant_guard.violations aggregates them: one
 * row per distinct violation (what is refused, by whom, about which table
 * or setting, by which query, in which mode) with its count, first and
 * last time, and one sample statement.  In warn mode it is the list of
 * what enforcing would refuse; in enforce mode it shows who keeps hitting
 * the guard.
 *
 * Every verdict that refuses passes through report.c, which calls
 * tg_violation_note() before it words it: the one place to count.  A
 * violation is rare and already costs an ereport, so it goes to shared
 * memory at once (under the lock tenant_stats.c shares, exclusively only
 * for a new entry), and survives the abort its error causes.  The table is
 * bounded by tenant_guard.stats_max_tenants, evicting the least frequent,
 * as tenant_stats.c does.
 *
 * With tenant_guard.log_violations, each violation also writes one LOG
 * line of key=value pairs (report.c words it), for log pipelines.
 *
 * src/violations.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "report.h"
#include "tenant_stats.h"
#include "violations.h"

TG_FUNCTION_INFO_V1(tenant_guard_violations);

bool		tg_log_violations = false;

/* The table or setting, as messages name it; a sample statement. */
#define OBJECT_LEN 128
#define SAMPLE_LEN 256

typedef struct ViolationKey
{
	Oid			dbid;
	Oid			userid;
	uint64		queryid;
	int32		refusal;		/* TgRefusal */
	bool		warn;			/* reported in warn mode */
	char		object[OBJECT_LEN];
} ViolationKey;

typedef struct ViolationEntry
{
	ViolationKey key;			/* first: the hash table's key */
	double		usage;			/* what eviction compares */
	slock_t		mutex;			/* protects what follows */
	int64		count;
	TimestampTz first_seen;
	TimestampTz last_seen;
	char		sample[SAMPLE_LEN];
} ViolationEntry;

typedef struct ViolationsShared
{
	int64		evictions;
} ViolationsShared;

static ViolationsShared *vshared = NULL;
static HTAB *violations = NULL;

Size
tg_violations_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(ViolationsShared)),
					hash_estimate_size(tg_stats_max_tenants,
									   sizeof(ViolationEntry)));
}

/* Called by tenant_stats.c's shmem_startup_hook, under AddinShmemInitLock. */
void
tg_violations_shmem_startup(void)
{
	HASHCTL		info;
	bool		found;

	vshared = ShmemInitStruct("tenant_guard violations info",
							  sizeof(ViolationsShared), &found);
	if (!found)
		vshared->evictions = 0;
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(ViolationKey);
	info.entrysize = sizeof(ViolationEntry);
	violations = ShmemInitHash("tenant_guard violations",
							   tg_stats_max_tenants, tg_stats_max_tenants,
							   &info, HASH_ELEM | HASH_BLOBS);
}

/* Under the lock, held exclusively (stats_reset()). */
void
tg_violations_reset(void)
{
	HASH_SEQ_STATUS seq;
	ViolationEntry *entry;

	hash_seq_init(&seq, violations);
	while ((entry = hash_seq_search(&seq)) != NULL)
		hash_search(violations, &entry->key, HASH_REMOVE, NULL);
	vshared->evictions = 0;
}

/* Under the lock. */
int64
tg_violations_count(void)
{
	return hash_get_num_entries(violations);
}

int64
tg_violations_evictions(void)
{
	return vshared->evictions;
}

/* Copy a string into a fixed buffer, cut at a character boundary. */
static void
copy_clipped(char *dst, const char *src, int size)
{
	int			len = strlen(src);

	if (len >= size)
		len = pg_mbcliplen(src, len, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Count a violation in the shared table. */
static void
count_violation(const ViolationKey *key)
{
	ViolationEntry *entry;
	TimestampTz now = GetCurrentTimestamp();
	bool		found;

	LWLockAcquire(tg_stats_lock(), LW_SHARED);
	entry = hash_search(violations, key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		LWLockRelease(tg_stats_lock());
		LWLockAcquire(tg_stats_lock(), LW_EXCLUSIVE);
		if (hash_get_num_entries(violations) >= tg_stats_max_tenants)
			tg_stats_evict(violations, offsetof(ViolationEntry, usage),
						   &vshared->evictions);
		entry = hash_search(violations, key, HASH_ENTER_NULL, &found);
		if (entry != NULL && !found)
		{
			entry->usage = 0;
			entry->count = 0;
			entry->first_seen = now;
			SpinLockInit(&entry->mutex);
			copy_clipped(entry->sample,
						 debug_query_string ? debug_query_string : "",
						 SAMPLE_LEN);
		}
	}
	if (entry != NULL)
	{
		SpinLockAcquire(&entry->mutex);
		entry->count++;
		entry->usage += 1.0;
		entry->last_seen = now;
		SpinLockRelease(&entry->mutex);
	}
	LWLockRelease(tg_stats_lock());
}

/*
 * A verdict refuses (report.c is about to word it): count it in the
 * shared table and for the transaction's tenant, and log it if asked.
 */
void
tg_violation_note(const TgVerdict *v)
{
	int			rule;
	const char *name;
	const char *sqlstate;
	const char *object = v->rel ? v->rel : v->name ? v->name : "";
	ViolationKey key;

	if (!tg_stats && !tg_log_violations)
		return;
	tg_refusal_kind(v->refusal, &rule, &name, &sqlstate);
	if (tg_stats && tg_stats_attach())
	{
		tg_stats_count_refusal(rule);
		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.userid = GetUserId();
		key.queryid = pgstat_get_my_query_id();
		key.refusal = (int32) v->refusal;
		key.warn = v->as_warning;
		copy_clipped(key.object, object, OBJECT_LEN);
		count_violation(&key);
	}
	if (tg_log_violations)
	{
		const char *role;
		const char *database;

		tg_stats_names(&role, &database);
		tg_report_violation_log(rule, name, sqlstate,
								v->as_warning ? "warn" : "enforce",
								role, database, object,
								pgstat_get_my_query_id(),
								tg_stats_current_tenant(), MyProcPid);
	}
}

/* tenant_guard.log_violations */
void
tg_violations_define_settings(void)
{
	DefineCustomBoolVariable("tenant_guard.log_violations",
							 "Logs one structured line per violation of the rules.",
							 "key=value pairs: rule, refusal, SQLSTATE, mode, role, database, object, query id, tenant, pid.",
							 &tg_log_violations, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
}

#define VIOLATIONS_COLS 12

/* One row of violations(); the sample only for those who see all. */
static void
put_violation_row(Tuplestorestate *store, TupleDesc desc,
				  ViolationEntry *entry, bool all)
{
	Datum		values[VIOLATIONS_COLS];
	bool		nulls[VIOLATIONS_COLS] = {0};
	int			rule;
	const char *name;
	const char *sqlstate;
	int64		count;
	TimestampTz first;
	TimestampTz last;
	int			i = 0;

	SpinLockAcquire(&entry->mutex);
	count = entry->count;
	first = entry->first_seen;
	last = entry->last_seen;
	SpinLockRelease(&entry->mutex);

	tg_refusal_kind((TgRefusal) entry->key.refusal, &rule, &name, &sqlstate);
	values[i++] = ObjectIdGetDatum(entry->key.dbid);
	values[i++] = ObjectIdGetDatum(entry->key.userid);
	values[i++] = CStringGetTextDatum(rule == 0 ? "drift" : psprintf("%d", rule));
	values[i++] = CStringGetTextDatum(name);
	values[i++] = CStringGetTextDatum(sqlstate);
	values[i++] = CStringGetTextDatum(entry->key.object);
	nulls[i] = entry->key.queryid == 0;
	values[i++] = Int64GetDatum((int64) entry->key.queryid);
	values[i++] = CStringGetTextDatum(entry->key.warn ? "warn" : "enforce");
	values[i++] = Int64GetDatum(count);
	values[i++] = TimestampTzGetDatum(first);
	values[i++] = TimestampTzGetDatum(last);
	nulls[i] = !all;
	values[i++] = all ? CStringGetTextDatum(entry->sample) : (Datum) 0;
	Assert(i == VIOLATIONS_COLS);
	tuplestore_putvalues(store, desc, values, nulls);
}

/*
 * tenant_guard.violations(): a row per distinct violation; for a role
 * without pg_read_all_stats, only its own in the current database, without
 * the sample statement (which may carry another tenant's values).
 */
Datum
tenant_guard_violations(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	HASH_SEQ_STATUS seq;
	ViolationEntry *entry;
	bool		all;
	Oid			self = GetUserId();

	if (!tg_stats_attach())
		tg_report_stats_not_loaded();
	all = tg_stats_reader_sees_all();
	tg_stats_begin_srf(fcinfo, &store, &desc);

	LWLockAcquire(tg_stats_lock(), LW_SHARED);
	hash_seq_init(&seq, violations);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (!all && (entry->key.dbid != MyDatabaseId ||
					 entry->key.userid != self))
			continue;
		put_violation_row(store, desc, entry, all);
	}
	LWLockRelease(tg_stats_lock());
	return (Datum) 0;
}

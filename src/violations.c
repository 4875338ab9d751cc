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
 * the guard.  A row carries the transaction's tenant, if it had one (a
 * signed one, if tenant_guard.require_signed_tenant asks for it): a role
 * outside pg_read_all_stats sees only its own violations under its current
 * tenant, as it sees only that tenant's row of tenant_stats.  The sample
 * statement is kept with what looks like a signed tenant token replaced,
 * and shown to pg_read_all_stats only.
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

#include "common/hashfn.h"
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
#include "token.h"
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
	char		tenant[TG_STATS_TENANT_LEN];	/* "" for none */
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

/* Base64url, the alphabet of a token's three parts. */
static inline bool
is_base64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The length of a run of base64url characters at s. */
static int
base64url_run(const char *s)
{
	int			n = 0;

	while (is_base64url(s[n]))
		n++;
	return n;
}

/*
 * The least lengths of a compact JWS's parts in base64url: a header of at
 * least {"alg":"..."}, claims with at least exp, and an HS256 or EdDSA
 * signature (43 and 86 characters).
 */
#define JWS_MIN_HEADER 10
#define JWS_MIN_CLAIMS 10
#define JWS_MIN_SIGNATURE 40

/*
 * Replace in place what looks like a compact JWS, a signed tenant token
 * (token.c): three dot-separated runs of base64url characters, long enough
 * to be a header, claims and a signature, whatever the header says, and
 * every dot-separated run that follows them.  A sample statement must not
 * keep a token, which another request could replay until it expires.  A
 * token may come after a run and a dot ("acme_prod." in front of it), which
 * are then taken for its header, its header for its claims and its claims
 * for its signature: the runs that follow are its signature.  Each run is
 * looked at from its start only, so the scan is linear.
 */
static void
redact_tokens(char *s)
{
	const char *in = s;
	char	   *out = s;

	while (*in != '\0')
	{
		int			a,
					b = 0,
					c = 0;

		if (!is_base64url(*in))
		{
			*out++ = *in++;
			continue;
		}
		a = base64url_run(in);
		if (a >= JWS_MIN_HEADER && in[a] == '.' &&
			(b = base64url_run(in + a + 1)) >= JWS_MIN_CLAIMS &&
			in[a + 1 + b] == '.' &&
			(c = base64url_run(in + a + b + 2)) >= JWS_MIN_SIGNATURE)
		{
			memcpy(out, "<token>", 7);
			out += 7;
			in += a + b + c + 2;
			while (in[0] == '.' && is_base64url(in[1]))
				in += 1 + base64url_run(in + 1);
		}
		else
		{
			memmove(out, in, a);
			out += a;
			in += a;
		}
	}
	*out = '\0';
}

/* Does the statement call set_tenant_token(), whatever the case? */
static bool
mentions_token_function(const char *s)
{
	static const char name[] = "set_tenant_token";

	for (; *s != '\0'; s++)
	{
		if (pg_strncasecmp(s, name, sizeof(name) - 1) == 0)
			return true;
	}
	return false;
}

/*
 * The statement text, as far as a sample would look at it, that last
 * called set_tenant_token(): its hash and length.  A statement is known by
 * its text, not by the pointer debug_query_string: the text of a protocol
 * message lives in memory the next message reuses, and one message may run
 * several statements (and transactions) that share its text.
 */
static bool token_query_known = false;
static uint32 token_query_hash;
static size_t token_query_len;

/* The hash of the first len bytes of a statement's text. */
static uint32
query_text_hash(const char *text, size_t len)
{
	return hash_bytes((const unsigned char *) text, (int) len);
}

/*
 * set_tenant_token() is called: remember the statement, valid token or
 * not.  A function of the application's own may call it for the statement
 * with a token in pieces, which neither names the function nor matches the
 * token pattern, and then hit a violation that would keep the statement
 * as its sample.
 */
void
tg_violation_token_passed(void)
{
	const char *query = debug_query_string ? debug_query_string : "";

	token_query_len = strnlen(query, SAMPLE_LEN + TG_TOKEN_MAX_LEN);
	token_query_hash = query_text_hash(query, token_query_len);
	token_query_known = true;
}

/* Did the statement whose text is copy call set_tenant_token()? */
static bool
passed_a_token(const char *copy)
{
	size_t		len = strlen(copy);

	return token_query_known && len == token_query_len &&
		query_text_hash(copy, len) == token_query_hash;
}

/*
 * The sample of a violation: the start of the statement, its tokens
 * replaced, cut at a character boundary; none of a statement that called
 * set_tenant_token() (known by its text, since a function of the
 * application's own may call it for the statement) or that names it,
 * whose argument may be a token built in pieces (concatenation, escapes)
 * that no pattern recognises.
 */
static void
keep_sample(char *sample)
{
	const char *query = debug_query_string ? debug_query_string : "";
	char	   *copy = pnstrdup(query, SAMPLE_LEN + TG_TOKEN_MAX_LEN);

	if (passed_a_token(copy) || mentions_token_function(copy))
	{
		strlcpy(sample, "<a statement calling set_tenant_token(), not kept>",
				SAMPLE_LEN);
		pfree(copy);
		return;
	}
	redact_tokens(copy);
	copy_clipped(sample, copy, SAMPLE_LEN);
	pfree(copy);
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
		char		sample[SAMPLE_LEN];

		LWLockRelease(tg_stats_lock());
		/* a new violation's sample, made with no lock held: it may fail */
		keep_sample(sample);
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
			memcpy(entry->sample, sample, SAMPLE_LEN);
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
	const char *tenant = tg_stats_current_tenant();
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
		if (tenant != NULL)
			strlcpy(key.tenant, tenant, sizeof(key.tenant));
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
								pgstat_get_my_query_id(), tenant, MyProcPid);
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

#define VIOLATIONS_COLS 13

/* Copy an entry of the shared table, its counts under its spinlock. */
static void
copy_entry(ViolationEntry *copy, ViolationEntry *entry)
{
	copy->key = entry->key;
	memcpy(copy->sample, entry->sample, SAMPLE_LEN);
	SpinLockAcquire(&entry->mutex);
	copy->count = entry->count;
	copy->first_seen = entry->first_seen;
	copy->last_seen = entry->last_seen;
	SpinLockRelease(&entry->mutex);
}

/*
 * Does a reader outside pg_read_all_stats see a violation: its own, in the
 * current database, under its current tenant (own, which it may use)?
 */
static inline bool
reader_sees(const ViolationKey *key, Oid self, const char *own)
{
	return key->dbid == MyDatabaseId && key->userid == self &&
		own != NULL && strcmp(key->tenant, own) == 0;
}

/*
 * Copy the violations a reader sees: all (own is NULL), or its own.  The
 * shared lock is held only for the copy (see tenant_stats.c).
 */
static long
copy_entries(Oid self, const char *own, ViolationEntry **copies)
{
	HASH_SEQ_STATUS seq;
	ViolationEntry *entry;
	long		n = 0;
	long		size;

	LWLockAcquire(tg_stats_lock(), LW_SHARED);
	/* room for all, or for a reader's few, grown as they come */
	size = own == NULL ? Max(hash_get_num_entries(violations), 1) : 8;
	*copies = palloc(size * sizeof(ViolationEntry));
	hash_seq_init(&seq, violations);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (own != NULL && !reader_sees(&entry->key, self, own))
			continue;
		if (n == size)
		{
			size *= 2;
			*copies = repalloc(*copies, size * sizeof(ViolationEntry));
		}
		copy_entry(&(*copies)[n++], entry);
	}
	LWLockRelease(tg_stats_lock());
	return n;
}

/* One row of violations(), from a copy; the sample only for all. */
static void
put_violation_row(Tuplestorestate *store, TupleDesc desc,
				  const ViolationEntry *entry, bool all)
{
	Datum		values[VIOLATIONS_COLS];
	bool		nulls[VIOLATIONS_COLS] = {0};
	int			rule;
	const char *name;
	const char *sqlstate;
	int			i = 0;

	tg_refusal_kind((TgRefusal) entry->key.refusal, &rule, &name, &sqlstate);
	values[i++] = ObjectIdGetDatum(entry->key.dbid);
	values[i++] = ObjectIdGetDatum(entry->key.userid);
	nulls[i] = entry->key.tenant[0] == '\0';
	values[i++] = CStringGetTextDatum(entry->key.tenant);
	values[i++] = CStringGetTextDatum(rule == 0 ? "drift" : psprintf("%d", rule));
	values[i++] = CStringGetTextDatum(name);
	values[i++] = CStringGetTextDatum(sqlstate);
	values[i++] = CStringGetTextDatum(entry->key.object);
	nulls[i] = entry->key.queryid == 0;
	values[i++] = Int64GetDatum((int64) entry->key.queryid);
	values[i++] = CStringGetTextDatum(entry->key.warn ? "warn" : "enforce");
	values[i++] = Int64GetDatum(entry->count);
	values[i++] = TimestampTzGetDatum(entry->first_seen);
	values[i++] = TimestampTzGetDatum(entry->last_seen);
	nulls[i] = !all;
	values[i++] = all ? CStringGetTextDatum(entry->sample) : (Datum) 0;
	Assert(i == VIOLATIONS_COLS);
	tuplestore_putvalues(store, desc, values, nulls);
}

/*
 * tenant_guard.violations(): a row per distinct violation; for a role
 * without pg_read_all_stats, only its own in the current database under
 * its current tenant (none without one), without the sample statement
 * (which may carry another request's values).
 */
Datum
tenant_guard_violations(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	ViolationEntry *copies;
	long		n;
	bool		all;
	const char *own = NULL;

	if (!tg_stats_attach())
		tg_report_stats_not_loaded();
	all = tg_stats_reader_sees_all();
	if (!all)
		own = tg_stats_reader_tenant();
	tg_stats_begin_srf(fcinfo, &store, &desc);
	if (!all && own == NULL)
		return (Datum) 0;

	n = copy_entries(GetUserId(), own, &copies);
	for (long i = 0; i < n; i++)
		put_violation_row(store, desc, &copies[i], all);
	pfree(copies);
	if (!all && n > 0)
		tg_stats_note_tenant_read(fcinfo, "violations");
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 *
 * token_keys.c
 *	  The keys signed tenant tokens are verified with.
 *
 * Two settings, superuser-only and reloadable (PGC_SIGHUP, so they cannot
 * be stored per role or database, nor set in a session):
 *
 *	tenant_guard.token_secret		HS256 secrets
 *	tenant_guard.token_public_key	Ed25519 public keys, PEM
 *
 * Each is a comma-separated list of up to TG_TOKEN_MAX_KEYS entries,
 * "kid:key" or "key": a token whose header names a kid is verified with the
 * entry of that kid only; a token without one with each entry in turn,
 * which is how a key is rotated (README, "Signed tenant context").  A key
 * that starts with '/' is the absolute path of a file holding it: a secret
 * given so never appears in the configuration, and so not in the server
 * log, where PostgreSQL writes a reloaded setting's new value.  A public
 * key is a PEM "PUBLIC KEY" block, inline (newlines may be left out) or in
 * a file.
 *
 * The check hooks parse the value into a flat block (the setting's
 * "extra", allocated as GUC wants it: tg_guc_extra_alloc()), reading files and decoding PEM once per reload rather than
 * per token.  They never refuse a value: PostgreSQL's message for a
 * refused value quotes it, and the value is a secret.  A value that does
 * not parse is kept with its error, and every token is refused with that
 * error, which names the entry by number only.  The show hooks print how
 * many keys there are, never a key, for SHOW and current_setting() of
 * the roles (pg_read_all_settings) that may read superuser-only settings.
 *
 * src/token_keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/stringinfo.h"

#include "compat.h"
#include "token_keys.h"

char	   *tg_token_secret = NULL;
char	   *tg_token_public_key = NULL;

static TgTokenKeySet *secret_keys = NULL;
static TgTokenKeySet *public_keys = NULL;

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"
#define KEY_FILE_MAX 8192

/* Record a parse error; the first one found is kept. */
static bool
key_error(TgTokenKeySet *set, int entry, const char *error)
{
	if (set->error == NULL)
	{
		set->error = error;
		set->error_entry = entry;
	}
	return false;
}

static bool
is_kid_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/*
 * Read a key file into buf (at most KEY_FILE_MAX bytes); its length, or -1.
 * Plain stdio: the check hook runs in the postmaster too.
 */
static int
read_key_file(const char *path, char *buf)
{
	FILE	   *f = fopen(path, "rb");
	size_t		n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, KEY_FILE_MAX, f);
	if (ferror(f) || fgetc(f) != EOF)
		n = (size_t) -1;
	fclose(f);
	return n == (size_t) -1 ? -1 : (int) n;
}

/*
 * An HS256 secret: its bytes as written (a trailing line end of a file
 * aside), at least TG_TOKEN_SECRET_MIN of them.
 */
static bool
parse_secret(TgTokenKeySet *set, int entry, TgTokenKey *key,
			 const char *value, int len)
{
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
		len--;
	if (len < TG_TOKEN_SECRET_MIN)
		return key_error(set, entry, "An HS256 secret must be at least 32 bytes long.");
	if (len > TG_TOKEN_KEY_MAX)
		return key_error(set, entry, "An HS256 secret must be at most 512 bytes long.");
	memcpy(key->bytes, value, len);
	key->len = len;
	return true;
}

/*
 * An Ed25519 public key from a PEM "PUBLIC KEY" block, whose base64 body
 * may come without its line breaks (a one-line setting): the body is
 * written out again in lines before OpenSSL reads it.
 */
static bool
parse_public_key(TgTokenKeySet *set, int entry, TgTokenKey *key,
				 const char *value, int len)
{
	const char *begin = strstr(value, PEM_BEGIN);
	const char *end = strstr(value, PEM_END);
	StringInfoData pem;
	int			col = 0;
	BIO		   *bio;
	EVP_PKEY   *pkey;
	size_t		rawlen = TG_ED25519_KEY_LEN;
	bool		ok = false;

	if (begin == NULL || end == NULL || end < begin ||
		end - value >= (ptrdiff_t) len)
		return key_error(set, entry, "A public key must be a PEM block from \"-----BEGIN PUBLIC KEY-----\" to \"-----END PUBLIC KEY-----\", or the absolute path of a file holding one.");
	initStringInfo(&pem);
	appendStringInfoString(&pem, PEM_BEGIN "\n");
	for (const char *p = begin + strlen(PEM_BEGIN); p < end; p++)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		appendStringInfoChar(&pem, *p);
		if (++col % 64 == 0)
			appendStringInfoChar(&pem, '\n');
	}
	appendStringInfoString(&pem, "\n" PEM_END "\n");

	bio = BIO_new_mem_buf(pem.data, pem.len);
	pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	if (pkey != NULL && EVP_PKEY_id(pkey) == EVP_PKEY_ED25519 &&
		EVP_PKEY_get_raw_public_key(pkey, key->bytes, &rawlen) == 1 &&
		rawlen == TG_ED25519_KEY_LEN)
	{
		key->len = TG_ED25519_KEY_LEN;
		ok = true;
	}
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	pfree(pem.data);
	if (!ok)
		return key_error(set, entry, "The PEM block is not an Ed25519 public key.");
	return true;
}

/*
 * One entry, "kid:key" or "key" (start and len, without the comma and the
 * surrounding blanks).  A key id is 1 to 64 characters of [A-Za-z0-9._-].
 */
static bool
parse_entry(TgTokenKeySet *set, int entry, const char *start, int len)
{
	TgTokenKey *key = &set->keys[set->nkeys];
	int			kidlen = 0;
	char	   *value;
	char	   *filebuf = NULL;
	int			vlen;
	bool		ok;

	while (kidlen < len && is_kid_char(start[kidlen]))
		kidlen++;
	if (kidlen < len && start[kidlen] == ':' && kidlen > 0)
	{
		if (kidlen > TG_TOKEN_KID_MAX)
			return key_error(set, entry, "A key id must be at most 64 characters long.");
		memcpy(key->kid, start, kidlen);
		key->kid[kidlen] = '\0';
		key->has_kid = true;
		start += kidlen + 1;
		len -= kidlen + 1;
	}
	for (int i = 0; i < set->nkeys; i++)
		if (key->has_kid && set->keys[i].has_kid &&
			strcmp(set->keys[i].kid, key->kid) == 0)
			return key_error(set, entry, "Two entries have the same key id.");

	value = pnstrdup(start, len);
	vlen = len;
	if (value[0] == '/')
	{
		filebuf = palloc(KEY_FILE_MAX + 1);
		vlen = read_key_file(value, filebuf);
		if (vlen < 0)
		{
			pfree(filebuf);
			pfree(value);
			return key_error(set, entry, "The key file cannot be read, or is larger than 8 kB.");
		}
		filebuf[vlen] = '\0';
	}
	if (set->kind == TG_KEY_HS256)
		ok = parse_secret(set, entry, key, filebuf ? filebuf : value, vlen);
	else
		ok = parse_public_key(set, entry, key, filebuf ? filebuf : value, vlen);
	if (filebuf)
	{
		explicit_bzero(filebuf, KEY_FILE_MAX + 1);
		pfree(filebuf);
	}
	explicit_bzero(value, len);
	pfree(value);
	if (ok)
		set->nkeys++;
	return ok;
}

/* Parse a whole setting into set. */
static void
parse_keys(TgTokenKeySet *set, const char *value)
{
	const char *p = value ? value : "";
	int			entry = 0;

	while (*p != '\0')
	{
		const char *start;
		const char *stop;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		stop = p;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t' ||
								stop[-1] == '\n' || stop[-1] == '\r'))
			stop--;
		if (*p == ',')
			p++;
		entry++;
		if (stop == start)
		{
			if (*p != '\0' || entry > 1)
				key_error(set, entry, "An entry is empty.");
			continue;
		}
		if (set->nkeys == TG_TOKEN_MAX_KEYS)
		{
			key_error(set, entry, "At most 8 keys may be given.");
			break;
		}
		if (!parse_entry(set, entry, start, stop - start))
			break;
	}
}

/*
 * Check hook of both settings: parse the value into a new extra block, and
 * keep the value itself out of the variable, which then always holds the
 * empty string.  PostgreSQL logs "parameter ... changed to ..." with the
 * configuration file's text when a reload changes a variable's value:
 * with the value always the same, it never does, and an inline secret never
 * reaches the server log (nor a parallel worker, which is sent the
 * variables' values).  SHOW prints the count of keys (show_keys()).
 * Returns false only when out of memory, which quotes nothing.
 */
static bool
check_keys(TgKeyKind kind, char **newval, void **extra)
{
	TgTokenKeySet *set = tg_guc_extra_alloc(sizeof(TgTokenKeySet));

	if (set == NULL)
		return false;
	memset(set, 0, sizeof(TgTokenKeySet));
	set->kind = kind;
	parse_keys(set, *newval);
	*extra = set;
	if (*newval != NULL && (*newval)[0] != '\0')
		tg_guc_replace_string(newval, "");
	return true;
}

bool
tg_check_token_secret(char **newval, void **extra, GucSource source)
{
	return check_keys(TG_KEY_HS256, newval, extra);
}

bool
tg_check_token_public_key(char **newval, void **extra, GucSource source)
{
	return check_keys(TG_KEY_ED25519, newval, extra);
}

void
tg_assign_token_secret(const char *newval, void *extra)
{
	secret_keys = (TgTokenKeySet *) extra;
}

void
tg_assign_token_public_key(const char *newval, void *extra)
{
	public_keys = (TgTokenKeySet *) extra;
}

/* What SHOW prints: how many keys, never one. */
static const char *
show_keys(const TgTokenKeySet *set)
{
	static char buf[64];

	if (set == NULL || (set->nkeys == 0 && set->error == NULL))
		return "";
	if (set->error != NULL)
		return "(invalid)";
	snprintf(buf, sizeof(buf), "(%d key%s)", set->nkeys,
			 set->nkeys == 1 ? "" : "s");
	return buf;
}

const char *
tg_show_token_secret(void)
{
	return show_keys(secret_keys);
}

const char *
tg_show_token_public_key(void)
{
	return show_keys(public_keys);
}

/* The keys of a kind, as last loaded (NULL before the settings exist). */
const TgTokenKeySet *
tg_token_keyset(TgKeyKind kind)
{
	return kind == TG_KEY_HS256 ? secret_keys : public_keys;
}

/*-------------------------------------------------------------------------
 *
 * token.c
 *	  Verify a signed tenant token: a JSON Web Token (RFC 7519) in JWS
 *	  compact form, signed with HS256 or EdDSA (Ed25519).
 *
 * The token arrives from the application, so everything in it is
 * attacker-controlled until the signature has been checked, and a refusal
 * must not leak the key nor let a crafted token crash the backend or raise
 * an error of PostgreSQL's own.  So, in this order:
 *
 *	- a token longer than TG_TOKEN_MAX_LEN is refused before it is read;
 *	- it must be three non-empty parts of strict base64url (no padding, no
 *	  other characters, no non-zero bits left over: one token has exactly
 *	  one spelling), separated by dots;
 *	- the header must be valid UTF-8 JSON (PostgreSQL's parser, after a
 *	  scan that bounds its nesting and refuses what it would raise an
 *	  error for), an object without duplicate members, whose alg is HS256
 *	  or EdDSA; any other, "none" included, is refused, and so is a "crit"
 *	  member (extensions we do not implement);
 *	- the key comes from the setting of the algorithm only (a secret for
 *	  HS256, a public key for EdDSA: no key is ever used for the other
 *	  algorithm), the entry of the header's kid, or each entry in turn when
 *	  there is none; keys named in the header (jwk, jku, x5u, x5c) are
 *	  ignored;
 *	- the signature over the first two parts is checked with PostgreSQL's
 *	  HMAC and a constant-time comparison, or OpenSSL's Ed25519;
 *	- only then are the claims parsed: exp is required, nbf and iat are
 *	  honoured (TG_TOKEN_CLOCK_SKEW seconds of clock difference allowed
 *	  for them, none for exp), exp - iat (exp - now without iat) may not
 *	  exceed tenant_guard.token_max_age, aud must name
 *	  tenant_guard.token_audience when that is set, and the tenant claim
 *	  (tenant_guard.token_tenant_claim) must be a non-empty string or an
 *	  integer.
 *
 * Nothing here reports: the result says what was refused, and report.c
 * words it (never quoting a key, and quoting from the token only short
 * printable values: alg and kid).  Everything is allocated in the
 * caller's memory context.
 *
 * src/token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "mb/pg_wchar.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "token.h"

/* tenant_guard.token_tenant_claim, token_audience, token_max_age */
char	   *tg_token_tenant_claim = NULL;
char	   *tg_token_audience = NULL;
int			tg_token_max_age = 300;

#define HS256_LEN 32

/* The top-level members of a JSON object, and what the parse found. */
typedef struct MemberState
{
	JsonLexContext *lex;
	const char *audience;		/* look for it in an "aud" array */
	bool		not_object;
	bool		duplicate;
	bool		aud_found;
	int			n;
	int			cap;
	TgTokenClaim *members;
	JsonTokenType *types;
	const char *value_start;
} MemberState;

/* Value of a base64url character, or -1. */
static inline int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode strict base64url (RFC 7515 section 2: no padding) into a palloc'd
 * buffer; its length, or -1 for anything but the one canonical spelling of
 * some bytes.  Not cryptography: a spelling check, which also keeps a
 * token from being altered without changing what it decodes to.
 */
static int
b64url_decode(const char *src, int len, uint8 **dst)
{
	uint32		acc = 0;
	int			bits = 0;
	int			out = 0;
	uint8	   *buf;

	if (len <= 0 || len % 4 == 1)
		return -1;
	buf = palloc(len * 3 / 4 + 1);
	for (int i = 0; i < len; i++)
	{
		int			v = b64url_value((unsigned char) src[i]);

		if (v < 0)
			return -1;
		acc = ((acc << 6) | (uint32) v) & 0xFFFF;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			buf[out++] = (uint8) (acc >> bits);
		}
	}
	if ((acc & ((1U << bits) - 1)) != 0)
		return -1;
	buf[out] = '\0';
	*dst = buf;
	return out;
}

static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Is json (decoded from a token) fit for PostgreSQL's parser: valid UTF-8
 * without NUL bytes, nested no deeper than TG_TOKEN_MAX_DEPTH (the parser
 * recurses, and raises its own error at the stack limit), and without a
 * non-ASCII character, raw or as a \u escape, unless the database is in
 * UTF-8?  (PostgreSQL 14 and 15 raise an error converting such an escape,
 * and a raw one would reach tenant() and claim() as UTF-8 bytes that are
 * not text in the database's encoding.)
 */
static bool
json_fit(const char *json, int len)
{
	bool		in_string = false;
	int			depth = 0;
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);

	if (memchr(json, '\0', len) != NULL ||
		!pg_verify_mbstr(PG_UTF8, json, len, true))
		return false;
	for (int i = 0; i < len; i++)
	{
		char		c = json[i];

		if (IS_HIGHBIT_SET(c) && !utf8)
			return false;
		if (in_string)
		{
			if (c == '"')
				in_string = false;
			else if (c == '\\' && i + 1 < len)
			{
				if (json[++i] == 'u')
				{
					int			cp = 0;

					for (int k = 1; k <= 4; k++)
					{
						int			h = (i + k < len) ? hex_value(json[i + k]) : -1;

						if (h < 0)
							return false;
						cp = cp * 16 + h;
					}
					if (cp >= 0x80 && !utf8)
						return false;
					i += 4;
				}
			}
		}
		else if (c == '"')
			in_string = true;
		else if ((c == '{' || c == '[') && ++depth > TG_TOKEN_MAX_DEPTH)
			return false;
		else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

static TG_JSON_ACTION
member_struct_start(void *arg)
{
	MemberState *st = (MemberState *) arg;

	if (st->lex->lex_level == 0 && st->lex->token_type != JSON_TOKEN_OBJECT_START)
		st->not_object = true;
	TG_JSON_ACTION_DONE;
}

static TG_JSON_ACTION
member_field_start(void *arg, char *fname, bool isnull)
{
	MemberState *st = (MemberState *) arg;

	if (st->lex->lex_level != 1)
		TG_JSON_ACTION_DONE;
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->members[i].name, fname) == 0)
			st->duplicate = true;
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->members = repalloc(st->members, st->cap * sizeof(TgTokenClaim));
		st->types = repalloc(st->types, st->cap * sizeof(JsonTokenType));
	}
	st->members[st->n].name = fname;
	st->members[st->n].value = NULL;
	st->types[st->n] = JSON_TOKEN_INVALID;
	st->n++;
	st->value_start = st->lex->token_start;
	TG_JSON_ACTION_DONE;
}

/* The end of a member: an object or array value is kept as its text. */
static TG_JSON_ACTION
member_field_end(void *arg, char *fname, bool isnull)
{
	MemberState *st = (MemberState *) arg;
	int			last = st->n - 1;

	if (st->lex->lex_level != 1 || last < 0 ||
		st->types[last] != JSON_TOKEN_INVALID)
		TG_JSON_ACTION_DONE;
	st->types[last] = (*st->value_start == '[') ? JSON_TOKEN_ARRAY_START
		: JSON_TOKEN_OBJECT_START;
	st->members[last].value =
		pnstrdup(st->value_start,
				 st->lex->prev_token_terminator - st->value_start);
	TG_JSON_ACTION_DONE;
}

static TG_JSON_ACTION
member_scalar(void *arg, char *token, JsonTokenType type)
{
	MemberState *st = (MemberState *) arg;
	int			last = st->n - 1;

	if (st->lex->lex_level == 0)
		st->not_object = true;
	else if (st->lex->lex_level == 1 && last >= 0)
	{
		st->types[last] = type;
		st->members[last].value = (type == JSON_TOKEN_NULL) ? NULL : token;
	}
	else if (st->lex->lex_level == 2 && last >= 0 && st->audience != NULL &&
			 type == JSON_TOKEN_STRING &&
			 strcmp(st->members[last].name, "aud") == 0 &&
			 *st->value_start == '[' && strcmp(token, st->audience) == 0)
		st->aud_found = true;
	TG_JSON_ACTION_DONE;
}

/*
 * Parse json (len bytes, decoded from a token) as an object; false if it is
 * not fit, not JSON, not an object or has a member twice.
 */
static bool
parse_members(const char *json, int len, const char *audience,
			  MemberState *st)
{
	JsonSemAction sem;

	memset(st, 0, sizeof(MemberState));
	if (!json_fit(json, len))
		return false;
	st->cap = 8;
	st->members = palloc(st->cap * sizeof(TgTokenClaim));
	st->types = palloc(st->cap * sizeof(JsonTokenType));
	st->audience = audience;
	st->lex = tg_json_lex_context(json, len);

	memset(&sem, 0, sizeof(sem));
	sem.semstate = st;
	sem.object_start = member_struct_start;
	sem.array_start = member_struct_start;
	sem.object_field_start = member_field_start;
	sem.object_field_end = member_field_end;
	sem.scalar = member_scalar;
	if (pg_parse_json(st->lex, &sem) != JSON_SUCCESS)
		return false;
	return !st->not_object && !st->duplicate;
}

/* The member called name, or -1. */
static int
member_index(const MemberState *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->members[i].name, name) == 0)
			return i;
	return -1;
}

/* A value from the token, if it is short and printable ASCII. */
static const char *
printable(const char *value)
{
	int			i;

	if (value == NULL)
		return NULL;
	for (i = 0; value[i] != '\0'; i++)
		if (i >= 64 || value[i] < 0x20 || value[i] > 0x7e || value[i] == '"')
			return NULL;
	return i > 0 ? value : NULL;
}

static bool
fail(TgToken *result, TgTokenFailure failure)
{
	result->failure = failure;
	return false;
}

static bool
malformed(TgToken *result, const char *part)
{
	result->part = part;
	return fail(result, TG_TOKEN_MALFORMED);
}

/* HS256: HMAC-SHA256 with PostgreSQL's HMAC, compared in constant time. */
static bool
verify_hs256(const TgTokenKey *key, const char *input, int len,
			 const uint8 *sig, int siglen)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		mac[HS256_LEN];
	bool		ok;

	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ok = pg_hmac_init(ctx, key->bytes, key->len) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) input, len) == 0 &&
		pg_hmac_final(ctx, mac, sizeof(mac)) == 0;
	pg_hmac_free(ctx);
	ok = ok && siglen == HS256_LEN && CRYPTO_memcmp(mac, sig, HS256_LEN) == 0;
	explicit_bzero(mac, sizeof(mac));
	return ok;
}

/* EdDSA: Ed25519 with OpenSSL, which refuses non-canonical signatures. */
static bool
verify_ed25519(const TgTokenKey *key, const char *input, int len,
			   const uint8 *sig, int siglen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *md;
	bool		ok;

	if (siglen != TG_ED25519_SIG_LEN)
		return false;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->bytes,
									   key->len);
	md = EVP_MD_CTX_new();
	ok = pkey != NULL && md != NULL &&
		EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
		EVP_DigestVerify(md, sig, siglen, (const unsigned char *) input,
						 len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	/* leave no error behind for PostgreSQL's own OpenSSL users (SSL) */
	ERR_clear_error();
	return ok;
}

/*
 * Check the signature (sig, siglen) over input with the keys of the
 * header's algorithm: the key of its kid, or each in turn.
 */
static bool
verify_signature(const MemberState *header, TgToken *result,
				 const char *input, int len, const uint8 *sig, int siglen)
{
	bool		hs256 = (strcmp(result->alg, "HS256") == 0);
	const TgTokenKeySet *keys = tg_token_keyset(hs256 ? TG_KEY_HS256
												: TG_KEY_ED25519);
	int			k = member_index(header, "kid");
	const char *kid = NULL;
	bool		any_kid_match = false;

	result->setting = hs256 ? "tenant_guard.token_secret"
		: "tenant_guard.token_public_key";
	if (keys != NULL && keys->error != NULL)
	{
		result->keys = keys;
		return fail(result, TG_TOKEN_KEYS_INVALID);
	}
	if (keys == NULL || keys->nkeys == 0)
		return fail(result, TG_TOKEN_NO_KEYS);
	if (k >= 0)
	{
		if (header->types[k] != JSON_TOKEN_STRING)
			return malformed(result, "header");
		kid = header->members[k].value;
	}
	for (int i = 0; i < keys->nkeys; i++)
	{
		const TgTokenKey *key = &keys->keys[i];

		if (kid != NULL && (!key->has_kid || strcmp(key->kid, kid) != 0))
			continue;
		any_kid_match = true;
		if (hs256 ? verify_hs256(key, input, len, sig, siglen)
			: verify_ed25519(key, input, len, sig, siglen))
		{
			result->kid = key->has_kid ? pstrdup(key->kid) : NULL;
			return true;
		}
	}
	if (!any_kid_match)
	{
		result->kid = printable(kid);
		return fail(result, TG_TOKEN_UNKNOWN_KID);
	}
	return fail(result, TG_TOKEN_BAD_SIGNATURE);
}

/*
 * The header: a JSON object whose alg is accepted, without "crit".
 */
static bool
check_header(const char *part, int len, MemberState *header,
			 TgToken *result)
{
	uint8	   *json;
	int			jlen = b64url_decode(part, len, &json);
	int			a;

	if (jlen < 0 || !parse_members((char *) json, jlen, NULL, header))
		return malformed(result, "header");
	a = member_index(header, "alg");
	if (a < 0 || header->types[a] != JSON_TOKEN_STRING ||
		(strcmp(header->members[a].value, "HS256") != 0 &&
		 strcmp(header->members[a].value, "EdDSA") != 0))
	{
		result->alg = a >= 0 && header->types[a] == JSON_TOKEN_STRING ?
			printable(header->members[a].value) : NULL;
		return fail(result, TG_TOKEN_BAD_ALG);
	}
	result->alg = header->members[a].value;
	if (member_index(header, "crit") >= 0)
		return fail(result, TG_TOKEN_CRIT);
	return true;
}

/* A NumericDate claim (seconds since 1970), if present; false if not one. */
static bool
time_claim(const MemberState *claims, const char *name, bool *present,
		   double *value, TgToken *result)
{
	int			i = member_index(claims, name);
	char	   *end;

	*present = (i >= 0);
	if (i < 0)
		return true;
	if (claims->types[i] == JSON_TOKEN_NUMBER)
	{
		*value = strtod(claims->members[i].value, &end);
		if (*end == '\0' && isfinite(*value))
			return true;
	}
	result->claim = name;
	return fail(result, TG_TOKEN_BAD_TIME);
}

/* exp, nbf and iat against the server's clock and token_max_age. */
static bool
check_times(const MemberState *claims, TgToken *result)
{
	double		now = (double) timestamptz_to_time_t(GetCurrentTimestamp());
	double		exp,
				nbf,
				iat;
	bool		has_exp,
				has_nbf,
				has_iat;

	if (!time_claim(claims, "exp", &has_exp, &exp, result) ||
		!time_claim(claims, "nbf", &has_nbf, &nbf, result) ||
		!time_claim(claims, "iat", &has_iat, &iat, result))
		return false;
	if (!has_exp)
		return fail(result, TG_TOKEN_NO_EXP);
	if (now >= exp)
		return fail(result, TG_TOKEN_EXPIRED);
	if (has_nbf && nbf > now + TG_TOKEN_CLOCK_SKEW)
		return fail(result, TG_TOKEN_NOT_YET_VALID);
	if (has_iat && iat > now + TG_TOKEN_CLOCK_SKEW)
		return fail(result, TG_TOKEN_ISSUED_LATER);
	if (exp - (has_iat ? iat : now) > (double) tg_token_max_age)
	{
		result->lifetime = (int64) Min(exp - (has_iat ? iat : now),
									   (double) PG_INT64_MAX / 2);
		result->claim = has_iat ? "iat" : NULL;
		result->max_age = tg_token_max_age;
		return fail(result, TG_TOKEN_TOO_LONG_LIVED);
	}
	return true;
}

/* Is a JSON number an integer, written as one ("42", "-7")? */
static bool
is_integer_literal(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* aud and the tenant claim. */
static bool
check_claims(const MemberState *claims, TgToken *result)
{
	const char *audience = tg_token_audience;
	int			t;

	if (audience != NULL && audience[0] != '\0')
	{
		int			a = member_index(claims, "aud");

		if (a < 0 || !(claims->aud_found ||
					   (claims->types[a] == JSON_TOKEN_STRING &&
						strcmp(claims->members[a].value, audience) == 0)))
		{
			result->audience = audience;
			return fail(result, TG_TOKEN_AUDIENCE);
		}
	}

	result->claim = tg_token_tenant_claim;
	t = member_index(claims, tg_token_tenant_claim);
	if (t < 0 || claims->types[t] == JSON_TOKEN_NULL ||
		(claims->types[t] == JSON_TOKEN_STRING &&
		 claims->members[t].value[0] == '\0'))
		return fail(result, TG_TOKEN_NO_TENANT);
	if (!(claims->types[t] == JSON_TOKEN_STRING ||
		  (claims->types[t] == JSON_TOKEN_NUMBER &&
		   is_integer_literal(claims->members[t].value))))
		return fail(result, TG_TOKEN_BAD_TENANT);
	result->tenant = claims->members[t].value;
	return true;
}

/*
 * Verify token (len bytes, not necessarily NUL-terminated) and fill
 * result: failure TG_TOKEN_VALID with the tenant, the verifying key's id
 * and the claims, or why it is refused.
 */
void
tg_token_verify(const char *token, int len, TgToken *result)
{
	const char *dot1;
	const char *dot2;
	MemberState header;
	MemberState claims;
	uint8	   *sig;
	uint8	   *payload;
	int			siglen;
	int			plen;

	memset(result, 0, sizeof(TgToken));
	result->length = len;
	if (len > TG_TOKEN_MAX_LEN)
	{
		fail(result, TG_TOKEN_OVERSIZED);
		return;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (dot1 + 1 - token)) : NULL;
	if (dot1 == NULL || dot2 == NULL ||
		memchr(dot2 + 1, '.', len - (dot2 + 1 - token)) != NULL)
	{
		malformed(result, "token");
		return;
	}
	if (!check_header(token, dot1 - token, &header, result))
		return;
	siglen = b64url_decode(dot2 + 1, len - (dot2 + 1 - token), &sig);
	if (siglen < 0)
	{
		malformed(result, "signature");
		return;
	}
	if (!verify_signature(&header, result, token, dot2 - token, sig, siglen))
		return;

	plen = b64url_decode(dot1 + 1, dot2 - (dot1 + 1), &payload);
	if (plen < 0 ||
		!parse_members((char *) payload, plen, tg_token_audience, &claims))
	{
		malformed(result, "claims");
		return;
	}
	if (!check_times(&claims, result) || !check_claims(&claims, result))
		return;
	result->nclaims = claims.n;
	result->claims = claims.members;
	result->failure = TG_TOKEN_VALID;
}

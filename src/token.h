/*-------------------------------------------------------------------------
 *
 * token.h
 *	  Verification of signed tenant tokens (token.c).
 *
 * src/token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_TOKEN_H
#define TENANT_GUARD_TOKEN_H

#include "token_keys.h"

/* Longest token looked at; a longer one is refused before any parsing. */
#define TG_TOKEN_MAX_LEN		8192

/* Deepest JSON nesting looked at in a token's header or claims. */
#define TG_TOKEN_MAX_DEPTH		16

/* Seconds a token's nbf and iat may lie ahead of the server's clock. */
#define TG_TOKEN_CLOCK_SKEW		30

/* Why a token is refused. */
typedef enum TgTokenFailure
{
	TG_TOKEN_VALID,
	TG_TOKEN_OUTSIDE_BLOCK,		/* set_tenant_token() outside a transaction
								 * block (set_tenant.c) */
	TG_TOKEN_NULL,
	TG_TOKEN_OVERSIZED,
	TG_TOKEN_MALFORMED,			/* part says which part */
	TG_TOKEN_BAD_ALG,			/* alg missing, "none" or not accepted */
	TG_TOKEN_CRIT,				/* a "crit" header: extensions required */
	TG_TOKEN_NO_KEYS,			/* no key for the algorithm is configured */
	TG_TOKEN_KEYS_INVALID,		/* the key setting does not parse */
	TG_TOKEN_UNKNOWN_KID,
	TG_TOKEN_BAD_SIGNATURE,
	TG_TOKEN_NO_EXP,
	TG_TOKEN_BAD_TIME,			/* exp, nbf or iat (claim) not a number */
	TG_TOKEN_EXPIRED,
	TG_TOKEN_NOT_YET_VALID,
	TG_TOKEN_ISSUED_LATER,
	TG_TOKEN_TOO_LONG_LIVED,
	TG_TOKEN_AUDIENCE,
	TG_TOKEN_NO_TENANT,
	TG_TOKEN_BAD_TENANT,
	TG_TOKEN_OTHER_TENANT		/* the transaction has another signed
								 * tenant (set_tenant.c) */
} TgTokenFailure;

/* One top-level member of the claims, as text (NULL for JSON null). */
typedef struct TgTokenClaim
{
	char	   *name;
	char	   *value;
} TgTokenClaim;

/* A verified token, or why it was refused. */
typedef struct TgToken
{
	TgTokenFailure failure;
	int			length;			/* TG_TOKEN_OVERSIZED */
	const char *part;			/* TG_TOKEN_MALFORMED: which */
	const char *alg;			/* TG_TOKEN_BAD_ALG (printable, or NULL);
								 * else the algorithm verified */
	const char *kid;			/* TG_TOKEN_UNKNOWN_KID (printable, or
								 * NULL); else the verifying key's, or NULL */
	const char *claim;			/* TG_TOKEN_BAD_TIME, TG_TOKEN_NO_TENANT,
								 * TG_TOKEN_BAD_TENANT: the claim */
	const char *setting;		/* TG_TOKEN_NO_KEYS, TG_TOKEN_KEYS_INVALID */
	const TgTokenKeySet *keys;	/* TG_TOKEN_KEYS_INVALID */
	int64		lifetime;		/* TG_TOKEN_TOO_LONG_LIVED */
	int			max_age;		/* ... tenant_guard.token_max_age */
	const char *audience;		/* TG_TOKEN_AUDIENCE: token_audience */
	const char *pinned;			/* TG_TOKEN_OTHER_TENANT */
	char	   *tenant;
	int			nclaims;
	TgTokenClaim *claims;
} TgToken;

extern char *tg_token_tenant_claim;
extern char *tg_token_audience;
extern int	tg_token_max_age;

extern void tg_token_verify(const char *token, int len, TgToken *result);

#endif							/* TENANT_GUARD_TOKEN_H */

/*-------------------------------------------------------------------------
 *
 * token_keys.h
 *	  The keys tenant tokens are verified with: tenant_guard.token_secret
 *	  and tenant_guard.token_public_key, parsed (token_keys.c).
 *
 * src/token_keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TENANT_GUARD_TOKEN_KEYS_H
#define TENANT_GUARD_TOKEN_KEYS_H

#include "utils/guc.h"

#define TG_TOKEN_MAX_KEYS		8
#define TG_TOKEN_KID_MAX		64
#define TG_TOKEN_KEY_MAX		512 /* bytes of an HS256 secret */
#define TG_TOKEN_SECRET_MIN		32	/* RFC 7518 3.2: no shorter than the
									 * hash */
#define TG_ED25519_KEY_LEN		32
#define TG_ED25519_SIG_LEN		64

/* What kind of key a set holds (which algorithm it verifies). */
typedef enum TgKeyKind
{
	TG_KEY_HS256,				/* a shared secret */
	TG_KEY_ED25519				/* a raw Ed25519 public key */
} TgKeyKind;

typedef struct TgTokenKey
{
	bool		has_kid;
	char		kid[TG_TOKEN_KID_MAX + 1];
	int			len;
	uint8		bytes[TG_TOKEN_KEY_MAX];
} TgTokenKey;

/*
 * A parsed setting: the GUC "extra" of the setting, one block without
 * pointers but to static strings (tg_guc_extra_alloc(), compat.h).  A setting that cannot be parsed
 * is accepted all the same (a refusing check hook would quote the value,
 * the secret, in its error) with error set: every token is then refused
 * with that explanation, which never quotes the value.
 */
typedef struct TgTokenKeySet
{
	TgKeyKind	kind;
	int			nkeys;
	const char *error;			/* static text, or NULL */
	int			error_entry;	/* 1-based entry the error is about */
	TgTokenKey	keys[TG_TOKEN_MAX_KEYS];
} TgTokenKeySet;

extern char *tg_token_secret;
extern char *tg_token_public_key;
extern bool tg_check_token_secret(char **newval, void **extra,
								  GucSource source);
extern bool tg_check_token_public_key(char **newval, void **extra,
									  GucSource source);
extern void tg_assign_token_secret(const char *newval, void *extra);
extern void tg_assign_token_public_key(const char *newval, void *extra);
extern const char *tg_show_token_secret(void);
extern const char *tg_show_token_public_key(void);
extern const TgTokenKeySet *tg_token_keyset(TgKeyKind kind);

#endif							/* TENANT_GUARD_TOKEN_KEYS_H */

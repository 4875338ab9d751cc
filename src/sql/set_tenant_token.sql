--
-- set_tenant_token(): verify a signed tenant token (a JSON Web Token,
-- HS256 or EdDSA) and set its tenant for the current transaction, as
-- set_tenant() does, marked signed.  EXECUTE for PUBLIC on purpose: it can
-- set no tenant that the holder of a valid token could not.  Not STRICT:
-- a NULL token is refused, not ignored.
--
CREATE OR REPLACE FUNCTION @extschema@.set_tenant_token(token text)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant_token'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION @extschema@.set_tenant_token(text) IS
'verify a signed tenant token and set its tenant for the current transaction only; refused outside a transaction block and for any token that does not verify';

GRANT EXECUTE ON FUNCTION @extschema@.set_tenant_token(text) TO PUBLIC;

--
-- claim(): a claim of the token that signed the transaction's tenant, as
-- text; NULL when it is absent or null, or when the tenant is not signed
-- (any more).  For per-user policies inside a tenant.
--
CREATE OR REPLACE FUNCTION @extschema@.claim(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_claim'
LANGUAGE C STRICT STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.claim(text) IS
'a claim of the token that signed the current transaction''s tenant, as text; NULL if absent, or if the tenant is not signed';

GRANT EXECUTE ON FUNCTION @extschema@.claim(text) TO PUBLIC;

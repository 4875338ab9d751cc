--
-- Signed tenant context: tenant_guard.set_tenant_token() verifies a JSON
-- Web Token (HS256 or EdDSA) and sets its tenant for the transaction;
-- every token that does not verify is refused, and with
-- tenant_guard.require_signed_tenant on, a tenant set any other way is
-- not a tenant context.  The server has the test keys of
-- test/tenant_guard.conf; the tokens below are minted by
-- test/tokens/mint.py, with fixed times (valid ones expire in 2080).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\set VERBOSITY default
\set alg_confusion 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.MaUmxesuhIYVfq2OEV1wZXKTA4Dsash_bNLc-kHHlms'
\set alg_hs512 'eyJhbGciOiJIUzUxMiIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.MFhdZlMoNzxTBwwCtV_iFvaY6fPgUsexCzI82Ktwecs'
\set alg_missing 'eyJraWQiOiJrMSJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.twCSajqTsmDuzy34Dlmwfa8FeESwwh32_-5b8lIM6H0'
\set alg_none 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.'
\set alg_none_sig 'eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.eA'
\set array_claims 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.WyJ0ZW5hbnQiLCIxIl0.SJcC7PO22g4jH4xXQMztG5SIn829GREtF7acdMozTmA'
\set aud_app 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwLCJhdWQiOiJhcHAtZGIifQ.22RtjnJAa5F64OapEoNAYsC091XnVEJ5n_JOCoH9KfQ'
\set aud_list 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwLCJhdWQiOlsib3RoZXIiLCJhcHAtZGIiXX0.A_s84gokceMlyQ9Gi1gLsguC7c66xY-CiIAOdeBofGM'
\set aud_other 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwLCJhdWQiOiJvdGhlci1kYiJ9.gMJ-_PHm5kRlnJVHPXwUkUV4XjDl9kX06vxBlr4_vjc'
\set bad_base64_header '+yJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set bad_json_claims 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiw.NqcH9YhnhSR6k6BYkDypAVUPklvmqhyFJENlqmD3HPM'
\set bad_signature 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppAA'
\set bad_utf8_claims 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiL__iIsImV4cCI6MzQ3MTI5MjgwMCwiaWF0IjoxNzY3MjI1NjAwfQ.wmBH9DhsuCxlPdzPmz8sQ3Lo4XHZfjHYBb97WV4t00U'
\set crit 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwiY3JpdCI6WyJleHAiXX0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ._gKhfrHKepnzXDis6JO_z1PEkyaxnEXJRgcIHAqLEag'
\set deep_claims 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwiZXhwIjozNDcxMjkyODAwLCJpYXQiOjE3NjcyMjU2MDAsIngiOltbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tdXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dXV1dfQ._1aXiV4vXWKbwhZG4JHJKC3Pbr1I2OwGKyVzXG2hCoo'
\set duplicate_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwiZXhwIjozNDcxMjkyODAwLCJpYXQiOjE3NjcyMjU2MDAsInRlbmFudCI6IjIifQ.RQovCkUQfeRhig4GmQKkfkVOikR9hRUTJmMdwRef4VA'
\set ed_as_hs_kid 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.5gwJWL8gUvjOoLaVmKfArdr9yD1PbbvdyTW2q8p8ltnBibHuu1EfqGFmmUFXaBivAbhHqdERZTS9XRX_SEcXBQ'
\set ed_ed2_t2 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImVkMiJ9.eyJ0ZW5hbnQiOiIyIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.07v89893fkGbpUiTRtG5pkeX8EVt7yFCFUUFsYLzB4yFN43KXtOaBdMZbL92RVtdcRqqYtSXBF5F3rFFxw3pDQ'
\set ed_other_key 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImVkMSJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.UPfLLHQe3-8c2fVb0OcwDnEPv3SC4rVElTL2C_OQ0p4uKvcxONzLZC_Xwn3ChdI9alF534ZhrFVhhCQpivIWBw'
\set ed_t1 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImVkMSJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8ssbj8hmxvqu_RdgYbFRdwbR2tATyY-aAh6r6H9UH1RwDS2vy0w6fM_G4q5pHVTmF58Yf6Xh7PgdHEyoiIonAQ'
\set empty_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIiLCJzdWIiOiJ1c2VyLTE3IiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjM0NzEyOTI4MDB9.UQ_uJmNdWObYfnBTlX_ovd7ssqI1XJU3Z0F0u3E1ELk'
\set exp_string 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOiIzNDcxMjkyODAwIn0.d6OdsPKM77t61VzFsyYOX4k4mmZZ7l-eOzAp2rPqrTQ'
\set expired 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTYwOTQ1OTE0MCwiZXhwIjoxNjA5NDU5MjAwfQ.t_M9CYX3zKFM_miJao6E-WS4JOkhzh3KrUa_KEhPjEE'
\set four_parts 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4.x'
\set fraction_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOjEuNSwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.p2tiJJJe1XeeRd6dfTniS3kOURj0LA2_ygt82pX-cxI'
\set hs_claims 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwLCJyb2xlIjoiYWRtaW4iLCJzY29wZXMiOlsicmVhZCIsIndyaXRlIl0sIm9yZyI6eyJpZCI6M30sImZsYWciOnRydWUsImdvbmUiOm51bGx9.7vTGT0ZFERKEKFDLsy1dPhlxUUqjnWojM4R2BH1RrnQ'
\set hs_k2_t1 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsyIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.xoS47sSk_8ugLqz-uwHlLD0kLFymGMaY1BbiZXFjGGY'
\set hs_nokid_t1 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.3aIAwVfzZJm-TTDmePB-xdF3lzPc1Ers5a1U8jh_SsA'
\set hs_numeric_t7 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOjcsInN1YiI6InVzZXItMTciLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MzQ3MTI5MjgwMH0.F1di_yjaItJXMQT5BmJ2m7VZ_tPzenZvWnOfiB1pItY'
\set hs_t1 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set hs_t2 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIyIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.KZvVkOpM50dokPJfjUXelqmCAjFXeL4G9O0-qHHOLew'
\set iat_future 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MzQ3MTI5MjgwMCwiZXhwIjozNDcxMjkyODYwfQ.rg_Ag7cmcrrBfYV9G2RsVaBty4XqK9udXjql3qE7f8A'
\set long_lived 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set no_exp 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwiaWF0IjoxNzY3MjI1NjAwfQ.9acfuwW2_aWQvm6Rr0qXFcDO-TEqELB0vmtIC4VFR8M'
\set no_iat 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwiZXhwIjozNDcxMjkyODAwfQ.R0SepovWDLT7v6_tU7rrWAatmWxrawTrkrg9DM_i0Yc'
\set no_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4IiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjM0NzEyOTI4MDB9.qUdh6IEXUZUGB_ipsNY1JSmSVMyVb9nkPvKuPCOxJ1w'
\set noncanonical_sig 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ5'
\set not_yet_valid 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwLCJuYmYiOjM0NzEyOTI4MDB9.FWT_Z_dVuPZWPkhJoXq0Xk1JnBvIWPIrPSnU6M4qLEQ'
\set null_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOm51bGwsInN1YiI6InVzZXItMTciLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MzQ3MTI5MjgwMH0.KLvh3A258BQnRPXNxSTq3V6oElrzATUP-0dF00azYZE'
\set object_tenant 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOnsiaWQiOjF9LCJzdWIiOiJ1c2VyLTE3IiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjM0NzEyOTI4MDB9.xHPlzmIMp39u6RSW5vMZP1X-H6qx8WG5-i7zDtnAuvk'
\set org_claim_t3 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJvcmciOiIzIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjM0NzEyOTI4MDB9.a_Bbaq0ewrQjUG5UE3ac9au_IJRkDn5_kEVgBnQhQEI'
\set padded 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4=='
\set tampered_header 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsyIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set tampered_payload 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIyIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set two_parts 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ'
\set unknown_kid 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Ims5In0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.ceAjDRMTrPyMFvUMbvicFzbtOGbyDgKtEKOcOOeeBbU'

CREATE ROLE regress_tg_tok LOGIN;
CREATE ROLE regress_tg_tok_bypass LOGIN BYPASSRLS;
CREATE TABLE tok_docs (id int, tenant_id text NOT NULL, owner text);
SET client_min_messages = warning;
SELECT tenant_guard.protect('tok_docs');
RESET client_min_messages;
INSERT INTO tok_docs VALUES (1, '1', 'user-17'), (2, '1', 'user-18'),
  (3, '2', 'user-17'), (4, '7', 'user-70');
GRANT SELECT, INSERT, UPDATE ON tok_docs TO regress_tg_tok, regress_tg_tok_bypass;
-- the test tokens live from 2026 to 2080
ALTER ROLE regress_tg_tok SET tenant_guard.token_max_age = '20000d';
ALTER ROLE regress_tg_tok_bypass SET tenant_guard.token_max_age = '20000d';
SET tenant_guard.token_max_age = '20000d';
SET ROLE regress_tg_tok;

-- A valid token: the transaction acts for its tenant, sees only its rows,
-- and status() says the tenant is signed, and by which key.
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT id FROM tok_docs ORDER BY id;
SELECT tenant, tenant_origin, signed, key_id FROM tenant_guard.status();
SELECT tenant_guard.claim('sub'), tenant_guard.claim('tenant'),
       tenant_guard.claim('exp'), tenant_guard.claim('absent');
COMMIT;
-- the tenant ends with the transaction
SELECT id FROM tok_docs;
SELECT tenant, signed, key_id FROM tenant_guard.status();
SELECT tenant_guard.claim('sub');

-- Every key: the second HS256 key, the key without an id (a token without
-- kid is tried with each key), both Ed25519 keys, a numeric tenant.
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_k2_t1');
SELECT key_id FROM tenant_guard.status();
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_nokid_t1');
SELECT signed, key_id FROM tenant_guard.status();
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'ed_t1');
SELECT id FROM tok_docs ORDER BY id;
SELECT key_id FROM tenant_guard.status();
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'ed_ed2_t2');
SELECT id FROM tok_docs ORDER BY id;
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_numeric_t7');
SELECT id FROM tok_docs ORDER BY id;
COMMIT;

-- Claims of every JSON type, as text; null is NULL.
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_claims');
SELECT tenant_guard.claim('role'), tenant_guard.claim('scopes'),
       tenant_guard.claim('org'), tenant_guard.claim('flag'),
       tenant_guard.claim('gone') IS NULL AS gone_is_null;
-- a per-user policy inside the tenant
SELECT id FROM tok_docs WHERE owner = tenant_guard.claim('sub');
COMMIT;

-- Refused outside a transaction block, like set_tenant(), and for NULL.
SELECT tenant_guard.set_tenant_token(:'hs_t1');
BEGIN;
SELECT tenant_guard.set_tenant_token(NULL);
ROLLBACK;

-- Refused: each way a token can be wrong.  Each in its own transaction;
-- none sets a tenant.
\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT tenant_guard.set_tenant_token(:'bad_signature');
SELECT tenant_guard.set_tenant_token(:'tampered_payload');
SELECT tenant_guard.set_tenant_token(:'tampered_header');
SELECT tenant_guard.set_tenant_token(:'alg_none');
SELECT tenant_guard.set_tenant_token(:'alg_none_sig');
SELECT tenant_guard.set_tenant_token(:'alg_hs512');
SELECT tenant_guard.set_tenant_token(:'alg_missing');
SELECT tenant_guard.set_tenant_token(:'alg_confusion');
SELECT tenant_guard.set_tenant_token(:'ed_as_hs_kid');
SELECT tenant_guard.set_tenant_token(:'ed_other_key');
SELECT tenant_guard.set_tenant_token(:'unknown_kid');
SELECT tenant_guard.set_tenant_token(:'crit');
SELECT tenant_guard.set_tenant_token(:'expired');
SELECT tenant_guard.set_tenant_token(:'not_yet_valid');
SELECT tenant_guard.set_tenant_token(:'iat_future');
SELECT tenant_guard.set_tenant_token(:'no_exp');
SELECT tenant_guard.set_tenant_token(:'exp_string');
SELECT tenant_guard.set_tenant_token(:'no_tenant');
SELECT tenant_guard.set_tenant_token(:'empty_tenant');
SELECT tenant_guard.set_tenant_token(:'null_tenant');
SELECT tenant_guard.set_tenant_token(:'object_tenant');
SELECT tenant_guard.set_tenant_token(:'fraction_tenant');
SELECT tenant_guard.set_tenant_token(:'bad_json_claims');
SELECT tenant_guard.set_tenant_token(:'array_claims');
SELECT tenant_guard.set_tenant_token(:'duplicate_tenant');
SELECT tenant_guard.set_tenant_token(:'deep_claims');
SELECT tenant_guard.set_tenant_token(:'bad_utf8_claims');
SELECT tenant_guard.set_tenant_token(:'padded');
SELECT tenant_guard.set_tenant_token(:'two_parts');
SELECT tenant_guard.set_tenant_token(:'four_parts');
SELECT tenant_guard.set_tenant_token(:'bad_base64_header');
SELECT tenant_guard.set_tenant_token(:'noncanonical_sig');
SELECT tenant_guard.set_tenant_token('');
SELECT tenant_guard.set_tenant_token('not a token');
SELECT tenant_guard.set_tenant_token(repeat('a', 8193));
SELECT tenant_guard.set_tenant_token(:'hs_t1' || repeat('A', 8200));
SELECT tenant, signed FROM tenant_guard.status();
SELECT id FROM tok_docs;
ROLLBACK;
\set ON_ERROR_ROLLBACK off

-- Too long-lived: with the default of 5 minutes, the test tokens' 54
-- years are refused; so is a token without iat whose exp is far ahead.
RESET ROLE;
RESET tenant_guard.token_max_age;
SET ROLE regress_tg_tok;
SHOW tenant_guard.token_max_age;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'long_lived');
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'no_iat');
ROLLBACK;
RESET ROLE;
SET tenant_guard.token_max_age = '20000d';
SET ROLE regress_tg_tok;
-- ... and a role inside the rules cannot raise the limit, nor change the
-- claim or audience, nor turn require_signed_tenant off
SET tenant_guard.token_max_age = '1000d';
SET tenant_guard.token_tenant_claim = 'org';
SET tenant_guard.token_audience = '';
SET tenant_guard.require_signed_tenant = off;

-- Audience: when tenant_guard.token_audience is set, aud must name it.
RESET ROLE;
ALTER ROLE regress_tg_tok SET tenant_guard.token_audience = 'app-db';
SET ROLE regress_tg_tok;
\c - regress_tg_tok
SHOW tenant_guard.token_audience;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'aud_app');
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'aud_list');
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'aud_other');
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
ROLLBACK;
\c - postgres
ALTER ROLE regress_tg_tok RESET tenant_guard.token_audience;

-- The tenant claim's name is a setting.
ALTER ROLE regress_tg_tok SET tenant_guard.token_tenant_claim = 'org';
\c - regress_tg_tok
BEGIN;
SELECT tenant_guard.set_tenant_token(:'org_claim_t3');
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
ROLLBACK;
\c - postgres
ALTER ROLE regress_tg_tok RESET tenant_guard.token_tenant_claim;
SET tenant_guard.token_max_age = '20000d';
SET ROLE regress_tg_tok;

-- One tenant per transaction: a second token for another tenant is
-- refused, after a token or after SET LOCAL; the same tenant again is
-- fine.
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT tenant_guard.set_tenant_token(:'hs_t2');
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT tenant_guard.set_tenant_token(:'hs_t1');
ROLLBACK;
-- for a superuser too, whom rule 3 does not bind
RESET ROLE;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT tenant_guard.set_tenant_token(:'ed_ed2_t2');
ROLLBACK;
-- each counts as rule 3's tenant switch in the violations view
SELECT role_name = 'regress_tg_tok' AS app, tenant, rule, refusal,
	   occurrences
  FROM tenant_guard.violations
 WHERE object = 'tenant_guard.set_tenant_token()'
 ORDER BY app, tenant;
SET ROLE regress_tg_tok;

-- The signed state lasts only while the setting holds the token's value:
-- any later assignment, even of the same tenant, makes it unsigned, and
-- so does rolling back the token's assignment.
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SET LOCAL app.current_tenant = '1';
SELECT signed, tenant_guard.claim('sub') FROM tenant_guard.status();
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT set_config('app.current_tenant', '1', true);
SELECT signed FROM tenant_guard.status();
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
RESET app.current_tenant;
SELECT signed FROM tenant_guard.status();
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
ROLLBACK TO SAVEPOINT s;
SELECT tenant, signed, tenant_guard.claim('sub') FROM tenant_guard.status();
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
SAVEPOINT s;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT signed FROM tenant_guard.status();
ROLLBACK TO SAVEPOINT s;
SELECT tenant, signed FROM tenant_guard.status();
ROLLBACK;
-- a savepoint that does not touch the tenant keeps it signed
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SAVEPOINT s;
SELECT 1/0;
ROLLBACK TO SAVEPOINT s;
SELECT signed FROM tenant_guard.status();
RELEASE SAVEPOINT s;
COMMIT;

-- require_signed_tenant: only a signed tenant is a tenant context for
-- roles inside the rules.
RESET ROLE;
CREATE FUNCTION tok_set_clause() RETURNS bigint LANGUAGE sql
  SET app.current_tenant = '1'
  AS $$ SELECT count(*) FROM tok_docs $$;
CREATE FUNCTION tok_count() RETURNS bigint LANGUAGE plpgsql
  AS $$ BEGIN RETURN (SELECT count(*) FROM tok_docs); END $$;
CREATE FUNCTION tok_exempt_count() RETURNS bigint LANGUAGE sql
  SECURITY DEFINER SET tenant_guard.mode = 'off'
  AS $$ SELECT count(*) FROM tok_docs $$;
ALTER ROLE regress_tg_tok SET tenant_guard.require_signed_tenant = on;
ALTER ROLE regress_tg_tok_bypass SET tenant_guard.require_signed_tenant = on;
ALTER ROLE postgres SET tenant_guard.require_signed_tenant = on;
\c - regress_tg_tok
SHOW tenant_guard.require_signed_tenant;
-- a signed tenant works
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT id FROM tok_docs ORDER BY id;
SELECT tenant_guard.tenant();
INSERT INTO tok_docs VALUES (5, '1', 'user-17');
COMMIT;
-- a plain SET LOCAL, set_config() and set_tenant() are refused
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT tenant_guard.tenant();
SELECT id FROM tok_docs;
ROLLBACK;
BEGIN;
SELECT set_config('app.current_tenant', '1', true);
SELECT id FROM tok_docs;
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant('1');
UPDATE tok_docs SET owner = owner;
ROLLBACK;
-- a plan cached in a signed transaction (PL/pgSQL's, or a driver's
-- prepared statement) runs again without the planner: it is refused all
-- the same in a transaction whose tenant is not signed
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT tok_count();
SELECT tok_count();
COMMIT;
\set SHOW_CONTEXT never
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT tok_count();
ROLLBACK;
\set SHOW_CONTEXT errors
-- SQL injection with several statements after a valid token: a new
-- transaction with a tenant of its own choosing is refused ...
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SELECT id FROM tok_docs WHERE owner = ''; COMMIT; BEGIN; SET LOCAL app.current_tenant = '2'; SELECT id, tenant_id FROM tok_docs;
ROLLBACK;
-- ... and so is the same trick within the transaction: assigning the
-- tenant again, even to the same value, or through a savepoint
BEGIN;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
SET LOCAL app.current_tenant = '1';
SELECT id FROM tok_docs;
ROLLBACK;
BEGIN;
SAVEPOINT a;
SELECT tenant_guard.set_tenant_token(:'hs_t1');
ROLLBACK TO SAVEPOINT a;
SET LOCAL app.current_tenant = '1';
SELECT id FROM tok_docs;
ROLLBACK;
-- a function's SET clause is not a tenant context anyway (the context
-- line of an error in a SQL function differs between versions)
\set SHOW_CONTEXT never
BEGIN;
SELECT tok_set_clause();
ROLLBACK;
\set SHOW_CONTEXT errors
-- a function exempted with SET tenant_guard.mode = off (SECURITY DEFINER,
-- by a superuser) keeps working, with no tenant or an unsigned one
SELECT tok_exempt_count();
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT tok_exempt_count();
SELECT id FROM tok_docs;
ROLLBACK;
-- a BYPASSRLS role and a superuser are outside the rules
\c - regress_tg_tok_bypass
SHOW tenant_guard.require_signed_tenant;
SELECT count(*) FROM tok_docs;
\c - postgres
SHOW tenant_guard.require_signed_tenant;
SELECT count(*) FROM tok_docs;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count(*) FROM tok_docs;
ROLLBACK;
ALTER ROLE regress_tg_tok RESET tenant_guard.require_signed_tenant;
ALTER ROLE regress_tg_tok_bypass RESET tenant_guard.require_signed_tenant;
ALTER ROLE postgres RESET tenant_guard.require_signed_tenant;
\c - postgres

-- The keys: never readable by a role inside the rules, by any route.
-- (tok_read() runs a query and returns its value or its SQLSTATE: the
-- wording of PostgreSQL's refusal to show a setting differs between
-- versions.)
CREATE FUNCTION tok_read(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE q INTO r;
	RETURN coalesce(r, '(null)');
EXCEPTION WHEN insufficient_privilege THEN
	RETURN 'refused, ' || SQLSTATE;
END
$$;
SET ROLE regress_tg_tok;
SELECT tok_read('SHOW tenant_guard.token_secret') AS show_secret,
       tok_read('SHOW tenant_guard.token_public_key') AS show_public_key,
       tok_read($$SELECT current_setting('tenant_guard.token_secret')$$) AS current_setting,
       tok_read($$SELECT current_setting('tenant_guard.token_secret', true)$$) AS current_setting_missing_ok,
       tok_read($$SELECT string_agg(setting, ',') FROM pg_file_settings WHERE name LIKE 'tenant_guard.token%'$$) AS file_settings;
SELECT count(*) FROM pg_settings WHERE name LIKE 'tenant_guard.token%';
SELECT count(*) FROM pg_show_all_settings() WHERE name LIKE '%secret%';
SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%token_secret%';
SHOW ALL \g /dev/null
SELECT set_config('tenant_guard.token_secret', 'x', true);
SET tenant_guard.token_secret = 'x';
ALTER ROLE regress_tg_tok SET tenant_guard.token_secret = 'x';
RESET ROLE;
-- even a superuser sees how many keys there are, not the keys, in SHOW
-- and current_setting() (pg_read_all_settings members see the same);
-- pg_settings omits them, and they cannot be set per role or database
SHOW tenant_guard.token_secret;
SELECT current_setting('tenant_guard.token_public_key');
SELECT count(*) FROM pg_settings WHERE name IN ('tenant_guard.token_secret', 'tenant_guard.token_public_key');
SET tenant_guard.token_secret = 'x';
ALTER ROLE regress_tg_tok SET tenant_guard.token_secret = 'x';
ALTER DATABASE contrib_regression SET tenant_guard.token_public_key = 'x';
GRANT pg_read_all_settings TO regress_tg_tok;
SET ROLE regress_tg_tok;
SHOW tenant_guard.token_secret;
SELECT current_setting('tenant_guard.token_public_key');
RESET ROLE;
REVOKE pg_read_all_settings FROM regress_tg_tok;
DROP FUNCTION tok_read(text);

-- tenant_guard.tenant_token, which set_tenant_token() sends Citus's workers:
-- a tenant it names, assigned in the same transaction, is signed; SHOW
-- never prints the token; a value left at session level by an earlier
-- request, or restored by a rollback, signs nothing; RESET ALL clears it.
SET tenant_guard.token_max_age = '20000d';
SET ROLE regress_tg_tok;
BEGIN;
SET LOCAL tenant_guard.tenant_token = :'hs_t2';
SHOW tenant_guard.tenant_token;
SET LOCAL app.current_tenant = '2';
SELECT tenant, signed, key_id FROM tenant_guard.status();
ROLLBACK;
SET tenant_guard.tenant_token = :'hs_t2';
BEGIN;
SAVEPOINT s;
SET LOCAL tenant_guard.tenant_token = 'x';
ROLLBACK TO SAVEPOINT s;
SET LOCAL app.current_tenant = '2';
SELECT tenant, signed FROM tenant_guard.status();
ROLLBACK;
RESET ALL;
SHOW tenant_guard.tenant_token;
RESET ROLE;

RESET tenant_guard.token_max_age;
DROP FUNCTION tok_set_clause();
DROP FUNCTION tok_exempt_count();
DROP FUNCTION tok_count();
DROP TABLE tok_docs;
DROP ROLE regress_tg_tok;
DROP ROLE regress_tg_tok_bypass;

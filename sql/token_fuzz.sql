--
-- Fuzzing the token parser: thousands of mutated tokens (truncated, bit-
-- flipped, characters inserted and deleted, parts swapped, random parts,
-- non-ASCII), and, signed with the test key so that they reach the claims
-- parser, thousands of mutated and crafted claims (deep nesting, huge
-- claims, invalid UTF-8, \u escapes, numbers out of range, every JSON
-- type where a claim is expected).  Every one must be refused with one of
-- the token's own errors: none accepted, no other error, no crash (the
-- sanitizer run, test/sanitize.sh, runs this file under memcheck and
-- UBSan).  Deterministic: the mutations come from md5() of their number.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
CREATE ROLE regress_tg_fuzz;
-- the helpers, made by a superuser: a role inside the rules may not leave
-- temporary functions behind
CREATE SCHEMA tok_fuzz;
GRANT USAGE ON SCHEMA tok_fuzz TO regress_tg_fuzz;
-- the valid test tokens live from 2026 to 2080
SET tenant_guard.token_max_age = '20000d';

-- a pseudo-random number in [0, n) for mutation i
CREATE FUNCTION tok_fuzz.rnd(i int, salt text, n int) RETURNS int
LANGUAGE sql IMMUTABLE
AS $$ SELECT (('x' || substr(md5(i::text || ':' || salt), 1, 7))::bit(28)::int) % greatest(n, 1) $$;

CREATE FUNCTION tok_fuzz.b64url(b bytea) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT translate(replace(rtrim(encode(b, 'base64'), '='), E'\n', ''), '+/', '-_') $$;

-- a token with these claims (bytes), signed with the test key k1
CREATE FUNCTION tok_fuzz.signed(claims bytea) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
SELECT m || '.' || tok_fuzz.b64url(hmac(convert_to(m, 'UTF8'),
		'tenant-guard-test-secret-one-0123456789abcdef'::bytea, 'sha256'))
  FROM (SELECT tok_fuzz.b64url('{"alg":"HS256","kid":"k1"}'::bytea) || '.' ||
			   tok_fuzz.b64url(claims) AS m) s
$$;

-- one mutation of a string, chosen by i
CREATE FUNCTION tok_fuzz.mutate(tok text, i int) RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	len int := length(tok);
	p int := tok_fuzz.rnd(i, 'p', len) + 1;
	alphabet text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "{}\';
	c text := substr(alphabet, tok_fuzz.rnd(i, 'c', length(alphabet)) + 1, 1);
	part int := tok_fuzz.rnd(i, 'part', 3) + 1;
BEGIN
	CASE i % 9
		WHEN 0 THEN RETURN left(tok, p - 1);
		WHEN 1 THEN RETURN overlay(tok PLACING c FROM p FOR 1);
		WHEN 2 THEN RETURN overlay(tok PLACING chr(greatest(1, ascii(substr(tok, p, 1)) # (1 << tok_fuzz.rnd(i, 'b', 7)))) FROM p FOR 1);
		WHEN 3 THEN RETURN overlay(tok PLACING '' FROM p FOR 1);
		WHEN 4 THEN RETURN overlay(tok PLACING c FROM p FOR 0);
		WHEN 5 THEN RETURN concat_ws('.', split_part(tok, '.', 2), split_part(tok, '.', 1), split_part(tok, '.', 3));
		WHEN 6 THEN RETURN concat_ws('.',
			CASE WHEN part = 1 THEN tok_fuzz.b64url(decode(md5(i::text) || md5(i::text || 'x'), 'hex')) ELSE split_part(tok, '.', 1) END,
			CASE WHEN part = 2 THEN tok_fuzz.b64url(decode(md5(i::text), 'hex')) ELSE split_part(tok, '.', 2) END,
			CASE WHEN part = 3 THEN tok_fuzz.b64url(decode(repeat(md5(i::text), tok_fuzz.rnd(i, 'n', 5)), 'hex')) ELSE split_part(tok, '.', 3) END);
		WHEN 7 THEN RETURN overlay(tok PLACING chr(128 + tok_fuzz.rnd(i, 'u', 2000)) FROM p FOR 0);
		ELSE RETURN repeat(tok, 1 + tok_fuzz.rnd(i, 'r', 40));
	END CASE;
END
$$;

-- one mutation of some bytes, chosen by i: the claims fuzzed as bytes, so
-- that what reaches the parser does not depend on the database encoding
CREATE FUNCTION tok_fuzz.mutate_bytes(b bytea, i int) RETURNS bytea LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
	len int := length(b);
	p int := tok_fuzz.rnd(i, 'p', len) + 1;
	inserts bytea[] := ARRAY['\x22'::bytea, '\x5c'::bytea, '\x7b'::bytea, '\x5d'::bytea,
		'\x2c'::bytea, '\x3a'::bytea, '\x30'::bytea, '\x2d'::bytea, '\x65'::bytea,
		'\x00'::bytea, '\xff'::bytea, '\xc3a9'::bytea, '\xc328'::bytea, '\xeda080'::bytea,
		'\xf09f9880'::bytea, '\x5c7530303030'::bytea, '\x5c7564383030'::bytea,
		'\x5c7530306539'::bytea, '\x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b'::bytea];
	ins bytea := inserts[tok_fuzz.rnd(i, 'c', array_length(inserts, 1)) + 1];
BEGIN
	CASE i % 6
		WHEN 0 THEN RETURN substr(b, 1, p - 1);
		WHEN 1 THEN RETURN set_byte(b, p - 1, get_byte(b, p - 1) # (1 << tok_fuzz.rnd(i, 'b', 8)));
		WHEN 2 THEN RETURN overlay(b PLACING ''::bytea FROM p FOR 1);
		WHEN 3 THEN RETURN overlay(b PLACING ins FROM p FOR 0);
		WHEN 4 THEN RETURN overlay(b PLACING ins FROM p FOR 1);
		ELSE RETURN overlay(b PLACING substr(b, tok_fuzz.rnd(i, 'q', len) + 1, 1 + tok_fuzz.rnd(i, 'l', 20)) FROM p FOR 0);
	END CASE;
END
$$;

-- the outcome of one token: refused by the token's checks, accepted, or
-- any other error (which would be a defect)
CREATE FUNCTION tok_fuzz.try(tok text) RETURNS text LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM tenant_guard.set_tenant_token(tok);
	RETURN 'accepted';
EXCEPTION
	WHEN insufficient_privilege THEN
		RETURN 'refused: ' || SQLERRM;
	WHEN OTHERS THEN
		RETURN 'other error ' || SQLSTATE || ': ' || SQLERRM;
END
$$;

SET ROLE regress_tg_fuzz;

\set hs_t1 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4'
\set ed_t1 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImVkMSJ9.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8ssbj8hmxvqu_RdgYbFRdwbR2tATyY-aAh6r6H9UH1RwDS2vy0w6fM_G4q5pHVTmF58Yf6Xh7PgdHEyoiIonAQ'
-- the valid tokens themselves are accepted (so the rest is not refused for
-- want of a key)
BEGIN;
SELECT tok_fuzz.try(:'hs_t1') AS hs256, tok_fuzz.try(:'ed_t1') AS eddsa;
ROLLBACK;

-- 2,400 mutations of the two valid tokens (less those that happen to
-- give the token back)
BEGIN;
SELECT tok_fuzz.try(m) AS outcome, count(*)
  FROM generate_series(1, 1200) i, (VALUES (:'hs_t1'), (:'ed_t1')) v(t),
	   LATERAL tok_fuzz.mutate(t, i) m
 WHERE m <> t
 GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- 1,500 signed tokens whose claims are mutations of expired claims:
-- they reach the claims parser, and none may pass
BEGIN;
SELECT tok_fuzz.try(tok_fuzz.signed(tok_fuzz.mutate_bytes(convert_to(
		'{"tenant":"1","sub":"user-17","iat":1609459100,"exp":1609459200,"aud":["a","b"],"o":{"k":[1,2.5e3,true,null],"s":"\u0041\n"}}', 'UTF8'), i)))
		AS outcome, count(*)
  FROM generate_series(1, 1500) i
 GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- crafted claims, signed: structure, depth, size, encoding, numbers
BEGIN;
-- (a \u escape of a non-ASCII character is parsed in a UTF-8 database
-- only: that row shows whether it was refused, not why)
SELECT c.what, CASE WHEN c.what = 'non-ASCII escape'
		THEN split_part(tok_fuzz.try(tok_fuzz.signed(c.claims)), ':', 1)
		ELSE tok_fuzz.try(tok_fuzz.signed(c.claims)) END AS outcome
  FROM (VALUES
	('empty', ''::bytea),
	('blank', ' '::bytea),
	('open brace', '{'::bytea),
	('array', '[]'::bytea),
	('string', '"tenant"'::bytea),
	('number', '1'::bytea),
	('null', 'null'::bytea),
	('empty object', '{}'::bytea),
	('trailing garbage', '{"tenant":"1","exp":1} x'::bytea),
	('two objects', '{"tenant":"1"}{"exp":1}'::bytea),
	('nul escape', convert_to('{"tenant":"\u0000","exp":1}', 'UTF8')),
	('lone high surrogate', convert_to('{"tenant":"\ud800","exp":1}', 'UTF8')),
	('lone low surrogate', convert_to('{"tenant":"\udc00","exp":1}', 'UTF8')),
	('bad escape', convert_to('{"tenant":"\uZZZZ","exp":1}', 'UTF8')),
	('short escape', convert_to('{"tenant":"\u12', 'UTF8')),
	('non-ASCII escape', convert_to('{"tenant":"\u00e9","exp":1}', 'UTF8')),
	('invalid UTF-8', '\x7b2274656e616e74223a22c328222c22657870223a317d'::bytea),
	('overlong UTF-8', '\x7b2274656e616e74223a22c0af222c22657870223a317d'::bytea),
	('UTF-8 surrogate', '\x7b2274656e616e74223a22eda080222c22657870223a317d'::bytea),
	('NUL byte', '\x7b2274656e616e74223a220031222c22657870223a317d'::bytea),
	('exp huge', '{"tenant":"1","exp":1e999}'::bytea),
	('exp minus huge', '{"tenant":"1","exp":-1e999}'::bytea),
	('exp long integer', convert_to('{"tenant":"1","exp":' || repeat('9', 400) || ',"iat":1}', 'UTF8')),
	('exp tiny', '{"tenant":"1","exp":1e-999}'::bytea),
	('exp negative', '{"tenant":"1","exp":-1}'::bytea),
	('exp null', '{"tenant":"1","exp":null}'::bytea),
	('exp true', '{"tenant":"1","exp":true}'::bytea),
	('exp array', '{"tenant":"1","exp":[3471292800]}'::bytea),
	('exp object', '{"tenant":"1","exp":{"v":3471292800}}'::bytea),
	('exp twice', '{"tenant":"1","exp":1,"exp":3471292800,"iat":1767225600}'::bytea),
	('nbf huge', '{"tenant":"1","exp":1,"nbf":1e999}'::bytea),
	('iat string', '{"tenant":"1","exp":1,"iat":"x"}'::bytea),
	('tenant true', '{"tenant":true,"exp":3471292800,"iat":1767225600}'::bytea),
	('tenant array', '{"tenant":["1"],"exp":3471292800,"iat":1767225600}'::bytea),
	('tenant float', '{"tenant":1.0,"exp":3471292800,"iat":1767225600}'::bytea),
	('tenant exponent', '{"tenant":1e3,"exp":3471292800,"iat":1767225600}'::bytea),
	('deep arrays', convert_to('{"tenant":"1","exp":1,"x":' || repeat('[', 2000) || repeat(']', 2000) || '}', 'UTF8')),
	('deep objects', convert_to('{"tenant":"1","exp":1,"x":' || repeat('{"a":', 1000) || '1' || repeat('}', 1000) || '}', 'UTF8')),
	('unbalanced', convert_to('{"tenant":"1","exp":1,"x":' || repeat('[', 20) || '}', 'UTF8')),
	('brackets in strings', convert_to('{"tenant":"' || repeat('[', 100) || '","exp":1}', 'UTF8')),
	('huge claim', convert_to('{"tenant":"1","exp":1,"x":"' || repeat('x', 5800) || '"}', 'UTF8')),
	('many claims', convert_to('{"tenant":"1","exp":1,' || (SELECT string_agg(format('"c%s":%s', g, g), ',') FROM generate_series(1, 450) g) || '}', 'UTF8')),
	('oversized', convert_to('{"tenant":"1","exp":1,"x":"' || repeat('x', 9000) || '"}', 'UTF8'))
  ) c(what, claims);
ROLLBACK;

-- the fuzzing left no tenant behind
SELECT tenant, signed FROM tenant_guard.status();

RESET ROLE;
DROP SCHEMA tok_fuzz CASCADE;
DROP ROLE regress_tg_fuzz;

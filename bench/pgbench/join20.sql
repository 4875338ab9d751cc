-- bench/pgbench/join20.sql - one statement joining 20 RLS tables
-- (throughput.sh): rls_j01 .. rls_j20, each FORCEd with the same policy.
-- Variables (pgbench -D): tenants, join_rows.
\set t random(1, :tenants)
\set id :t + :tenants * random(0, :join_rows / :tenants - 1)
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT j01.id, j20.val
FROM rls_j01 j01
  JOIN rls_j02 j02 ON j02.id = j01.id
  JOIN rls_j03 j03 ON j03.id = j01.id
  JOIN rls_j04 j04 ON j04.id = j01.id
  JOIN rls_j05 j05 ON j05.id = j01.id
  JOIN rls_j06 j06 ON j06.id = j01.id
  JOIN rls_j07 j07 ON j07.id = j01.id
  JOIN rls_j08 j08 ON j08.id = j01.id
  JOIN rls_j09 j09 ON j09.id = j01.id
  JOIN rls_j10 j10 ON j10.id = j01.id
  JOIN rls_j11 j11 ON j11.id = j01.id
  JOIN rls_j12 j12 ON j12.id = j01.id
  JOIN rls_j13 j13 ON j13.id = j01.id
  JOIN rls_j14 j14 ON j14.id = j01.id
  JOIN rls_j15 j15 ON j15.id = j01.id
  JOIN rls_j16 j16 ON j16.id = j01.id
  JOIN rls_j17 j17 ON j17.id = j01.id
  JOIN rls_j18 j18 ON j18.id = j01.id
  JOIN rls_j19 j19 ON j19.id = j01.id
  JOIN rls_j20 j20 ON j20.id = j01.id
WHERE j01.id = :id;
END;

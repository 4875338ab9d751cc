-- bench/pgbench/select_only.sql - pgbench's built-in select-only statement
-- (throughput.sh): touches no RLS table and sets no tenant.
-- Variable (pgbench -D): naccounts.
\set aid random(1, :naccounts)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;

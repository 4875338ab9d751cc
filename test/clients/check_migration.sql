-- test/clients/check_migration.sql: what a migration of the client-library
-- tests must leave: orders and payments owned by tg_owner, protected by
-- tenant_guard with forced row-level security, and a validated foreign key
-- from payments to orders.  Prints t, or what is missing.
SELECT coalesce(string_agg(missing, '; '), 't')
  FROM (SELECT format('%s is not owned by tg_owner', c)
          FROM unnest(ARRAY['orders', 'payments']) c
         WHERE NOT EXISTS (SELECT FROM pg_class
                            WHERE oid = to_regclass(c)
                              AND relowner = 'tg_owner'::regrole)
        UNION ALL
        SELECT format('%s is not protected', c)
          FROM unnest(ARRAY['orders', 'payments']) c
         WHERE NOT EXISTS (SELECT FROM tenant_guard.registry r
                             JOIN pg_class k ON k.oid = r.relation
                            WHERE r.relation = to_regclass(c)
                              AND k.relrowsecurity AND k.relforcerowsecurity)
        UNION ALL
        SELECT 'no validated foreign key from payments to orders'
         WHERE NOT EXISTS (SELECT FROM pg_constraint
                            WHERE contype = 'f' AND convalidated
                              AND conrelid = to_regclass('payments')
                              AND confrelid = to_regclass('orders'))) m(missing);

-- test/clients/migration.sql: the schema of the psycopg and node-postgres
-- tests, a plain SQL migration that the tables' owner runs in one
-- transaction (test/clients/run.sh).  The composite foreign key keeps a
-- payment and its order in one tenant.
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL,
    item text NOT NULL,
    UNIQUE (tenant_id, id)
);
SELECT tenant_guard.protect('orders');

CREATE TABLE payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL,
    order_id bigint NOT NULL,
    amount integer NOT NULL
);
SELECT tenant_guard.protect('payments');
ALTER TABLE payments ADD FOREIGN KEY (tenant_id, order_id)
    REFERENCES orders (tenant_id, id);
CREATE INDEX ON payments (tenant_id, order_id);

// Orders and payments, as tenant tables (test/clients/node/knex_app.js).
'use strict';

// README: knex-migration
exports.up = async (knex) => {
  await knex.schema.createTable('orders', (t) => {
    t.bigIncrements('id');
    t.bigInteger('tenant_id').notNullable();
    t.text('item').notNullable();
  });
  await knex.raw("SELECT tenant_guard.protect('orders')");
  await knex.schema.createTable('payments', (t) => {
    t.bigIncrements('id');
    t.bigInteger('tenant_id').notNullable();
    t.bigInteger('order_id').notNullable().references('id').inTable('orders');
    t.integer('amount').notNullable();
  });
  await knex.raw("SELECT tenant_guard.protect('payments')");
};

exports.down = async (knex) => {
  await knex.schema.dropTable('payments');
  await knex.raw("SELECT tenant_guard.unprotect('orders')");
  await knex.schema.dropTable('orders');
};
// END README

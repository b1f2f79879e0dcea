{{ quarantine_rows(ref('int_orders__validated'), 'orders', 'dispatch_order') }}

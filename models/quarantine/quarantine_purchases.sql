{{ quarantine_rows(ref('int_purchases__validated'), 'purchases', 'dispatch_purchase') }}

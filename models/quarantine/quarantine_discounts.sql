{{ quarantine_rows(ref('int_discounts__validated'), 'discounts', 'dispatch_discount') }}

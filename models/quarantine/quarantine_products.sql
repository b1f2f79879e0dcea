{{ quarantine_rows(ref('int_products__validated'), 'products', 'dispatch_product') }}

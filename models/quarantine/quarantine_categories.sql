{{ quarantine_rows(ref('int_categories__validated'), 'categories', 'dispatch_category') }}

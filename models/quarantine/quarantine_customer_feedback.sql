{{ quarantine_rows(ref('int_customer_feedback__validated'), 'customer_feedback', 'dispatch_feedback') }}

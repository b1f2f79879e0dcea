{{ quarantine_rows(ref('int_payments__validated'), 'payments', 'dispatch_payment') }}

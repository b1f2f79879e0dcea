{{ quarantine_rows(ref('int_treatment_plans__validated'), 'treatment_plans', 'dispatch_plan') }}

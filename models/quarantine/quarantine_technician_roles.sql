{{ quarantine_rows(ref('int_technician_roles__validated'), 'technician_roles', 'dispatch_technicianrole') }}

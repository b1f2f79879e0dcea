{{ quarantine_rows(ref('int_offers__validated'), 'offers', 'dispatch_offer') }}

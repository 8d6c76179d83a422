"""Who may do what, the audit trail, throttling, pseudonyms, and the validators that keep CPR
numbers and control characters out."""

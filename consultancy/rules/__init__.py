"""Pure rules: no database, no Flask. The services feed them plain values."""

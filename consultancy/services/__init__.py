"""Operations that know nothing of requests: views, the CLI and the scheduler share them."""

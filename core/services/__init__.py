"""Use cases: every change goes through one of these, one unit of work each."""

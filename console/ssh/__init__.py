"""`doorkeeper serve`: the console over SSH (driver, sessions, workers)."""

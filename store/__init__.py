"""Persistence of core's objects: SQLAlchemy 2 async, SQLite by default."""

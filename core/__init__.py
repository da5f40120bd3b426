"""Doorkeeper's centre: the domain, its rules, rights and services.

Imports neither Textual, SQLAlchemy nor serial (enforced by import-linter).
"""

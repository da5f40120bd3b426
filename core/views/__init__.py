"""Read services: every read the console makes goes through here.

A read service takes a `Viewer` (the acting operator with their current site
grants) and a `ReadModel` (the port the store implements), checks the rights
matrix and the site grants, and returns rows from which the areas the
operator may not consult are absent. What an operator may not consult never
leaves core; the console only decides how to lay out what it was given.
"""

"""Exports' file formats: CSV, XLSX and the printable PDF report, written from the rows
core's read services stream (`core.views.exports`), always to a temporary file renamed
into place when complete (`files.py`)."""

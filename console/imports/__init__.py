"""Imports' file formats: the CSV and XLSX files a flats import reads (read.py), turned
into the lines core's import plans (core.services.flat_import)."""

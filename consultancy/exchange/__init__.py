"""Data leaving and entering the system: the export writers and the one spreadsheet reader."""

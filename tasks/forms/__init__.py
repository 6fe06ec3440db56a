"""填报模板: each unit's own workbook for a period (generate.py), its rows (rows.py), its layout (layout.py)."""

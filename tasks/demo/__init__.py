"""The demo district: generated workbooks and the month-by-month scenario. Not imported by production code."""

"""Intake: collect files into raw/ and the registry, read workbooks into tidy rows, where a period stands."""

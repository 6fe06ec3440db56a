"""One module per revision of the registry's schema, oldest first (0001 is the schema of 0.1.0)."""

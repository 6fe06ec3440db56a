"""Who may use the 填报门户: accounts, API tokens, the audit log and login throttling (in the registry)."""

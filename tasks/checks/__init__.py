"""Checks: the rule suites (GX), findings, the file outcome state machine, receipts."""

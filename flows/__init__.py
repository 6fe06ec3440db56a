"""Prefect flows and the `zhuanbao` command: wiring only, the work lives in tasks/."""

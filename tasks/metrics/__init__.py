"""Metrics: every derived figure of a period (spec §7–§8), written as curated/metrics_* datasets."""

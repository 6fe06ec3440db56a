"""Curated datasets: the latest accepted submission of each unit, per form, as parquet."""

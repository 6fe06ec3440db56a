"""The work of zhuanbao: small functions over files and tables, wrapped as Prefect tasks by flows/."""

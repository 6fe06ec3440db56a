"""Example districts built from real work plans (each folder is a home: zhuanbao.toml, reference/<year>/)."""

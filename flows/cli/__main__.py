"""`python -m zhuanbao.flows.cli` — the same command as `zhuanbao`."""
from . import app

app(prog_name="zhuanbao")

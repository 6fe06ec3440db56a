"""`python -m zhuanbao.flows.cli` — the same command as `zhuanbao`."""
from zhuanbao.flows.cli import app

app(prog_name="zhuanbao")

"""The 填报门户: units upload their workbook and get the receipt at once; the office watches the month.

`create_app(settings)` (app.py) builds the FastAPI app; server.py runs it with uvicorn.
"""
from .app import create_app

__all__ = ["create_app"]

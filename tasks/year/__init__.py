"""The year: the ledger of who reported how (ledger.py) and the assessment with its 考核通报 (assess.py, document.py)."""

"""The 专报: context, rendering (HTML/PDF/DOCX), the Excel 附表, issues and revisions, editors' tools."""

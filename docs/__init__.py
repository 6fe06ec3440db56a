"""The 使用手册 (Markdown, pictures, the MkDocs settings), shipped as package data for `zhuanbao docs` and /help."""

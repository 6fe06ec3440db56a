"""The 专报 and receipt templates (package data; an office overrides single files in <home>/templates/)."""

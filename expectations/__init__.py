"""The check rules: one GX suite per form as JSON (package data; an office overrides them in <home>/expectations/)."""

"""Verdict rules, one module per kind of observation; none looks at a version number."""

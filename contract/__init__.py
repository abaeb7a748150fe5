"""The ground floor: what harness/, tools/, report/, bench/ and requirements/ all agree on.

matrix.yaml's model and loader (matrix.py, with schemas/), the results row and its states (rows.py, states.py),
evidence helpers (evidence.py) and the atomic writer (atomic.py). Nothing here imports Django, the harness, the
tools or the report; rows, states, evidence and atomic are standard library only, because every probe env
(Python 3.7+) imports them.
"""

"""``publisher stats``: how each issue did, kept over time and drawn as a local report.

store.py keeps the numbers in ``.publisher/stats.sqlite`` (the latest per send, and a
history row whenever they change, so trends outlive the ESP's retention); sync.py fills it
from Sendsay's ``stat.uni`` and, for SMTP and outbox sends, from publisher's own ledger;
report.py writes ``_report/index.html`` with charts drawn as static SVG (charts.py).
"""

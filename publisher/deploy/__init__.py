"""``publisher deploy``: the built archive goes where visitors read it, changed files only.

manifest.py scans the built folder and plans the deploy against the manifest of the last one
(kept at the target itself, so a laptop and CI share it); run.py carries the plan out in the
order that keeps every page working while it runs: assets, then pages, then lists and feeds,
deletions last, the new manifest at the very end. folder.py, rsync.py and s3.py are the
targets. This package's ``__init__`` imports nothing: publisher.config imports its settings.
"""

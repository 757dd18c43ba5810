"""Email courses: every subscriber gets the lessons in order, on their own schedule, once.

A course is a series with ``kind: course``; its issues are lessons (``lesson: N``,
``delay: 3 days``). The modules, one job each::

    lessons.py    the course's lessons from issues/ and the rules of a valid sequence
    window.py     the sending window: weekdays and HH:MM in a time zone
    store.py      the roster and delivery records (SQLite) and the run lock
    roster_csv.py importing a roster from CSV, problem by problem
    runner.py     ``course run``: find due (subscriber, lesson) pairs, send, record
    sendsay.py    the Sendsay side: drafts (``course sync``) and workflow enrolment
    checks.py     the course rules of ``publisher check``

Nothing here prints; the CLI (``publisher/cli_course.py``) shows the returned reports.
"""

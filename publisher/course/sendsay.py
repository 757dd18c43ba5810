"""The Sendsay side of courses, for authors who let Sendsay's own automation send lessons.

* ``course sync COURSE`` uploads every lesson as a Sendsay draft (``issue.draft.set``). The
  draft id of each lesson is kept in the course store, so a re-run updates the same drafts in
  place (a workflow built on them keeps working) and skips lessons whose letter is unchanged.
* ``course enroll`` with ``course.delivery: sendsay`` makes sure the address exists in the
  account (``member.set``) and starts it on the course's workflow
  (``sequence.member.start``, parameters ``id`` and ``email``: assumed, to be confirmed on
  the real account like the other items of docs/sendsay-api.md §10).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from publisher.backends.sendsay import SendsayBackend
from publisher.backends.sendsay_client import SendsayClient
from publisher.config import Project
from publisher.course.lessons import load_course
from publisher.course.store import CourseStore, RunLock
from publisher.errors import ConfigError, SendError
from publisher.i18n import strings


@dataclass(frozen=True)
class DraftSync:
    """One lesson's draft after ``course sync``: created, updated or unchanged."""

    lesson: int
    title: str
    draft_id: str
    action: str


def _backend(project: Project, backend: SendsayBackend | None) -> SendsayBackend:
    if backend is not None:
        return backend
    from publisher.backends import backend_for

    made = backend_for(project, "sendsay")
    if not isinstance(made, SendsayBackend):
        raise ConfigError("the 'sendsay' backend is not the Sendsay backend")
    return made


def _client(backend: SendsayBackend) -> SendsayClient:
    backend.open()
    if backend.client is None:
        raise ConfigError("sendsay: the backend has no client after open()")
    return backend.client


def draft_object(project: Project, course_slug: str, lesson_number: int, title: str,
                 letter: dict[str, Any]) -> dict[str, Any]:
    """The draft as stored in Sendsay: a readable name and the finished letter."""
    word = strings(project.settings.site.language).lesson_number
    return {"name": f"{course_slug} · {word} {lesson_number}: {title}"[:250], "letter": letter}


def sync_drafts(project: Project, slug: str, *, now: dt.datetime,
                backend: SendsayBackend | None = None) -> list[DraftSync]:
    """Upload each lesson of ``slug`` as a Sendsay draft; update in place; skip unchanged ones."""
    from publisher.pipeline import prepare

    course = load_course(project, slug)
    sendsay = _backend(project, backend)
    results: list[DraftSync] = []
    with CourseStore.for_project(project.root) as store:
        lock = RunLock(project.root)
        lock.acquire(store)
        try:
            client = _client(sendsay)
            known = store.drafts(slug)
            for lesson in course.lessons:
                email = prepare(project, lesson.path, backend="sendsay").email
                obj = draft_object(project, slug, lesson.number, lesson.title,
                                   sendsay.letter(email))
                digest = hashlib.sha256(json.dumps(obj, sort_keys=True,
                                                   ensure_ascii=False).encode()).hexdigest()
                draft_id, old_digest = known.get(lesson.number, (None, None))
                if draft_id is not None and digest == old_digest:
                    results.append(DraftSync(lesson.number, lesson.title, draft_id, "unchanged"))
                    continue
                answer = client.draft_set(obj, id=draft_id)
                new_id = str(answer.get("id") or (answer.get("obj") or {}).get("id") or "")
                if not new_id:
                    raise SendError(f"issue.draft.set for lesson {lesson.number} answered "
                                    "without an id", backend="sendsay", ambiguous=True)
                store.save_draft(slug, lesson.number, new_id, digest, now)
                results.append(DraftSync(lesson.number, lesson.title, new_id,
                                         "updated" if draft_id else "created"))
        finally:
            lock.release()
            if backend is None:
                sendsay.close()
    return results


def start_workflow(project: Project, slug: str, email: str, name: str = "", *,
                   backend: SendsayBackend | None = None) -> dict[str, Any]:
    """Add ``email`` to the account and start it on the course's Sendsay workflow."""
    series = project.settings.series_by_slug(slug)
    if series is None or not series.course.sequence_id:
        raise ConfigError(f"course {slug!r}: course.sequence_id is not set",
                          hint="set it to the id of the Sendsay workflow that sends the lessons")
    sendsay = _backend(project, backend)
    try:
        client = _client(sendsay)
        datakey = [["base.firstName", "set", name]] if name else None
        client.member_set(email, datakey=datakey, if_exists="ignore")
        return client.call("sequence.member.start", id=series.course.sequence_id, email=email)
    finally:
        if backend is None:
            sendsay.close()

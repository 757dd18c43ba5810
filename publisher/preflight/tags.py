"""ESP tags in an issue: those outside the subset publisher evaluates are errors (a reader
would get them wrong outside Sendsay), and tags the configured backend does not fill are
warnings. Lines are the Markdown source's."""

from __future__ import annotations

from publisher.config import Project
from publisher.errors import Location, Problem
from publisher.models import Issue
from publisher.preflight.source import line_finder
from publisher.render.esp_template import errors_in, parse_leniently, variables

# what publisher itself knows outside Sendsay (the rest of anketa.* can come from extra
# columns of the subscriber CSV)
FILLED = {"anketa.base.firstName", "anketa.member.email", "param.url_unsub",
          "param.issue_archive_url", "param.issue.date", "param.issue.name"}

MAX_REPORTED = 20  # bad tags listed per issue (a broken paste can hold thousands)


def tag_problems(project: Project, issue: Issue, backend: str) -> tuple[list[Problem],
                                                                       list[Problem]]:
    """(errors, warnings) about the tags in ``issue``'s body."""
    body = issue.body
    if "[%" not in body and "*|" not in body:
        return [], []
    where = project.relative(issue.path)
    line_of = line_finder(body, issue.body_line)
    errors = []
    found = errors_in(body)
    for error in found[:MAX_REPORTED]:
        snippet = body[error.offset:error.offset + 40].split("\n")[0]
        close = snippet.find("%]")
        snippet = snippet[:close + 2] if close >= 0 else snippet
        errors.append(Problem(Location(where, line_of(error.offset)),
                              f"ESP tag {snippet!r}: {error.message}"))
    if len(found) > MAX_REPORTED:
        errors.append(Problem(Location(where, line_of(found[MAX_REPORTED].offset)),
                              f"and {len(found) - MAX_REPORTED} more bad ESP tags"))
    warnings = []
    sendsay_at = body.find("[%")
    generic_at = _generic_tag(body)
    if backend != "sendsay" and sendsay_at >= 0:
        names = [n for n in variables(parse_leniently(body)) if n not in FILLED
                 and "." in n]
        empty = (f"; {', '.join(names[:5])} come{'s' if len(names) == 1 else ''} from the "
                 "subscriber list's columns of the same name, else empty" if names else "")
        warnings.append(Problem(Location(where, line_of(sendsay_at)),
                                f"Sendsay tags ([% … %]) with backend '{backend}': publisher "
                                "fills name, email and unsubscribe link itself" + empty))
    if backend == "sendsay" and generic_at >= 0:
        warnings.append(Problem(Location(where, line_of(generic_at)),
                                "publisher's *|…|* tags are not filled by Sendsay: subscribers "
                                "would see them raw; write [% anketa.base.firstName %], "
                                "[% anketa.member.email %], [% param.url_unsub %]"))
    return errors, warnings


def _generic_tag(body: str) -> int:
    from publisher.render.merge_tags import TAG_RE

    for match in TAG_RE.finditer(body):
        if match.group(0).startswith("*|"):
            return match.start()
    return -1

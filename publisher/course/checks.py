"""The course rules of ``publisher check`` (called by :func:`publisher.check.check_project`).

``check`` already loads and renders every issue, lessons included, so a lesson that does not
render is reported there; this adds what only a view of the whole course can tell: lesson
numbering without gaps or duplicates, a delay for every lesson after the first, a sending
window that ever opens, and the settings Sendsay delivery needs.
"""

from __future__ import annotations

from publisher.config import Project
from publisher.course.lessons import sequence_problems
from publisher.errors import Location, Problem, ProblemReport
from publisher.models import Issue


def check_courses(project: Project, issues: list[Issue], report: ProblemReport) -> None:
    """Add every course problem of the folder to ``report``."""
    config = project.relative(project.config_path)
    for index, series in enumerate(project.settings.series):
        key = f"series[{index}]"
        if series.kind != "course":
            for issue in issues:
                if issue.series == series.slug and issue.lesson is not None:
                    report.warnings.append(Problem(
                        Location(project.relative(issue.path), issue.line_of("lesson") or 2),
                        f"'lesson' has no effect: series '{series.slug}' is a newsletter "
                        "(set 'kind: course' in newsletter.yaml to make it a course)"))
            continue
        errors, warnings = sequence_problems(series, issues, project, numbers_checked=True)
        report.errors.extend(errors)
        report.warnings.extend(warnings)
        course = series.course
        if course.window_start == course.window_end or not course.window_days:
            report.errors.append(Problem(
                Location(config, project.lines.line(f"{key}.course.window_end")),
                f"{key}.course: the sending window never opens (window_days empty or "
                "window_start equal to window_end)"))
        if course.delivery == "sendsay" and not course.sequence_id:
            report.errors.append(Problem(
                Location(config, project.lines.line(f"{key}.course.delivery")),
                f"{key}.course.sequence_id: required when delivery is 'sendsay' (the id of "
                "the Sendsay workflow that sends the lessons)"))
        if not any(i.series == series.slug for i in issues):
            report.warnings.append(Problem(
                Location(config, project.lines.line(f"{key}.slug")),
                f"course '{series.slug}' has no lessons yet (issues with 'series: "
                f"{series.slug}' and 'lesson: 1', 'lesson: 2'...)"))


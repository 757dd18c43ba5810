"""``newsletter.yaml``: the settings of one newsletter folder, validated up front.

The dataclasses below are the schema and its documentation: every field's ``doc`` is what
README's config reference says. Problems are collected and reported together as
``newsletter.yaml:LINE: key.path: what is wrong (what was expected)``.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from publisher.deploy.settings import DeploySettings
from publisher.errors import ConfigError
from publisher.schema import Builder, doc
from publisher.yamlfile import LineMap, parse_yaml

CONFIG_NAME = "newsletter.yaml"
EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: a slug is a folder name in the archive: file systems refuse names over 255 bytes, and a
#: URL that long is no use to a reader
SLUG_MAX = 100


def slug_problem(value: str) -> str | None:
    """Why ``value`` cannot be a slug (front matter, series, the slug map), or None."""
    if not SLUG_RE.match(value):
        return f"must be lowercase latin letters, digits and dashes, got {value!r}"
    if len(value) > SLUG_MAX:
        return f"must be at most {SLUG_MAX} characters, got {len(value)}"
    return None


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an absolute http(s) URL, got {value!r}"
    return None


def _link_url(value: str) -> str | None:
    if value.startswith(("mailto:", "tel:")) and len(value) > 7:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an absolute http(s), mailto: or tel: URL, got {value!r}"
    return None


def _url_or_empty(value: str) -> str | None:
    return _url(value) if value else None


def _email(value: str) -> str | None:
    return None if EMAIL_RE.match(value) else f"must be an email address, got {value!r}"


def _email_or_empty(value: str) -> str | None:
    return _email(value) if value else None


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (expected an IANA name such as 'Europe/Moscow')"
    return None


def _language(value: str) -> str | None:
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        return None
    return f"must be a language code such as 'ru' or 'en', got {value!r}"


def _slug(value: str) -> str | None:
    return slug_problem(value)


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be greater than 0, got {value!r}"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be 0 or more, got {value!r}"


@dataclass(frozen=True)
class SiteSettings:
    """The public archive site and the newsletter's locale."""

    title: str = field(metadata=doc("Name of the archive site (page titles, feeds)."))
    base_url: str = field(metadata=doc(
        "Absolute URL where the archive is published; web-version links, images and "
        "feeds are built from it.", _url))
    language: str = field(default="ru", metadata=doc(
        "Language of everything readers see (templates, typography, dates).", _language))
    timezone: str = field(default="Europe/Moscow", metadata=doc(
        "IANA time zone for dates and scheduled sends.", _timezone))
    description: str = field(default="", metadata=doc("One-line description of the site."))
    safe_html: bool = field(default=False, metadata=doc(
        "Sanitise the HTML of issue bodies (nh3): raw HTML, scripts, event handlers and "
        "javascript: links are removed. Turn on when guest authors write issues; off, the "
        "Markdown is trusted HTML."))
    image: str = field(default="", metadata=doc(
        "Picture shown when an archive page is shared (og:image) if the issue has no image "
        "of its own: an absolute URL, or a path relative to base_url; empty: none."))
    author: str = field(default="", metadata=doc(
        "Author named in the archive's structured data (JSON-LD); empty: sender.name."))


@dataclass(frozen=True)
class SenderSettings:
    """Who the email is from."""

    name: str = field(metadata=doc("Display name in From."))
    email: str = field(metadata=doc("From address (for Sendsay: a confirmed sender).", _email))
    reply_to: str = field(default="", metadata=doc("Reply-To address; empty: none.",
                                                   _email_or_empty))


_HHMM_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


def _hhmm(value: str) -> str | None:
    if _HHMM_RE.fullmatch(value):
        return None
    return f"must be a time of day HH:MM (00:00 to 24:00), got {value!r}"


def _timezone_or_empty(value: str) -> str | None:
    return _timezone(value) if value else None


@dataclass(frozen=True)
class CourseSettings:
    """Delivery rules of a course (series with ``kind: course``).

    Lessons go out only inside the window: on ``window_days``, from ``window_start`` up to
    (not including) ``window_end``, in the subscriber's own time zone when the roster has one,
    else in ``timezone``. A window with start after end runs over midnight (22:00 to 06:00).
    """

    window_days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = field(
        default=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        metadata=doc("Weekdays on which lessons may be sent, e.g. [mon, tue, wed, thu, fri]."))
    window_start: str = field(default="00:00", metadata=doc(
        "Earliest local time of a lesson, HH:MM.", _hhmm))
    window_end: str = field(default="24:00", metadata=doc(
        "Local time by which a lesson must have gone, HH:MM (exclusive; 24:00 = midnight).",
        _hhmm))
    timezone: str = field(default="", metadata=doc(
        "IANA time zone of the window for subscribers without their own; empty: "
        "site.timezone.", _timezone_or_empty))
    delivery: Literal["local", "sendsay"] = field(default="local", metadata=doc(
        "'local': `course run` sends lessons to the roster kept in the folder; 'sendsay': a "
        "Sendsay workflow sends the drafts uploaded by `course sync`, and `course enroll` "
        "starts subscribers on it."))
    sequence_id: str = field(default="", metadata=doc(
        "Id of the Sendsay workflow (sequence) that `course enroll` starts when delivery is "
        "'sendsay'."))


@dataclass(frozen=True)
class SeriesSettings:
    """One newsletter or course published from this folder."""

    slug: str = field(metadata=doc("Identifier used in issue front matter and URLs.", _slug))
    title: str = field(metadata=doc("Full title, as subscribers know it."))
    description: str = field(default="", metadata=doc("What readers get; shown in the archive.",
                                                        multiline=True))
    subscribe_url: str = field(default="", metadata=doc("Where visitors subscribe.", _url_or_empty))
    list_id: str = field(default="", metadata=doc("The ESP's list/group id of the audience "
                                                  "(Sendsay: e.g. 'pl01')."))
    kind: Literal["newsletter", "course"] = field(default="newsletter", metadata=doc(
        "'newsletter' (every issue to the whole list) or 'course' (lessons per subscriber)."))
    course: CourseSettings = field(default_factory=CourseSettings, metadata=doc(
        "Courses only: sending window and how lessons are delivered (see README: Email courses)."))


@dataclass(frozen=True)
class LinkSettings:
    """A labelled link; ``children`` make a sub-menu."""

    title: str = field(metadata=doc("Link text."))
    url: str = field(metadata=doc("Absolute URL (http, https, mailto: or tel:).", _link_url))
    children: tuple[LinkSettings, ...] = field(default=(), metadata=doc("Sub-menu links."))


@dataclass(frozen=True)
class LibrarySettings:
    """The business-library block shown in every email and archive page."""

    title: str = field(metadata=doc("Name of the library."))
    url: str = field(metadata=doc("Where the library is.", _url))
    heading: str = field(default="", metadata=doc("Eye-catcher above the block, e.g. 'Внимание!'."))
    text: str = field(default="", metadata=doc("The block's text (Markdown allowed).",
                                                          multiline=True))
    link_text: str = field(default="", metadata=doc("Text of the link to the library."))


@dataclass(frozen=True)
class FooterSettings:
    """Facts at the bottom of every email: who sends it, why, how to leave."""

    publisher: str = field(metadata=doc("Publisher name as signed."))
    reason: str = field(metadata=doc("Why the reader gets this mail; '{series}' is replaced by "
                                     "the newsletter's title.", multiline=True))
    contacts: tuple[LinkSettings, ...] = field(default=(), metadata=doc("Contact links."))
    unsubscribe_url: str = field(default="", metadata=doc(
        "Unsubscribe page for SMTP and outbox sends; '{email}' and '{series}' are filled per "
        "recipient. Sendsay uses its own [% param.url_unsub %].", _url_or_empty))


@dataclass(frozen=True)
class EmailSettings:
    """How emails are built."""

    template: str = field(default="issue", metadata=doc(
        "Template name in templates/email/ (NAME.html and NAME.txt)."))
    size_warning_kb: int = field(default=80, metadata=doc(
        "`check` warns when the HTML is larger (Gmail clips at 102 KB).", _positive))
    size_budget_kb: int = field(default=95, metadata=doc(
        "`check` and `render` fail when the HTML is larger.", _positive))
    utm: bool = field(default=True, metadata=doc(
        "Add utm_source/utm_medium/utm_campaign to links to the site's own domain."))
    typography: bool | None = field(default=None, metadata=doc(
        "Language typography (Russian quotes, dashes, non-breaking spaces); "
        "default: on for 'ru'."))


@dataclass(frozen=True)
class OutboxSettings:
    """The local outbox backend: .eml files, no account needed."""

    dir: str = field(default="outbox", metadata=doc("Folder for the .eml files."))
    subscribers: str = field(default="", metadata=doc(
        "CSV of local subscribers (email,name) per send; '{series}' is replaced by the series "
        "slug. Empty: one file addressed to the series list."))


@dataclass(frozen=True)
class SendsaySettings:
    """The Sendsay backend. Credentials come only from the environment."""

    login: str = field(default="", metadata=doc("Account login (x_...); SENDSAY_LOGIN overrides."))
    sublogin: str = field(default="", metadata=doc("Sub-user; SENDSAY_SUBLOGIN overrides."))
    api_url: str = field(default="https://api.sendsay.ru/", metadata=doc(
        "API address; SENDSAY_API_URL overrides.", _url))
    relink: bool = field(default=True, metadata=doc("Let Sendsay count clicks."))
    timeout: float = field(default=30.0, metadata=doc(
        "Seconds to wait for one API answer; a send whose answer times out is never repeated "
        "but looked up in Sendsay on the next run.", _positive))
    poll_interval: float = field(default=3.0, metadata=doc(
        "Seconds before the first track.get poll after a send; the delay then grows.",
        _positive))
    poll_timeout: float = field(default=900.0, metadata=doc(
        "Stop following a running track after this many seconds (the send stays recorded; "
        "`publisher status` shows how it ended).", _positive))
    timezone: str = field(default="Europe/Moscow", metadata=doc(
        "The account's time zone: Sendsay writes dates and reads later.time in it (the API "
        "does not say which; Moscow is Sendsay's default). Shown by `publisher status`.",
        _timezone))
    settle_minutes: float = field(default=5.0, metadata=doc(
        "A send whose answer was lost and whose name Sendsay still does not know this many "
        "minutes after the attempt (on Sendsay's clock) is settled as not sent, and sent again "
        "by the next run.", _non_negative))


@dataclass(frozen=True)
class SmtpSettings:
    """Any SMTP server. User and password come from SMTP_USER / SMTP_PASSWORD."""

    host: str = field(default="localhost", metadata=doc("SMTP server."))
    port: int = field(default=587, metadata=doc("Port.", _positive))
    security: Literal["starttls", "tls", "none"] = field(default="starttls", metadata=doc(
        "Transport security."))
    rate: float = field(default=0, metadata=doc("Messages per second at most; 0: unlimited."))
    timeout: float = field(default=30.0, metadata=doc(
        "Seconds to wait for the server on each step.", _positive))
    subscribers: str = field(default="subscribers/{series}.csv", metadata=doc(
        "CSV of subscribers (email,name); '{series}' is replaced by the series slug."))
    retries: int = field(default=3, metadata=doc(
        "A recipient refused with a temporary 4xx code is tried again this many times in the "
        "same run (then deferred: the next run retries it without a flag)."))
    retry_delay: float = field(default=2.0, metadata=doc(
        "Seconds before the first in-run retry of deferred recipients; doubles each time.",
        _positive))


@dataclass(frozen=True)
class EspSettings:
    """Which backend delivers, and each backend's settings."""

    backend: Literal["outbox", "sendsay", "smtp"] = field(default="outbox", metadata=doc(
        "Backend used by `send`: outbox (default, no account), sendsay or smtp."))
    outbox: OutboxSettings = field(default_factory=OutboxSettings, metadata=doc("Outbox options."))
    sendsay: SendsaySettings = field(default_factory=SendsaySettings,
                                     metadata=doc("Sendsay options."))
    smtp: SmtpSettings = field(default_factory=SmtpSettings, metadata=doc("SMTP options."))


def _regexes(values: tuple[str, ...]) -> str | None:
    for value in values:
        try:
            re.compile(value)
        except re.error as exc:
            return f"{value!r} is not a regular expression ({exc})"
    return None


def _regex_or_empty(value: str) -> str | None:
    return _regexes((value,)) if value else None


@dataclass(frozen=True)
class ImporterSettings:
    """What `publisher import` removes from old letters besides what it knows from this file."""

    chrome: tuple[str, ...] = field(default=(), metadata=doc(
        "Regular expressions (case-insensitive) for text blocks of old letters that are not "
        "the article (an old banner, a sponsor line); a block whose whole text matches one "
        "is removed.", _regexes))
    chrome_links: tuple[str, ...] = field(default=(), metadata=doc(
        "URL prefixes of links that only the letters' chrome had (an old site menu, a "
        "rating counter); a block made of such links is removed."))
    article_start: str = field(default="", metadata=doc(
        "Regular expression for the first block of the article; blocks before it are "
        "removed (empty: found by the chrome rules).", _regex_or_empty))
    article_end: str = field(default="", metadata=doc(
        "Regular expression for the first block after the article; it and what follows "
        "are removed.", _regex_or_empty))


@dataclass(frozen=True)
class Settings:
    """Everything in newsletter.yaml."""

    site: SiteSettings = field(metadata=doc("The archive site and locale."))
    sender: SenderSettings = field(metadata=doc("From and Reply-To."))
    series: tuple[SeriesSettings, ...] = field(metadata=doc("Newsletters and courses."))
    footer: FooterSettings = field(metadata=doc("Email footer facts."))
    navigation: tuple[LinkSettings, ...] = field(default=(), metadata=doc(
        "Site menu shown in emails and the archive."))
    library: LibrarySettings | None = field(default=None, metadata=doc(
        "Business-library block; leave out to hide it."))
    email: EmailSettings = field(default_factory=EmailSettings, metadata=doc("Email options."))
    esp: EspSettings = field(default_factory=EspSettings, metadata=doc("Delivery options."))
    importer: ImporterSettings = field(default_factory=ImporterSettings, metadata=doc(
        "`publisher import`: patterns of old letters' chrome (see README: Importing old "
        "issues)."))
    deploy: DeploySettings = field(default_factory=DeploySettings, metadata=doc(
        "Where `publisher deploy` puts the built archive (see README: Deploying the archive)."))

    def series_by_slug(self, slug: str) -> SeriesSettings | None:
        return next((s for s in self.series if s.slug == slug), None)

    @property
    def typography(self) -> bool:
        if self.email.typography is not None:
            return self.email.typography
        return self.site.language.split("-")[0] == "ru"


@dataclass(frozen=True)
class Project:
    """A newsletter folder: where its files are, and its validated settings."""

    root: Path
    settings: Settings
    config_path: Path
    lines: LineMap = field(default_factory=LineMap, compare=False, repr=False)

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def state_dir(self) -> Path:
        """Where publisher keeps its own records (ledger, caches) inside the folder."""
        return self.root / ".publisher"

    def relative(self, path: Path) -> Path:
        """``path`` relative to the project root when inside it (for messages)."""
        try:
            return path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return path


def load_project(root: Path | str = ".") -> Project:
    """Read and validate ``newsletter.yaml`` in ``root``; raise ConfigError with every problem."""
    root = Path(root)
    path = root / CONFIG_NAME
    display = path if root == Path(".") else path
    if not path.is_file():
        raise ConfigError.at(display, None, "not found; run `publisher init DIR` to create a "
                             "newsletter folder, or pass --project DIR")
    for folder in ("issues", ".publisher", "templates"):
        if (root / folder).exists() and not (root / folder).is_dir():
            raise ConfigError.at(root / folder, None, "is a file, but publisher keeps a "
                                 "folder by this name here; rename or remove the file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.at(display, None,
                             f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    data, lines = parse_yaml(text, display, error=ConfigError)
    return Project(root=root, settings=build_settings(data, display, lines),
                   config_path=path, lines=lines)


def build_settings(data: object, path: Path | str, lines: LineMap) -> Settings:
    """Validate parsed YAML into Settings, with cross-field checks; all problems at once."""
    builder = Builder(path, lines)
    settings = builder.build(Settings, data)
    if settings is not None:
        seen: dict[str, int] = {}
        for index, series in enumerate(settings.series):
            if series.slug in seen:
                builder.problem(f"series[{index}].slug",
                                f"duplicate series slug {series.slug!r} "
                                f"(first at series[{seen[series.slug]}])")
            seen.setdefault(series.slug, index)
        if not settings.series:
            builder.problem("series", "at least one newsletter or course is required")
        if settings.email.size_warning_kb >= settings.email.size_budget_kb:
            builder.problem("email.size_warning_kb", "must be below email.size_budget_kb")
    if builder.problems:
        raise ConfigError(problems=builder.problems)
    assert settings is not None  # no problems means it was built
    return settings

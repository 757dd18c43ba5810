"""``check --links``: external links checked over HTTP before a send.

HEAD first (cheap), then GET where servers refuse HEAD (405, 501 and the like); redirects are
followed and reported with where they end, so the author can link the final address;
concurrent over a small pool (a newsletter has tens of links, and servers should not be
hammered); a timeout per request; answers that were fine are cached for a day in
``.publisher/links.json`` so a second check right before the send is instant. Broken links
are never cached: the next check asks again.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

CACHE_NAME = "links.json"
CACHE_MAX_AGE = 24 * 3600
WORKERS = 4
TIMEOUT = 10.0  # seconds, to connect and for each read
MAX_REDIRECTS = 10
_RETRY_WITH_GET = {400, 403, 404, 405, 406, 429, 500, 501, 503}
_USER_AGENT = "publisher-link-check/1 (+https://pypi.org/project/requests/)"


@dataclass(frozen=True)
class LinkResult:
    """What one URL answered: ``status`` of the last response (0: no response)."""

    url: str
    status: int = 0
    final_url: str = ""
    redirects: tuple[tuple[int, str], ...] = ()  # (status, Location) of each hop
    error: str = ""
    checked_at: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and 200 <= self.status < 300

    def problem(self) -> str | None:
        """A one-line description for the author, or None when the link is fine."""
        if self.error:
            return self.error
        if not self.ok:
            return f"HTTP {self.status}" + (f" (after redirects to {self.final_url})"
                                            if self.redirects else "")
        if self.redirects:
            hops = len(self.redirects)
            how = f"{self.redirects[0][0]}" + (f", {hops} hops" if hops > 1 else "")
            return f"redirects ({how}) to {self.final_url}: link that address instead"
        return None


def check_urls(urls: Iterable[str], *, cache_dir: Path | None = None,
               timeout: float = TIMEOUT, workers: int = WORKERS,
               max_age: float = CACHE_MAX_AGE) -> dict[str, LinkResult]:
    """Check every URL once (duplicates asked once); returns url -> result."""
    wanted = list(dict.fromkeys(urls))
    cache = _load_cache(cache_dir) if cache_dir is not None else {}
    now = time.time()
    results: dict[str, LinkResult] = {}
    to_ask = []
    for url in wanted:
        cached = cache.get(url)
        if cached is not None and cached.ok and now - cached.checked_at < max_age:
            results[url] = cached
        else:
            to_ask.append(url)
    if to_ask:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(to_ask)))) as pool:
            for result in pool.map(lambda u: _check_alone(u, timeout), to_ask):
                results[result.url] = result
    if cache_dir is not None:
        fresh = {u: r for u, r in {**cache, **results}.items()
                 if r.ok and now - r.checked_at < max_age}
        _save_cache(cache_dir, fresh)
    return {url: results[url] for url in wanted}


def _check_alone(url: str, timeout: float) -> LinkResult:
    """One session per URL: requests' sessions are not promised to be thread-safe."""
    with requests.Session() as session:
        session.headers["User-Agent"] = _USER_AGENT
        session.max_redirects = MAX_REDIRECTS
        return check_url(session, url, timeout)


def check_url(session: requests.Session, url: str, timeout: float) -> LinkResult:
    """HEAD, then GET if the server will not answer HEAD properly."""
    try:
        response = session.head(url, allow_redirects=True, timeout=timeout)
        if response.status_code in _RETRY_WITH_GET:
            response.close()
            response = session.get(url, allow_redirects=True, timeout=timeout, stream=True)
        response.close()
    except requests.exceptions.TooManyRedirects:
        return LinkResult(url, error=f"more than {MAX_REDIRECTS} redirects (a loop?)",
                          checked_at=time.time())
    except requests.exceptions.Timeout:
        return LinkResult(url, error=f"no answer within {timeout:g} s", checked_at=time.time())
    except requests.exceptions.ConnectionError as exc:
        return LinkResult(url, error=f"cannot connect ({_reason(exc)})", checked_at=time.time())
    except requests.exceptions.RequestException as exc:
        return LinkResult(url, error=f"cannot check ({type(exc).__name__})",
                          checked_at=time.time())
    hops = tuple((r.status_code, r.headers.get("Location", "")) for r in response.history)
    return LinkResult(url, status=response.status_code, final_url=response.url,
                      redirects=hops, checked_at=time.time())


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "No route to host",
                  "Connection reset", "certificate verify failed", "nodename nor servname"):
        if known.lower() in text.lower():
            return known.lower() if known != "Name or service not known" else "unknown host"
    return type(exc).__name__


def _load_cache(cache_dir: Path) -> dict[str, LinkResult]:
    try:
        data = json.loads((cache_dir / CACHE_NAME).read_text(encoding="utf-8"))
        return {url: LinkResult(url=url, status=int(v["status"]), final_url=str(v["final_url"]),
                                redirects=tuple((int(s), str(u)) for s, u in v["redirects"]),
                                checked_at=float(v["checked_at"]))
                for url, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # no cache, or one from another version: check everything again


def _save_cache(cache_dir: Path, results: dict[str, LinkResult]) -> None:
    from publisher.pipeline import write_atomic

    data = {url: {k: v for k, v in asdict(r).items() if k not in ("url", "error")}
            for url, r in sorted(results.items())}
    # a cache that cannot be written only makes the next check slower
    with contextlib.suppress(OSError):
        write_atomic(cache_dir / CACHE_NAME,
                     (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))

"""What each target promises beyond the plan: S3 headers, CDN hooks, clear errors, no secrets."""

from __future__ import annotations

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.deploy.remotes import S3_ENV, Remote
from tests.deploy.site import SiteProject
from tests.fixtures_project import config_data, write_tree


def test_s3_objects_carry_content_types_and_cache_headers(s3_remote: Remote, tmp_path: Path):
    site = SiteProject(tmp_path / "newsletter", s3_remote.config)
    site.build()
    assert site.cli("deploy", env=s3_remote.env).exit_code == 0
    client, bucket, prefix = (s3_remote.extra[k] for k in ("client", "bucket", "prefix"))

    def head(path: str) -> tuple[str, str]:
        answer = client.head_object(Bucket=bucket, Key=prefix + path)
        return answer["ContentType"], answer.get("CacheControl", "")

    year, day, minutes = ("public, max-age=31536000, immutable", "public, max-age=86400",
                          "public, max-age=300")
    assert head("index.html") == ("text/html; charset=utf-8", minutes)
    assert head("news/vypusk-2/index.html") == ("text/html; charset=utf-8", minutes)
    assert head("static/archive.css") == ("text/css; charset=utf-8", year)
    assert head("static/search.js") == ("text/javascript; charset=utf-8", year)
    assert head("assets/images/chart.png") == ("image/png", day)
    assert head("feed.xml") == ("application/atom+xml; charset=utf-8", minutes)
    assert head("news/feed.xml") == ("application/atom+xml; charset=utf-8", minutes)
    assert head("sitemap.xml") == ("application/xml; charset=utf-8", minutes)
    assert head("search/docs.json") == ("application/json; charset=utf-8", minutes)
    assert head(".publisher-deploy.json") == ("application/json", "no-cache")
    # the stylesheet's links carry its version, which is what makes a year safe
    page = client.get_object(Bucket=bucket, Key=prefix + "index.html")["Body"].read()
    assert b"static/archive.css?v=" in page


def test_s3_cache_headers_follow_the_config(s3_remote: Remote, tmp_path: Path):
    config = {**s3_remote.config, "cache": {"pages": "no-cache", "static": "max-age=60"}}
    site = SiteProject(tmp_path / "newsletter", config)
    site.build()
    assert site.cli("deploy", env=s3_remote.env).exit_code == 0
    client, bucket, prefix = (s3_remote.extra[k] for k in ("client", "bucket", "prefix"))
    assert client.head_object(Bucket=bucket, Key=prefix + "index.html")["CacheControl"] == \
        "no-cache"
    assert client.head_object(Bucket=bucket, Key=prefix + "static/archive.css")[
        "CacheControl"] == "max-age=60"


def test_s3_without_credentials_names_the_variables(s3_remote: Remote, tmp_path: Path):
    site = SiteProject(tmp_path / "newsletter", s3_remote.config)
    site.build()
    result = site.cli("deploy", env={"TEST_S3_KEY": S3_ENV["TEST_S3_KEY"]})
    assert result.exit_code == 1
    assert "set the environment variable TEST_S3_SECRET" in result.output
    assert "Traceback" not in result.output


def test_s3_missing_bucket_is_one_clear_line(s3_remote: Remote, tmp_path: Path):
    config = {**s3_remote.config, "s3": {**s3_remote.config["s3"], "bucket": "no-such-bucket"}}
    site = SiteProject(tmp_path / "newsletter", config)
    site.build()
    result = site.cli("deploy", env=s3_remote.env)
    assert result.exit_code == 1
    assert "Error: s3://no-such-bucket/rassylki/: reading the deploy manifest: NoSuchBucket" \
        in result.output
    assert S3_ENV["TEST_S3_SECRET"] not in result.output


def test_rsync_with_a_wrong_key_fails_cleanly_and_never_shows_the_key(rsync_remote: Remote,
                                                                      tmp_path: Path):
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(tmp_path / "other")], check=True)
    wrong = (tmp_path / "other").read_text()
    site = SiteProject(tmp_path / "newsletter", rsync_remote.config)
    site.build()
    result = site.cli("deploy", env={**rsync_remote.env, "TEST_DEPLOY_KEY": wrong})
    assert result.exit_code == 1
    assert "rsync exited with" in result.output  # 255 or 12: whichever side notices first
    assert "Permission denied (publickey)" in result.output
    assert "ssh could not log in" in result.output
    for line in wrong.splitlines()[1:-1]:
        assert line not in result.output
    # and an unknown host key is refused, never accepted silently
    result = site.cli("deploy", env={**rsync_remote.env, "TEST_KNOWN_HOSTS":
                                     "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk"})
    assert result.exit_code == 1 and "Host key verification failed" in result.output
    assert rsync_remote.read() == {}


class _Recorder(BaseHTTPRequestHandler):
    calls: list = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((self.path, self.headers.get("Authorization"), json.loads(body)))
        self.send_response(int(self.path.rsplit("/", 1)[-1]) if self.path[-3:].isdigit() else 200)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def purge_server():  # type: ignore[no-untyped-def]
    _Recorder.calls = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_cdn_url_hook_gets_changed_and_deleted_paths_only(folder_remote: Remote, tmp_path: Path,
                                                          purge_server):  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{purge_server.server_port}/purge"
    config = {**folder_remote.config, "invalidate": url, "invalidate_token_env": "TEST_CDN_TOKEN"}
    site = SiteProject(tmp_path / "newsletter", config)
    site.build()
    env = {"TEST_CDN_TOKEN": "cdn-token-123456"}
    assert "CDN" not in site.cli("deploy", env=env).output  # a first deploy has nothing to purge
    assert _Recorder.calls == []
    site.retitle(3, "Третий, исправленный")
    site.remove(5)
    site.build()
    result = site.cli("deploy", env=env)
    assert result.exit_code == 0, result.output
    [(path, auth, body)] = _Recorder.calls
    assert path == "/purge" and auth == "Bearer cdn-token-123456"
    paths = body["paths"]
    assert "/archive/news/vypusk-3/index.html" in paths and "/archive/news/vypusk-3/" in paths
    assert "/archive/news/vypusk-5/" in paths  # deleted
    assert "/archive/" in paths and "/archive/index.html" in paths
    assert not [p for p in paths if "vypusk-1/" in p or "static/" in p]
    assert f"CDN asked to refresh {len(paths)} paths" in result.output
    assert "cdn-token-123456" not in result.output


def test_cdn_hook_failure_is_reported_after_the_deploy(folder_remote: Remote, tmp_path: Path,
                                                       purge_server):  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{purge_server.server_port}/purge/503"
    site = SiteProject(tmp_path / "newsletter", {**folder_remote.config, "invalidate": url})
    site.build()
    site.cli("deploy")
    site.retitle(1, "Первый, исправленный")
    site.build()
    result = site.cli("deploy")
    assert result.exit_code == 1
    assert f"deploy.invalidate: http://127.0.0.1:{purge_server.server_port} answered 503" \
        in result.output
    assert "the site itself is deployed" in result.output
    assert folder_remote.read()["news/vypusk-1/index.html"] == \
        (site.site / "news/vypusk-1/index.html").read_bytes()


def test_cdn_command_hook_gets_the_paths_as_arguments_or_on_stdin(folder_remote: Remote,
                                                                   tmp_path: Path):
    script = tmp_path / "purge.py"
    script.write_text("import sys, json\nopen(sys.argv[1], 'w').write(json.dumps("
                      "{'args': sys.argv[2:], 'stdin': sys.stdin.read()}))\n")
    log = tmp_path / "purge.json"
    for command, where in ((f"{sys.executable} {script} {log} {{paths}}", "args"),
                           (f"{sys.executable} {script} {log}", "stdin")):
        log.unlink(missing_ok=True)
        root = tmp_path / where
        site = SiteProject(root, {**folder_remote.config,
                                  "folder": {"path": str(root / "public")},
                                  "invalidate": command})
        site.build()
        site.cli("deploy")
        site.retitle(2, "Второй, исправленный")
        site.build()
        assert site.cli("deploy").exit_code == 0
        called = json.loads(log.read_text())
        paths = called["args"] if where == "args" else called["stdin"].splitlines()
        assert "/archive/news/vypusk-2/" in paths and "/archive/feed.xml" in paths


@pytest.mark.parametrize(("deploy", "key", "message"), [
    ({}, None, "deploy.method: nothing to deploy to ('none')"),
    ({"method": "folder"}, "deploy", "deploy.folder.path: required for deploy.method 'folder'"),
    ({"method": "rsync", "rsync": {"destination": "no-colon-here"}}, "destination",
     "deploy.rsync.destination: must be user@host:path"),
    ({"method": "s3", "s3": {"bucket": "Bad_Bucket"}}, "bucket",
     "deploy.s3.bucket: must be an S3 bucket name"),
    ({"method": "ftp"}, "method", "deploy.method: must be one of 'none', 'folder'"),
])
def test_config_problems_name_their_line(tmp_path: Path, deploy: dict, key: str | None,
                                         message: str):
    site = SiteProject(tmp_path / "newsletter", {"method": "none"})
    site.build()
    write_tree(site.root, {"newsletter.yaml": config_data(deploy=deploy) if deploy else
                           config_data()})
    result = site.cli("deploy")
    assert result.exit_code == 1
    match = re.search(r"Error: \S*newsletter\.yaml(?::(\d+))?: (.*)", result.output)
    assert match and match.group(2).startswith(message), result.output
    if key is None:
        return
    line = (site.root / "newsletter.yaml").read_text().splitlines()[int(match.group(1)) - 1]
    assert line.strip().startswith(f"{key}:")


def test_refuses_a_folder_that_is_not_a_built_site(folder_remote: Remote, tmp_path: Path):
    site = SiteProject(tmp_path / "newsletter", folder_remote.config)
    (site.root / "_site").mkdir()
    result = site.cli("deploy")
    assert result.exit_code == 1
    assert "Error: _site: not an archive built by `publisher build`" in result.output
    result = site.cli("deploy", "--site", str(site.root))
    assert result.exit_code == 1 and "not an archive built" in result.output

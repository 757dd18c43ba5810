"""``publisher import sendsay`` against the local Sendsay double, over real HTTP.

The double is started with a back catalogue (old issues of three lists over three years,
in the answer shapes issue.get might have, one of them broken); the command pages through
issue.list a year at a time, fetches each issue, and writes one issue file per letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from publisher.load import split_front_matter
from publisher.testing.fake_sendsay import FakeSendsay
from publisher.testing.fake_sendsay_catalogue import OldIssue
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN
from tests.importer.corpus import HERE, LAYOUT_CP1251, SENDSAY_MODERN, WORD_KOI8
from tests.importer.helpers import imported_files, newsletter, run

SALES = (HERE / "sales-stage.html").read_text("utf-8")

CATALOGUE = [
    OldIssue(501, "pl02", "2009-02-16 10:00:00", "Как провести планерку за 15 минут",
             LAYOUT_CP1251.html),
    OldIssue(502, "pl02", "2010-04-12 10:00:03",
             "Требуется «продажный» менеджер, или КАК НЕ СТАТЬ ЖЕРТВОЙ ВОРОВ — 2", SALES,
             shape="dotted"),
    OldIssue(503, "pl01", "2010-05-20 09:30:00", "Весенний набор", SENDSAY_MODERN.html,
             shape="flat"),
    OldIssue(504, "pl02", "2007-11-05 08:00:00", "Мотивация без денег", WORD_KOI8.html),
    OldIssue(505, "pl02", "2011-01-10 10:00:00", "Письмо без текста", shape="broken"),
    OldIssue(506, "pl02", "2011-03-01 10:00:00", "Только текст",
             text="Здравствуйте!\n\nЭто письмо было только текстом.\n1. Не список."),
    OldIssue(507, "pl99", "2010-06-01 10:00:00", "Чужой список", "<p>Не наш список.</p>"),
]


@pytest.fixture
def catalogue_sendsay(tmp_path: Path) -> Iterator[FakeSendsay]:
    with FakeSendsay(login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY,
                     groups={"pl01": 120, "pl02": 2000, "pl99": 5}, catalogue=CATALOGUE,
                     log_path=tmp_path / "sendsay.jsonl") as fake:
        yield fake


def _env(fake: FakeSendsay) -> dict[str, str]:
    return {"SENDSAY_API_URL": fake.base_url, "SENDSAY_LOGIN": SENDSAY_LOGIN,
            "SENDSAY_APIKEY": SENDSAY_APIKEY}


def _fields(path: Path) -> dict:
    return yaml.safe_load(split_front_matter(path.read_text("utf-8"), path)[0])


def _actions(fake: FakeSendsay) -> list[str]:
    return [e["action"] for e in fake.requests if e["outcome"] != "redirect"]


def test_import_sendsay_writes_one_issue_per_letter_in_date_order(
        tmp_path: Path, catalogue_sendsay: FakeSendsay) -> None:
    root = newsletter(tmp_path)
    result = run(root, "import", "sendsay", "--since", "2007-01-01", "--until", "2011-12-31",
                 env=_env(catalogue_sendsay))
    assert result.exit_code == 1, result.output  # one letter failed
    assert "Failed: sendsay:505" in result.stderr and "no letter HTML or text" in result.stderr
    assert result.stdout.strip().endswith(
        "5 imported, 0 skipped (already there), 0 skipped (edited since import), 1 failed")

    lists = [e["request"] for e in catalogue_sendsay.requests
             if e["action"] == "issue.list" and e["outcome"] == "ok"]
    assert [(r["from"], r["upto"]) for r in lists] == [
        (f"{y}-01-01", f"{y}-12-31") for y in range(2007, 2012)]
    assert all(r["group"] == ["pl01", "pl02", "pl03"] for r in lists)
    gets = [e["request"]["id"] for e in catalogue_sendsay.requests if e["action"] == "issue.get"]
    assert sorted(gets) == [501, 502, 503, 504, 505, 506]  # 507's list is no series' list

    files = {_fields(p)["imported_from"]: (p, _fields(p)) for p in imported_files(root)}
    assert set(files) == {"sendsay:501", "sendsay:502", "sendsay:503", "sendsay:504",
                          "sendsay:506"}
    by_number = sorted((f["number"], f["date"], source) for source, (_, f) in files.items()
                       if f["series"] == "upravlyay-ka")
    # numbered in date order after the shipped issue 1
    assert by_number == [(2, dt.date(2007, 11, 5), "sendsay:504"),
                         (3, dt.date(2009, 2, 16), "sendsay:501"),
                         (4, dt.date(2010, 4, 12), "sendsay:502"),
                         (5, dt.date(2011, 3, 1), "sendsay:506")]
    path, fields = files["sendsay:503"]
    assert (fields["series"], fields["number"], fields["title"]) == (
        "azbuka-prodazhnogo-menedzhera", 1, "Весенний набор")
    assert path.name == f"azbuka-prodazhnogo-menedzhera-001-{fields['slug']}.md"
    assert fields["status"] == "published"
    sales_path, sales = files["sendsay:502"]
    assert sales["title"] == "Требуется «продажный» менеджер, или КАК НЕ СТАТЬ ЖЕРТВОЙ ВОРОВ — 2"
    assert "<br>- Объем продаж (в деньгах)<br>" in sales_path.read_text("utf-8")
    text_only = files["sendsay:506"][0].read_text("utf-8")
    assert "Это письмо было только текстом.  \n1\\. Не список." in text_only

    check = run(root, "check")
    assert check.exit_code == 0, check.output


def test_rerun_imports_nothing_and_leaves_an_edited_file_alone(
        tmp_path: Path, catalogue_sendsay: FakeSendsay) -> None:
    root = newsletter(tmp_path)
    args = ("import", "sendsay", "--since", "2007-01-01", "--until", "2011-12-31")
    first = run(root, *args, env=_env(catalogue_sendsay))
    assert "5 imported" in first.stdout
    files = {_fields(p)["imported_from"]: p for p in imported_files(root)}
    edited = files["sendsay:501"]
    edited.write_text(edited.read_text("utf-8") + "\nДобавлено автором.\n", "utf-8")
    before = {p: p.read_bytes() for p in (root / "issues").glob("*.md")}
    catalogue_sendsay.clear_requests()

    second = run(root, *args, env=_env(catalogue_sendsay))
    assert second.stdout.strip().endswith(
        "0 imported, 4 skipped (already there), 1 skipped (edited since import), 1 failed")
    assert f"edited: Sendsay issue 501 -> issues/{edited.name}: edited since it was " \
           "imported; left alone" in second.stderr
    assert {p: p.read_bytes() for p in (root / "issues").glob("*.md")} == before
    # only the broken letter is fetched again: nothing already imported is downloaded
    assert [e["request"]["id"] for e in catalogue_sendsay.requests
            if e["action"] == "issue.get"] == [505]

    # --refresh converts the untouched ones again, and still not the edited one
    third = run(root, *args, "--refresh", env=_env(catalogue_sendsay))
    assert "4 imported" in third.stdout and "1 skipped (edited since import)" in third.stdout
    assert edited.read_bytes() == before[edited]
    assert sorted(p.name for p in (root / "issues").glob("*.md")) == \
        sorted(p.name for p in before)


def test_a_deleted_import_is_not_brought_back(tmp_path: Path,
                                              catalogue_sendsay: FakeSendsay) -> None:
    root = newsletter(tmp_path)
    args = ("import", "sendsay", "--series", "azbuka-prodazhnogo-menedzhera")
    assert "1 imported" in run(root, *args, env=_env(catalogue_sendsay)).stdout
    [path] = imported_files(root)
    path.unlink()
    again = run(root, *args, env=_env(catalogue_sendsay))
    assert "deleted since it was imported; not imported again" in again.stderr
    assert imported_files(root) == []


def test_dry_run_writes_nothing_and_shows_what_would_be_written(
        tmp_path: Path, catalogue_sendsay: FakeSendsay) -> None:
    root = newsletter(tmp_path)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = run(root, "import", "sendsay", "--series", "upravlyay-ka", "--since",
                 "2009-01-01", "--until", "2010-12-31", "--dry-run", "--show",
                 env=_env(catalogue_sendsay))
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert result.stdout.strip().endswith(
        "Dry run: 2 would be imported, 0 skipped (already there), "
        "0 skipped (edited since import), 0 failed")
    assert "==> issues/upravlyay-ka-002-kak-provesti-planerku-za-15-minut.md" in result.stdout
    assert "imported_from: sendsay:501" in result.stdout
    assert "[% anketa.base.firstName %]" in result.stdout
    lists = [e["request"] for e in catalogue_sendsay.requests if e["action"] == "issue.list"
             and e["outcome"] == "ok"]
    assert [r["group"] for r in lists] == [["pl02"], ["pl02"]]


def test_wrong_credentials_stop_the_import_with_one_clear_line(
        tmp_path: Path, catalogue_sendsay: FakeSendsay) -> None:
    root = newsletter(tmp_path)
    env = {**_env(catalogue_sendsay), "SENDSAY_APIKEY": "wrong-key"}
    result = run(root, "import", "sendsay", env=env)
    assert result.exit_code == 1
    assert "Error: sendsay: issue.list failed: error/auth/failed (wrong_credentials)" \
        in result.stderr
    assert "Traceback" not in result.output and "wrong-key" not in result.output
    assert imported_files(root) == []


def test_issue_get_answers_every_archived_issue_in_the_documented_shape(
        catalogue_sendsay: FakeSendsay) -> None:
    from publisher.backends.sendsay_client import SendsayClient

    with SendsayClient(catalogue_sendsay.base_url, login=SENDSAY_LOGIN,
                       apikey=SENDSAY_APIKEY) as client:
        obj = client.call("issue.get", id=501)["obj"]
        assert obj["gid"] == "pl02" and obj["dt"] == "2009-02-16 10:00:00"
        assert obj["letter"]["subject"] == "Как провести планерку за 15 минут"
        assert obj["letter"]["message"]["html"] == LAYOUT_CP1251.html
        listed = client.issue_list("2010-01-01", "2010-12-31")
        assert [row["id"] for row in listed] == [502, 503, 507]
        with pytest.raises(Exception, match="error/issue/not_found"):
            client.call("issue.get", id=9999)

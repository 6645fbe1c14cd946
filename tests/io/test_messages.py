"""Messages, people, posts and SNAP files: detection, parsing, rejects with line and reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas import api
from procatlas.errors import InputError
from procatlas.io.comms import communication_format, listify

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _ws(tmp_path):
    return api.open_workspace(tmp_path / "atlas.duckdb")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_messages_roundtrip(tmp_path):
    f = _write(tmp_path / "m.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "M1", "timestamp": "2025-01-06T08:00:00+01:00", "sender": "ann", "recipients": ["bob", "cy"],
         "venue": "chat:#ops", "kind": "chat", "subject": "SO-000123 late", "case_refs": ["PR-000001"], "prio": 2},
        {"id": "M2", "timestamp": 1736150400, "sender": "bob", "to": "ann;cy", "kind": "e-mail",
         "text": "about order 98765 and invoice INV-2025-7"},
    ]) + "\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws).sources
    assert s.format == "messages-jsonl" and s.rejected == 0
    rows = ws.rows("SELECT id, timestamp, sender, recipients, venue, kind, list_sort(case_refs), attributes "
                   "FROM message ORDER BY mid")
    assert rows[0][1].isoformat() == "2025-01-06T07:00:00"
    assert rows[0][3] == ["bob", "cy"] and rows[0][4] == "chat:#ops" and rows[0][5] == "chat"
    assert rows[0][6] == ["PR-000001", "SO-000123"]
    assert json.loads(rows[0][7]) == {"prio": 2}
    assert rows[1][1].isoformat() == "2025-01-06T08:00:00" and rows[1][3] == ["ann", "cy"]
    assert rows[1][5] == "email" and rows[1][6] == ["98765", "INV-2025-7"]


def test_csv_messages_and_custom_case_pattern(tmp_path):
    f = _write(tmp_path / "m.csv", "id,timestamp,sender,recipients,venue,kind,subject\n"
                                   "1,2025-02-03 09:00,ann,\"[\"\"bob\"\"]\",meeting:standup,meeting,Ticket T#77\n"
                                   "2,2025-02-03 10:00,bob,ann;cy,,email,hello\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws, timezone="Europe/Amsterdam", case_patterns=[r"T#(\d+)"]).sources
    assert s.format == "messages-csv" and s.rejected == 0
    rows = ws.rows("SELECT timestamp, recipients, case_refs FROM message ORDER BY mid")
    assert rows[0][0].isoformat() == "2025-02-03T08:00:00"
    assert rows[0][1] == ["bob"] and rows[0][2] == ["77"] and rows[1][1] == ["ann", "cy"]


def test_calendar_csv_becomes_meetings(tmp_path):
    f = _write(tmp_path / "cal.csv", "title,start,attendees,organizer\nCoffee,2025-03-06T10:00:00Z,ann;bob;cy,ann\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws).sources
    assert s.format == "calendar-csv"
    assert ws.rows("SELECT sender, recipients, venue, kind FROM message") == [
        ("ann", ["bob", "cy"], "meeting:Coffee", "meeting")]


def test_people_csv_two_groups_and_duplicates(tmp_path):
    f = _write(tmp_path / "people.csv", "person,name,group,role\nP1,Ann,Sales,Rep\nP1,Ann,Warehouse,Clerk\n"
                                        "P2,Bob,Sales,Lead\nP2,Bob,Sales,Lead\n,Nobody,IT,\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws).sources
    assert s.format == "people-csv" and s.rejected == 2
    assert ws.rows('SELECT id, "group" FROM person ORDER BY rowid') == [("P1", "Sales"), ("P1", "Warehouse"),
                                                                       ("P2", "Sales")]
    reasons = sorted(r["reason"] for r in api.rejects(workspace=ws))
    assert reasons == ["duplicate person 'P2' in group 'Sales'", "missing person id"]
    locations = sorted(r["location"] for r in api.rejects(workspace=ws))
    assert locations == [4, 5]


def test_rejects_carry_line_and_reason(tmp_path):
    f = _write(tmp_path / "bad.jsonl", "\n".join([
        json.dumps({"id": "a", "timestamp": "2025-01-01T00:00:00Z", "sender": "x", "recipients": ["y"]}),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"id": "b", "timestamp": "yesterday-ish", "sender": "x", "recipients": ["y"]}),
        json.dumps({"id": "c", "sender": "x", "recipients": ["y"]}),
        json.dumps({"id": "d", "timestamp": "2025-01-01T00:00:00Z", "recipients": []}),
        json.dumps({"id": "a", "timestamp": "2025-01-01T00:00:00Z", "sender": "x", "recipients": ["y"]}),
        json.dumps({"id": "e", "timestamp": "2025-01-01T00:00:00Z", "sender": "x", "recipients": ["y"], "kind": "fax"}),
        json.dumps({"id": "f", "timestamp": "2025-01-01T00:00:00Z", "sender": "x", "recipients": "[broken"}),
    ]) + "\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws, as_="messages").sources
    assert ws.scalar("SELECT count(*) FROM message") == 1
    rej = {r["location"]: r["reason"] for r in api.rejects(workspace=ws)}
    assert s.rejected == len(rej) == 8
    assert rej[2].startswith("not valid JSON") and rej[3] == "a JSON list, not an object"
    assert rej[4].startswith("unparseable timestamp") and rej[5] == "missing timestamp"
    assert rej[6] == "no sender and no recipients" and rej[7] == "duplicate message id 'a'"
    assert rej[8].startswith("unknown kind 'fax'") and rej[9].startswith("not a JSON list")


def test_posts_jsonl_and_page(tmp_path):
    tweets = [{"id": "10", "text": "My order SO-000042 broke", "author_id": "u1", "created_at": "2025-01-06T10:00:00.000Z",
               "conversation_id": "10", "lang": "en"},
              {"data": [{"id": "11", "text": "@u1 sorry!", "author_id": "co", "created_at": "2025-01-06T11:00:00.000Z",
                         "conversation_id": "10", "in_reply_to_user_id": "u1",
                         "referenced_tweets": [{"type": "replied_to", "id": "10"}]}],
               "includes": {"users": [{"id": "co", "username": "shop"}]}}]
    f = _write(tmp_path / "posts.jsonl", "\n".join(json.dumps(t) for t in tweets) + "\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws).sources
    assert s.format == "posts-jsonl" and s.rejected == 0
    rows = ws.rows("SELECT sender, recipients, venue, kind, case_refs, attributes FROM message ORDER BY mid")
    assert rows[0][:5] == ("u1", [], "social:10", "social", ["SO-000042"])
    assert rows[1][:4] == ("co", ["u1"], "social:10", "social")
    assert json.loads(rows[1][5])["referenced_tweets"] == [{"type": "replied_to", "id": "10"}]
    assert ws.rows("SELECT id, name, role FROM person ORDER BY id") == [("co", "shop", "external author"),
                                                                       ("u1", None, "external author")]


def test_posts_csv(tmp_path):
    f = _write(tmp_path / "tweets.csv", "id,created_at,author_id,text,conversation_id,in_reply_to_user_id,"
                                        "referenced_tweet_id,referenced_tweet_type\n"
                                        "1,2025-01-06T10:00:00Z,u1,help,1,,,\n2,2025-01-06T11:00:00Z,co,ok,1,u1,1,replied_to\n")
    ws = _ws(tmp_path)
    (s,) = api.ingest([f], workspace=ws).sources
    assert s.format == "posts-csv"
    assert ws.scalar("SELECT count(*) FROM message WHERE kind = 'social'") == 2


def test_snap_edges_and_labels(tmp_path):
    edges = _write(tmp_path / "net.txt", "0 1 1082040961\n1 2 1082040970\n2 x\n")
    labels = _write(tmp_path / "net-department-labels.txt", "0 3\n1 3\n2 5\n")
    ws = _ws(tmp_path)
    a, b = api.ingest([edges, labels], workspace=ws).sources
    assert (a.format, b.format) == ("snap-edges", "snap-labels") and a.rejected == 1
    assert ws.rows("SELECT sender, recipients, kind FROM message ORDER BY mid")[0] == ("0", ["1"], "edge")
    assert ws.rows('SELECT id, "group" FROM person ORDER BY id') == [("0", "3"), ("1", "3"), ("2", "5")]


def test_ambiguous_and_wrong_as_are_one_line_errors(tmp_path):
    two = _write(tmp_path / "pairs.txt", "0 1\n1 2\n")
    with pytest.raises(InputError, match="--as messages"):
        communication_format(two, None)
    j = _write(tmp_path / "x.jsonl", '{"a": 1}\n')
    with pytest.raises(InputError, match="use --as messages or --as posts"):
        communication_format(j, None)
    with pytest.raises(InputError, match="--as must be one of"):
        communication_format(j, "mails")
    words = _write(tmp_path / "w.txt", "hello world\n")
    with pytest.raises(InputError, match="expected whitespace-separated integers"):
        communication_format(words, "messages")


def test_cli_error_is_one_line(tmp_path):
    j = _write(tmp_path / "x.jsonl", '{"a": 1}\n')
    r = subprocess.run([sys.executable, "-m", "procatlas.cli", "ingest", str(j), "-w", str(tmp_path / "w.duckdb")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "x.jsonl" in r.stderr and "--as" in r.stderr


def test_event_csv_still_events(tmp_path):
    f = _write(tmp_path / "log.csv", "case,activity,timestamp,resource,group\n1,a,2025-01-01T00:00:00Z,ann,Sales\n")
    assert communication_format(f, None) is None


def test_enron_simplices(tmp_path):
    root = DATA / "arbenson__ScHoLP-Tutorial" / "email-Enron"
    if not root.exists():
        pytest.skip("../shared/data absent")
    ws = _ws(tmp_path)
    (s,) = api.ingest([root / "email-Enron-simplices.txt"], workspace=ws).sources
    assert s.rejected == 0 and ws.scalar("SELECT count(*) FROM message") == 10883
    assert ws.scalar("SELECT count(*) FROM message WHERE sender IS NOT NULL") == 0
    assert ws.scalar("SELECT sum(len(recipients)) FROM message") > 10883


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";[]\"\\"),
                min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(names, min_size=0, max_size=6))
def test_listify_json_and_semicolon_agree(people):
    assert listify(json.dumps(people)) == people
    assert listify(";".join(people)) == people
    assert listify(people) == people


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(names, st.lists(names, min_size=1, max_size=4),
                          st.integers(min_value=1_500_000_000, max_value=1_800_000_000)), min_size=1, max_size=8))
def test_jsonl_parser_keeps_every_message(tmp_path_factory, records):
    tmp = tmp_path_factory.mktemp("h")
    f = tmp / "m.jsonl"
    f.write_text("\n".join(json.dumps({"sender": s, "recipients": r, "timestamp": t, "kind": "chat"})
                           for s, r, t in records) + "\n", encoding="utf-8")
    ws = _ws(tmp)
    (s,) = api.ingest([f], workspace=ws).sources
    got = ws.rows("SELECT sender, recipients FROM message ORDER BY mid")
    assert s.rejected == 0
    assert got == [(a, list(dict.fromkeys(b))) for a, b, _ in records]
    ws.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(names.filter(lambda x: "," not in x), names.filter(lambda x: "," not in x)),
                min_size=1, max_size=10, unique=True))
def test_people_csv_parser(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("p")
    f = tmp / "people.csv"
    f.write_text("person,group\n" + "".join(f'"{p}","{g}"\n' for p, g in rows), encoding="utf-8")
    ws = _ws(tmp)
    (s,) = api.ingest([f], workspace=ws, as_="people").sources
    assert s.rejected == 0
    assert ws.rows('SELECT id, "group" FROM person ORDER BY rowid') == list(rows)
    ws.close()

import base64
import json
import pickle

import pytest

import autokitteh
from autokitteh import AttrDict, Event, HttpBody
from pounce.runner.events import build_event


def test_attr_dict_read_only_attributes():
    d = AttrDict({"server": {"port": 8080}, "items": [{"a": 1}], "debug": True})
    assert d.server.port == 8080
    assert d.debug is True
    assert d["server"]["port"] == 8080
    assert isinstance(d.server, AttrDict)
    with pytest.raises(NotImplementedError):
        d.debug = False
    with pytest.raises(AttributeError):
        _ = d.missing
    d["server"]["port"] = 9090
    assert d.server.port == 9090
    assert d.items  # the dict method, as in AutoKitteh


def test_event_data_semantics():
    event = Event(data=AttrDict({"user": "joe"}), event_type="post", event_id="evt_1")
    with pytest.raises(NotImplementedError):
        event.data.user = "Garfield"
    event["data"]["user"] = "Garfield"
    assert event.data.user == "Garfield"
    assert event["event_type"] == "post"
    assert event.get("nope", 1) == 1
    assert pickle.loads(pickle.dumps(event)) == event


def test_http_body_is_bytes_with_fields():
    raw = json.dumps({"user": "joe", "event": "login"}).encode()
    body = HttpBody(raw, text=raw.decode(), form=None, json={"user": "joe", "event": "login"})
    assert isinstance(body, bytes)
    assert json.loads(body) == {"user": "joe", "event": "login"}
    assert body.json.user == "joe"
    assert body["json"]["event"] == "login"
    assert body.get("json") == {"user": "joe", "event": "login"}
    assert body.bytes == raw and type(body.bytes) is bytes
    assert body.text == raw.decode()
    assert body.form is None
    assert body[0] == raw[0] and body[:3] == raw[:3]
    assert body.decode() == raw.decode()
    assert "json" in body and b"joe" in body
    parsed = {"user": "joe", "event": "login"}
    assert repr(body) == repr({"bytes": raw, "text": raw.decode(), "form": None, "json": parsed})
    copy = pickle.loads(pickle.dumps(body))
    assert copy == body and copy.json == body.json


def test_build_event_decodes_webhook_body():
    raw = b'{"user": "joe"}'
    start_event = {
        "data": {
            "method": "POST",
            "body": {
                "bytes": base64.b64encode(raw).decode(),
                "text": raw.decode(),
                "form": None,
                "json": {"user": "joe"},
            },
        },
        "event_type": "post",
        "event_id": "evt_1",
    }
    event = build_event(start_event, "ses_1")
    assert isinstance(event, autokitteh.Event)
    assert event.session_id == "ses_1" and event.event_type == "post"
    body = event.data.body
    assert isinstance(body, HttpBody)
    assert bytes(body) == raw
    assert json.loads(event.data.body) == {"user": "joe"}
    assert event.data.body.json.user == "joe"
    assert event.data.method == "POST"


def test_build_event_leaves_other_bodies_alone():
    event = build_event({"data": {"body": {"something": 1}}}, None)
    assert event.data.body.something == 1
    assert build_event({}, None).data == {}


def test_build_event_decodes_tagged_child_data():
    data = {
        "blob": {"$bytes": base64.b64encode(b"\x00\x01").decode()},
        "big": {"$bigint": str(2**64)},
        "nested": {"list": [{"$bytes": "eA=="}]},
        "body": {
            "bytes": base64.b64encode(b'{"$bytes": "eA=="}').decode(),
            "json": {"$bytes": "eA=="},
        },
    }
    event = build_event({"data": data}, "ses_child")
    assert event.data.blob == b"\x00\x01"
    assert event.data.big == 2**64
    assert event.data.nested.list == [b"x"]
    # A webhook body is left as the request sent it.
    assert isinstance(event.data.body, HttpBody)
    assert event.data.body.json == {"$bytes": "eA=="}

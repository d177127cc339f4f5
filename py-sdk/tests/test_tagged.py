"""Tagged JSON: the encoding of store values, payloads, data, outcomes, return values."""

import datetime
import json
import math
from enum import IntEnum, StrEnum

import pytest

from pounce import AutoKittehError
from pounce.runner.session import _NO_VALUE, json_value
from pounce.tagged import MAX_SAFE_INT, TaggedJSONError, decode, encode


def round_trip(value):
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        MAX_SAFE_INT,
        -MAX_SAFE_INT,
        1.5,
        "",
        "héllo \u2603",
        [],
        {},
        [1, "a", None, [2.5, {"x": [True]}]],
        {"a": {"b": [1, 2]}, "": 0},
        b"",
        b"\x00\xffraw",
        {"big": 2**200, "neg": -(2**64), "bytes": b"\x01\x02", "nested": [b"x", 2**53]},
    ],
)
def test_round_trips(value):
    assert round_trip(value) == value


def test_plain_json_stays_plain():
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": MAX_SAFE_INT}}
    assert encode(value) == value


def test_big_ints_are_tagged_outside_the_safe_range():
    assert encode(MAX_SAFE_INT) == MAX_SAFE_INT
    assert encode(MAX_SAFE_INT + 1) == {"$bigint": str(MAX_SAFE_INT + 1)}
    assert encode(-MAX_SAFE_INT - 1) == {"$bigint": str(-MAX_SAFE_INT - 1)}
    assert encode(10**30) == {"$bigint": "1" + "0" * 30}
    assert decode({"$bigint": "-123456789012345678901234567890"}) == -123456789012345678901234567890
    assert decode(2**60) == 2**60  # an untagged big number from the daemon is fine too


def test_bytes_like_are_tagged():
    assert encode(b"hi") == {"$bytes": "aGk="}
    assert encode(bytearray(b"hi")) == {"$bytes": "aGk="}
    assert encode(memoryview(b"hi")) == {"$bytes": "aGk="}
    assert decode({"$bytes": "aGk="}) == b"hi"
    assert type(decode({"$bytes": "aGk="})) is bytes


def test_tuples_become_lists():
    assert encode((1, (2, 3))) == [1, [2, 3]]
    assert round_trip({"t": (1, 2)}) == {"t": [1, 2]}


def test_subclasses_become_plain_types():
    class Color(StrEnum):
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    out = encode({"c": Color.RED, "l": Level.HIGH})
    assert out == {"c": "red", "l": 3}
    assert type(out["c"]) is str and type(out["l"]) is int
    assert json.dumps(out) == '{"c": "red", "l": 3}'


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ({1, 2}, "set"),
        (frozenset(), "frozenset"),
        (datetime.datetime(2024, 1, 1), "datetime.datetime"),
        (datetime.timedelta(1), "datetime.timedelta"),
        (object(), "object"),
        (1j, "complex"),
        (len, "builtin_function_or_method"),
    ],
)
def test_other_types_are_refused_naming_the_type(value, type_name):
    with pytest.raises(TaggedJSONError, match=f"type {type_name}"):
        encode(value)


def test_error_says_where_the_value_is():
    with pytest.raises(TaggedJSONError) as info:
        encode({"a": [1, {"when": datetime.date(2024, 1, 1)}]}, "payload")
    text = str(info.value)
    assert "payload['a'][1]['when']" in text
    assert "datetime.date" in text


def test_error_is_a_type_error_and_an_autokitteh_error():
    with pytest.raises(TypeError):
        encode({1})
    with pytest.raises(AutoKittehError):
        encode({1})


def test_dict_keys_must_be_strings():
    with pytest.raises(TaggedJSONError, match="key 1 of type int"):
        encode({1: "a"})
    with pytest.raises(TaggedJSONError, match="type tuple"):
        encode({("a", "b"): 1})


def test_non_finite_floats_are_refused():
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(TaggedJSONError, match="finite"):
            encode([bad])


def test_circular_values_are_refused():
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(TaggedJSONError, match="circular"):
        encode(loop)
    shared = [1]
    assert encode([shared, shared]) == [[1], [1]]  # the same object twice is fine


def test_reserved_tag_dicts_are_refused():
    for key in ("$bigint", "$bytes"):
        with pytest.raises(TaggedJSONError, match="reserves"):
            encode({key: "1"})
    assert round_trip({"$bytes": "x", "other": 1}) == {"$bytes": "x", "other": 1}


def test_decode_rejects_bad_tags():
    with pytest.raises(TaggedJSONError):
        decode({"$bigint": "12x"})
    with pytest.raises(TaggedJSONError):
        decode({"$bytes": "not base64!"})
    assert decode({"$bigint": 5}) == {"$bigint": 5}  # not a string: not a tag


def test_too_deep_is_an_error_not_a_crash():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(TaggedJSONError, match="nested too deeply"):
        encode(deep)


def test_return_value_for_done():
    expected = {"a": {"$bytes": "eA=="}, "n": {"$bigint": str(2**70)}}
    assert json_value({"a": b"x", "n": 2**70}) == expected
    assert json_value(None) is None
    assert json_value(object()) is _NO_VALUE
    assert json_value({1, 2}) is _NO_VALUE
    assert json_value("x" * (2 << 20)) is _NO_VALUE  # over the 1 MiB limit

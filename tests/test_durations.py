"""Durations: the spellings accepted, the canonical form, and the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailjit.durations import MAX_DURATION, format_duration, parse_duration
from tailjit.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("90s", timedelta(seconds=90), "1m30s"),
        ("15m", timedelta(minutes=15), "15m"),
        ("1h", timedelta(hours=1), "1h"),
        ("1h30m", timedelta(hours=1, minutes=30), "1h30m"),
        ("90m", timedelta(minutes=90), "1h30m"),
        ("2d", timedelta(days=2), "2d"),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4), "1d2h3m4s"),
        ("0h45m", timedelta(minutes=45), "45m"),
        ("1H30M", timedelta(hours=1, minutes=30), "1h30m"),
        ("365d", MAX_DURATION, "365d"),
    ],
)
def test_parse_and_canonical_form(text: str, expected: timedelta, canonical: str) -> None:
    assert parse_duration(text) == expected
    assert format_duration(parse_duration(text)) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0s",
        "0h0m",
        "1",
        "h",
        "1x",
        "1.5h",
        "-1h",
        "+1h",
        "1 h",
        " 1h",
        "1h ",
        "30m1h",
        "1h1h",
        "1w",
        "366d",
        "9999999999s",
        "1h\n",
        "\uff11h",  # fullwidth digit one
        "1h*/",
    ],
)
def test_refuses_garbage_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(text, field="maxDuration")

    assert caught.value.field == "maxDuration"
    assert str(caught.value).startswith("invalid maxDuration ")
    assert "1h30m" in str(caught.value), "the message shows what is allowed"


def test_field_defaults_to_duration() -> None:
    with pytest.raises(InvalidInput, match=r"^invalid duration "):
        parse_duration("soon")


@pytest.mark.parametrize(
    ("duration", "text"), [(timedelta(0), "0s"), (timedelta(days=400, seconds=1), "400d1s")]
)
def test_format_edges(duration: timedelta, text: str) -> None:
    assert format_duration(duration) == text


@pytest.mark.parametrize("duration", [timedelta(seconds=-1), timedelta(milliseconds=1500)])
def test_format_refuses_what_it_cannot_spell(duration: timedelta) -> None:
    with pytest.raises(ValueError, match="whole, non-negative"):
        format_duration(duration)


@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_round_trip(seconds: int) -> None:
    duration = timedelta(seconds=seconds)

    assert parse_duration(format_duration(duration)) == duration


@given(
    st.tuples(*(st.one_of(st.none(), st.integers(0, 200)) for _ in range(4))).filter(
        lambda parts: any(parts)
    )
)
def test_any_spelling_reaches_its_canonical_form(parts: tuple[int | None, ...]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in zip(parts, "dhms", strict=True) if n is not None)

    duration = parse_duration(text)

    assert parse_duration(format_duration(duration)) == duration
    assert format_duration(parse_duration(format_duration(duration))) == format_duration(duration)

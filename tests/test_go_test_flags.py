"""The ``go test`` flags after ``--``: which go to ``go test -c``, which to the test binary, and -timeout."""

from __future__ import annotations

import pytest
from tests.recorded import forbid_go

from gocross.errors import UsageError
from gocross.gotest import parse_duration, parse_go_test_flags


@pytest.fixture(autouse=True)
def _no_go(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    return forbid_go(monkeypatch)


def test_no_flags_are_go_tests_defaults() -> None:
    flags = parse_go_test_flags([])
    assert (flags.build, flags.test, flags.timeout, flags.verbose) == ((), (), 600.0, False)


def test_every_spelling_of_a_flag() -> None:
    """-name value, -name=value, --name, and -test.name as the test binary spells it."""
    flags = parse_go_test_flags(["-test.run=X", "--count", "3", "-skip=TestY", "--parallel=2", "-test.short"])
    assert flags.test == ("-test.run=X", "-test.count=3", "-test.skip=TestY", "-test.parallel=2", "-test.short")
    assert flags.build == ()


def test_build_flags_go_to_the_compiler_in_order() -> None:
    flags = parse_go_test_flags(["-x", "-a", "-gcflags", "all=-N -l", "-mod=mod", "-trimpath", "-failfast",
                                 "-overlay", "o.json", "-pgo=off", "-buildvcs=false", "-work"])
    assert flags.build == ("-x", "-a", "-gcflags=all=-N -l", "-mod=mod", "-trimpath", "-overlay=o.json",
                           "-pgo=off", "-buildvcs=false", "-work")
    assert flags.test == ("-test.failfast",)


def test_a_value_that_looks_like_a_flag_is_still_the_value() -> None:
    assert parse_go_test_flags(["-run", "-v"]).test == ("-test.run=-v",)


@pytest.mark.parametrize(("args", "verbose"), [
    (["-v"], True), (["-v=true"], True), (["-v=1"], True), (["-v=false"], False), (["-test.v"], True),
])
def test_verbose_is_gocross_own_not_passed_on(args: list[str], verbose: bool) -> None:
    flags = parse_go_test_flags(args)
    assert (flags.verbose, flags.test, flags.build) == (verbose, (), ())


@pytest.mark.parametrize(("args", "timeout"), [
    (["-timeout", "5m"], 300.0), (["-timeout=90s"], 90.0), (["-test.timeout=1h"], 3600.0),
    (["-timeout=0"], None), (["-timeout", "0s"], None),
])
def test_timeout_in_seconds_zero_is_no_limit(args: list[str], timeout: float | None) -> None:
    flags = parse_go_test_flags(args)
    assert (flags.timeout, flags.test) == (timeout, ())


@pytest.mark.parametrize(("args", "message"), [
    (["TestX"], "'TestX' after -- is not a go test flag; put packages before --, flags after it."),
    (["-"], "'-' after -- is not a go test flag; put packages before --, flags after it."),
    (["-v", "--"], "'--' after -- is not a go test flag; put packages before --, flags after it."),
    (["-tags"], "The flag -tags needs a value, e.g. -tags X."),
    (["-timeout", "10 minutes"], "-timeout '10 minutes' is not a Go duration; write it like 30s, 5m or 1m30s."),
    (["-frob"], "Unknown go test flag -frob; gocross test passes through -run, -skip, -count, -timeout, -bench, "
                "-benchtime, -cpu, -parallel, -shuffle, -list, -short, -v, -failfast, -benchmem, -fullpath, "
                "-tags, -ldflags, -gcflags, -asmflags, -mod, -modfile, -overlay, -pgo, -buildvcs, -vet, -a, -trimpath, "
                "-x, -work."),
])
def test_bad_flags_are_one_usage_error(args: list[str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_go_test_flags(args)
    assert str(caught.value) == message


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("0s", 0.0), ("90s", 90.0), ("1m30s", 90.0), ("1h2m3.5s", 3723.5), ("1.5h", 5400.0),
    (".5s", 0.5), ("250ms", 0.25), ("300us", 300e-6), ("300µs", 300e-6), ("10ns", 10e-9),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("text", ["", "5", "1x", "s", "-1s", "1m 30s", "1m30", "m5"])
def test_parse_duration_refuses_anything_else(text: str) -> None:
    """No bare numbers but 0, no spaces, no missing units; negative limits are refused too (Go would take them)."""
    with pytest.raises(UsageError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"-timeout {text!r} is not a Go duration; write it like 30s, 5m or 1m30s."

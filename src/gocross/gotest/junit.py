"""JUnit XML for ``gocross test --junit FILE``: what CI servers (Jenkins, GitLab, GitHub reporters) read.

One ``<testsuite>`` per target × package, named ``"<package> (<target>)"`` so the same package on two
targets never merges into one suite in a CI report; each ``<testcase>``'s classname is the package path
(the target is in the suite's name and its ``target`` property), one per run under ``-count``. A failed
test is a ``<failure>`` with its output; a package that could not build or could not run is one ``<error>``
(it says nothing about the tests' own verdict); "built, not run" is one ``<skipped>``. Written with
ElementTree, which escapes everything.
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from gocross.errors import OutputError
from gocross.gotest.results import CaseStatus, TestStatus

if TYPE_CHECKING:
    from gocross.gotest.results import PackageResult, TestCase, TestRun

# A result that is not a pass but whose verdict no test case carries gets one case of its own.
# Characters XML 1.0 cannot hold at all, even escaped (ANSI colour codes in test output are the usual ones).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHOLE_CASE = {TestStatus.BUILD_FAILED: ("build", "error"), TestStatus.COULD_NOT_RUN: ("run", "error"),
               TestStatus.NOT_RUN: ("run", "skipped"), TestStatus.FAILED: ("package", "failure")}


def to_xml(run: TestRun) -> bytes:
    """The whole run as a JUnit ``<testsuites>`` document (UTF-8 bytes with an XML declaration)."""
    root = ET.Element("testsuites", name="gocross test", time=f"{run.seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in run.results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def write(run: TestRun, path: Path) -> Path:
    """Write the JUnit file atomically (a CI step never reads half a file); OutputError when it cannot."""
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_xml(run))
        Path(tmp).replace(path)
    except OSError as exc:
        raise OutputError(f"Cannot write the JUnit file {path} ({exc.strerror or exc}); "
                          "choose another path with --junit.") from None
    return path


def _suite(result: PackageResult) -> ET.Element:
    suite = ET.Element("testsuite", name=f"{result.package} ({result.target})", time=f"{result.seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("target", result.target), ("package", result.package), ("status", str(result.status)),
                        ("runner", result.runner or "none"),
                        *([("output_cut", str(result.output_cut))] if result.output_cut else [])):
        ET.SubElement(props, "property", name=name, value=value)
    classname = result.package  # the target is in the suite's name and its properties
    cases = [_case(classname, c) for c in result.tests]
    if result.status in _WHOLE_CASE and not any(_verdict(c) for c in cases):
        cases.append(_whole_case(classname, result))
    suite.extend(cases)
    counts = {"tests": len(cases), "failures": _count(cases, "failure"), "errors": _count(cases, "error"),
              "skipped": _count(cases, "skipped")}
    for key, count in counts.items():
        suite.set(key, str(count))
    if result.output:
        ET.SubElement(suite, "system-out").text = _clean(result.output)
    return suite


def _case(classname: str, case: TestCase) -> ET.Element:
    element = ET.Element("testcase", classname=classname, name=case.name, time=f"{case.seconds:.3f}")
    if case.status == CaseStatus.SKIP:
        ET.SubElement(element, "skipped", message="skipped").text = _clean(case.output)
    elif case.status == CaseStatus.FAIL:
        message = case.note or f"{case.name} failed"  # the note: it never finished (os.Exit, a crash, a hang)
        ET.SubElement(element, "failure", message=_clean(message)).text = _clean(case.output)
    elif case.status != CaseStatus.PASS:  # the binfmt limitation: not the test's own verdict
        message = case.note or f"{case.name} did not finish"
        ET.SubElement(element, "error", message=_clean(message)).text = _clean(case.output)
    return element


def _whole_case(classname: str, result: PackageResult) -> ET.Element:
    name, tag = _WHOLE_CASE[result.status]
    element = ET.Element("testcase", classname=classname, name=name, time=f"{result.seconds:.3f}")
    text = "\n".join(t for t in (result.output, result.vet) if t)
    ET.SubElement(element, tag, message=_clean(result.reason or result.status)).text = _clean(text)
    return element


def _verdict(case: ET.Element) -> bool:
    return any(case.find(tag) is not None for tag in ("failure", "error"))


def _clean(text: str) -> str:
    """Text an XML parser accepts: each forbidden character shown as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def _count(cases: list[ET.Element], tag: str) -> int:
    return sum(1 for c in cases if c.find(tag) is not None)

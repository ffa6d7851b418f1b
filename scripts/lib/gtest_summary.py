#!/usr/bin/env python3
"""Sum one build's test results for scripts/test.

Sources, per build:
  * the gtest JSON reports (GTEST_OUTPUT=json:<dir>/ writes <exe>.json, or
    <exe>_1.json, <exe>_2.json ... when one binary runs several times);
  * meson's log of the run, <builddir>/meson-logs/testlog.json (one JSON object
    per line: "name", "result", "command", ...).

Counting rules:
  * every gtest case counts once: failed if it has "failures", skipped if its
    "result" is "SKIPPED" or it was not run (DISABLED_, "status": "NOTRUN"),
    passed otherwise;
  * a meson test that did not end OK/SKIP/EXPECTEDFAIL (crash, sanitizer abort,
    timeout, leak report at exit, ...) whose failure is not already visible as a
    failing report adds 1 failed.  Reports are matched to meson tests by the
    executable's file name;
  * a meson test whose executable wrote no report (a script, a non-gtest
    program) counts as one test: passed, skipped or failed from meson's result;
  * if meson itself exited non-zero and nothing above failed, 1 failed is added,
    so a broken run can never look green.

Prints the per-build line  `<label>: N passed, N failed, N skipped (M suites)`
(M = meson tests run, or reports read when meson left no log) preceded by the
names of what failed, and writes "passed failed skipped suites" to --counts-out.
"""

import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

GOOD = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


class Report:
    def __init__(self, path):
        self.path = path
        self.passed = self.failed = self.skipped = 0
        self.failed_names = []

    def add(self, name, failed, skipped):
        if failed:
            self.failed += 1
            self.failed_names.append(name)
        elif skipped:
            self.skipped += 1
        else:
            self.passed += 1


def read_json_report(path):
    rep = Report(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        data = json.load(f)
    for suite in data.get("testsuites", []):
        for case in suite.get("testsuite", []):
            name = "%s.%s" % (suite.get("name", ""), case.get("name", ""))
            rep.add(name,
                    failed=bool(case.get("failures")),
                    skipped=case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN")
    return rep


def read_xml_report(path):
    """gtest XML, written when a test is registered with protocol: 'gtest'."""
    rep = Report(path)
    for case in ET.parse(path).getroot().iter("testcase"):
        name = "%s.%s" % (case.get("classname", ""), case.get("name", ""))
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = (case.get("result") in ("skipped", "suppressed")
                   or case.get("status") == "notrun"
                   or case.find("skipped") is not None)
        rep.add(name, failed, skipped)
    return rep


def read_testlog(path):
    tests = []
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                tests.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return tests


def exe_base(test):
    cmd = test.get("command") or []
    if not cmd:
        return ""
    base = os.path.basename(cmd[0])
    return base[:-4] if base.endswith(".exe") else base


def report_base(filename, known_exes):
    """foo.json -> foo; foo_2.json -> foo, unless foo_2 is itself a test binary."""
    stem = Path(filename).stem
    if stem in known_exes:
        return stem
    m = re.fullmatch(r"(.+)_\d+", stem)
    if m and m.group(1) in known_exes:
        return m.group(1)
    return stem


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True)
    ap.add_argument("--reports", required=True, help="directory given to GTEST_OUTPUT")
    ap.add_argument("--testlog", help="meson-logs/testlog.json of the run")
    ap.add_argument("--builddir", help="build dir, for protocol:'gtest' XML reports")
    ap.add_argument("--since", type=float, default=0.0,
                    help="ignore XML reports older than this epoch time")
    ap.add_argument("--meson-rc", type=int, default=0)
    ap.add_argument("--counts-out")
    a = ap.parse_args()

    tests = read_testlog(a.testlog)
    known_exes = {exe_base(t) for t in tests or []}
    notes = []

    by_exe = {}
    unreadable = 0
    rdir = Path(a.reports)
    for p in sorted(rdir.glob("*.json")) if rdir.is_dir() else []:
        try:
            rep = read_json_report(p)
        except (OSError, ValueError) as e:
            # A truncated report means the binary died while writing it;
            # meson's result for that test accounts for the failure.
            unreadable += 1
            notes.append("unreadable report %s: %s" % (p.name, e))
            continue
        by_exe.setdefault(report_base(p.name, known_exes), []).append(rep)

    passed = failed = skipped = 0
    failures = []
    for exe, reps in sorted(by_exe.items()):
        for r in reps:
            passed += r.passed
            failed += r.failed
            skipped += r.skipped
            failures += ["%s: %s" % (exe, n) for n in r.failed_names]

    if tests is not None:
        bad_by_exe = {}
        for t in tests:
            res = str(t.get("result", "")).upper()
            exe = exe_base(t)
            name = t.get("name", "?")
            # protocol:'gtest' tests: meson passes --gtest_output=xml:<name>.xml,
            # which overrides GTEST_OUTPUT, so their cases are in that file.
            xml = Path(a.builddir or ".") / (name + ".xml")
            rep = None
            if a.builddir and xml.is_file() and xml.stat().st_mtime >= a.since:
                try:
                    rep = read_xml_report(xml)
                except (OSError, ET.ParseError):
                    rep = None
            if rep is None and exe in by_exe:
                if res not in GOOD and res not in SKIP:
                    bad_by_exe.setdefault(exe, []).append((name, res))
                continue
            if rep is not None:
                passed += rep.passed
                failed += rep.failed
                skipped += rep.skipped
                failures += ["%s: %s" % (name, n) for n in rep.failed_names]
                if res not in GOOD and res not in SKIP and rep.failed == 0:
                    failed += 1
                    failures.append("%s: meson %s (no failing case in its report)" % (name, res))
            elif res in GOOD:
                passed += 1
            elif res in SKIP:
                skipped += 1
            else:
                failed += 1
                failures.append("%s: meson %s, no gtest report (crash, sanitizer abort,"
                                " timeout, or a non-gtest test)" % (name, res))
        # Binaries with reports: every bad meson run needs a failing report,
        # otherwise it died after/without writing one (e.g. a leak at exit).
        for exe, bad in sorted(bad_by_exe.items()):
            failing_reports = sum(1 for r in by_exe[exe] if r.failed)
            extra = len(bad) - failing_reports
            if extra > 0:
                failed += extra
                failures += ["%s: meson %s, not explained by a failing gtest case" % (n, res)
                             for n, res in bad[:extra]]
        suites = len(tests)
    else:
        suites = sum(len(v) for v in by_exe.values())
        if a.testlog:
            notes.append("no meson test log at %s" % a.testlog)

    if a.meson_rc != 0 and failed == 0:
        failed += 1
        failures.append("meson test exited with status %d" % a.meson_rc)

    for n in notes:
        print("%s: note: %s" % (a.label, n))
    for f in failures:
        print("%s: FAILED %s" % (a.label, f))
    print("%s: %d passed, %d failed, %d skipped (%d suites)"
          % (a.label, passed, failed, skipped, suites))
    if a.counts_out:
        with open(a.counts_out, "w") as f:
            f.write("%d %d %d %d\n" % (passed, failed, skipped, suites))
    return 0


if __name__ == "__main__":
    sys.exit(main())

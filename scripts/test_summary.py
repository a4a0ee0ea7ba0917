"""Sum the JUnit XML files of `make test` and print one closing line per run and in all."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main() -> int:
    results = Path(sys.argv[1])
    total = [0, 0, 0]
    for name in ("sqlite", "postgres", "browser"):
        path = results / f"{name}.xml"
        if not path.exists():
            print(f"{name}: not run")
            continue
        p, f, s = counts(path)
        total = [total[0] + p, total[1] + f, total[2] + s]
        print(f"{name}: {p} passed, {f} failed, {s} skipped")
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

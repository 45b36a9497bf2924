"""Prints a short summary of a schemathesis JUnit report: operations tested (the stateful phase
is one more test case), failures, errors.

    python scripts/api-fuzz/summary.py JUNIT_XML SECONDS
"""
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
operations, stateful, failed, errored, skipped = 0, 0, [], [], 0
for case in cases:
    name = case.get("name", "?")
    if name.startswith("Stateful"):
        stateful += 1
    else:
        operations += 1
    if case.find("failure") is not None:
        failed.append(name)
    elif case.find("error") is not None:
        errored.append(name)
    elif case.find("skipped") is not None:
        skipped += 1
print(
    f"[chatalot] api fuzz: {operations} operations{' and the stateful phase' if stateful else ''} "
    f"tested in {sys.argv[2]} s with every check, "
    f"{len(failed)} with failures, {len(errored)} with errors, {skipped} skipped"
)
for name in failed:
    print(f"[chatalot]   failed: {name}")
for name in errored:
    print(f"[chatalot]   error:  {name}")

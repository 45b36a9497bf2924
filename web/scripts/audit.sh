#!/usr/bin/env bash
# `npm audit` of the web client's runtime dependencies (what ships to browsers), where the
# registry's audit endpoint answers: fails on a high or critical advisory. When the endpoint does
# not answer (no internet, or a mirror without it, as on the development machine), it says so
# and checks nothing; that is reported, never counted as a pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
report=$(npm audit --omit=dev --json 2>/dev/null || true)
verdict=$(node -e '
    let r; try { r = JSON.parse(process.argv[1]); } catch { console.log("unanswered no JSON"); process.exit(); }
    if (r.statusCode || r.error || !r.metadata) {
        console.log(`unanswered ${r.statusCode ?? ""} ${r.message ?? r.error?.summary ?? ""}`.trim());
        process.exit();
    }
    const v = r.metadata.vulnerabilities;
    console.log(`answered ${v.high + v.critical} ${JSON.stringify(v)}`);
' "$report")
case $verdict in
unanswered*)
    echo "[chatalot] npm audit NOT RUN: the registry's audit endpoint did not answer (${verdict#unanswered })"
    ;;
"answered 0 "*)
    echo "[chatalot] npm audit --omit=dev: no high or critical advisories (${verdict#answered 0 })"
    ;;
*)
    npm audit --omit=dev || true
    echo "[chatalot] npm audit --omit=dev: high or critical advisories (${verdict#answered })" >&2
    exit 1
    ;;
esac

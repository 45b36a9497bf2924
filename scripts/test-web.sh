#!/usr/bin/env bash
# The web client's checks (scripts/test.sh runs them after cargo test):
#
#   1. builds it (scripts/build-web.sh);
#   2. the API types are what the server's OpenAPI document says (web/scripts/gen-api.sh --check),
#      and `npm audit` of the runtime dependencies where the registry answers (web/scripts/audit.sh);
#   3. svelte-check (types, accessibility warnings as errors) and the Vitest unit tests;
#   4. Playwright end-to-end tests in Debian's Chromium (installed with apt when missing) against
#      the debug chatalot binary, which they start with their own database, NATS namespace and
#      Redis prefix (web/tests/e2e/backend.ts). Screenshots land in web/test-results/screenshots.
#   5. the server's log of all that traffic holds no password, token or key
#      (scripts/check-log-secrets.sh).
#
# Arguments go to `playwright test` (e.g. scripts/test-web.sh tests/e2e/chat.spec.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

require_cargo
need_cmd psql postgresql-client
need_cmd chromium chromium
# Fonts for the icons and emoji the screenshots show (Chromium draws empty boxes without them).
for font in fonts-noto-color-emoji fonts-dejavu-core; do
    dpkg -s "$font" >/dev/null 2>&1 || apt_install "$font"
done
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
((major >= 20)) || die "the web tests need Node.js 20 or newer (Playwright); found ${major}"

say "web: cargo build -p chatalot (the server the end-to-end tests start)"
cargo build --locked -p chatalot
export SERVER_BIN=${CARGO_TARGET_DIR:-$PWD/target}/debug/chatalot

bash scripts/build-web.sh
cd web
bash scripts/gen-api.sh --check
bash scripts/audit.sh
npx svelte-kit sync
npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings
npx vitest run
PLAYWRIGHT_SKIP_VALIDATE_HOST_REQUIREMENTS=1 npx playwright test "$@"
cd ..
# Nothing the end-to-end traffic used (passwords, tokens, keys) may show in the server's log.
bash scripts/check-log-secrets.sh --self-test
# The passwords of web/tests/e2e (fixtures.ts PASSWORD, the changed and the wrong one).
bash scripts/check-log-secrets.sh "web/test-results/chatalot-${E2E_PORT:-18280}.log" \
    'correct horse battery staple' 'a different long passphrase' 'wrong password'
say "web: all checks passed"

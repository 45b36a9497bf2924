#!/bin/bash
# Entrypoint of the Chatalot image: reads secrets mounted as files, then runs the command.
#
# For every variable CHATALOT_<SECTION>__<KEY>__FILE=/path it sets CHATALOT_<SECTION>__<KEY> to
# the contents of /path (without trailing newlines) and removes the __FILE variable, which
# Chatalot would otherwise refuse as an unknown setting. Example:
#
#   CHATALOT_JWT__PRIVATE_KEY__FILE=/run/secrets/jwt-private.pem
#
# The double underscore before FILE keeps this apart from any real setting: settings have exactly
# one section and one key. An empty path is ignored (lets a compose override switch one off).
# Setting both a variable and its __FILE form is an error.
set -euo pipefail

fail() {
    printf 'chatalot-entrypoint: %s\n' "$*" >&2
    exit 64
}

while IFS= read -r name; do
    [[ $name == CHATALOT_*__*__FILE ]] || continue
    target=${name%__FILE}
    path=${!name}
    unset "$name"
    [[ -n $path ]] || continue
    [[ -z ${!target+set} ]] || fail "both $target and $name are set; set only one"
    [[ -f $path && -r $path ]] ||
        fail "$name: cannot read $path (missing, or not readable by uid $(id -u); see deploy/README.md)"
    value=$(<"$path")
    [[ -n $value ]] || fail "$name: $path is empty"
    export "$target=$value"
done < <(compgen -e)

(($#)) || set -- chatalot
exec "$@"

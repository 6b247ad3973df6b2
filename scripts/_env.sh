# Sourced by scripts/demo and scripts/test: find Python >= 3.12, make .venv, install vidtrace.
# Set PYTHON=/path/to/python3.12 to choose the interpreter yourself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VIDTRACE_VENV:-$ROOT/.venv}"

_is_py312() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
    local c v
    for c in "${PYTHON:-}" python3.12 python3.13 python3.14 python3; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && _is_py312 "$c" && { echo "$c"; return; }
    done
    # pyenv installs that are not the active version (python3.12 is then only a failing shim)
    if command -v pyenv >/dev/null 2>&1; then
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -V); do
            c="$(pyenv root)/versions/$v/bin/python3"
            [ -x "$c" ] && _is_py312 "$c" && { echo "$c"; return; }
        done
    fi
    echo "error: vidtrace needs Python 3.12 or newer; install it or set PYTHON=/path/to/python3.12" >&2
    return 1
}

ensure_venv() {  # $1: pip extras, e.g. "dev"
    local extras="${1:-}" spec="$ROOT" stamp
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        local py; py="$(find_python)"
        echo "creating $VENV with $("$py" --version)" >&2
        "$py" -m venv "$VENV"
    fi
    # the stamp names the pyproject.toml it installed and the extras; a venv that already has
    # more extras (CI installs dev,train) is not reinstalled for fewer
    local hash have e missing=""
    hash="$(sha256sum < "$ROOT/pyproject.toml" | cut -c1-16)"
    have="$(cat "$VENV/.vidtrace-installed" 2>/dev/null || true)"
    for e in ${extras//,/ }; do
        case ",${have#*-}," in *",$e,"*) ;; *) missing=1 ;; esac
    done
    if [ "${have%%-*}" != "$hash" ] || [ -n "$missing" ]; then
        echo "installing vidtrace${extras:+[$extras]} and its pinned dependencies into $VENV ..." >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
        stamp="$hash-$extras"
        echo "$stamp" > "$VENV/.vidtrace-installed"
    fi
}

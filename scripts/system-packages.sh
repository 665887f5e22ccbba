#!/usr/bin/env bash
# Make sure the Debian packages civicgrid's commands need are present.
#
#   scripts/system-packages.sh gettext postgresql chromium
#
# Each name is checked by what it provides (msgfmt, PostgreSQL's initdb, /usr/bin/chromium),
# not by dpkg, so a copy installed some other way counts. When something is missing and we
# are root on a Debian-like system, it is installed with apt-get (one `apt-get update` per
# call, non-interactive, no recommended packages). Otherwise a note is printed and the caller
# fails later with its own clear message. Exit status is non-zero only when apt-get fails.
set -euo pipefail

have() {
    case "$1" in
        gettext) command -v msgfmt >/dev/null 2>&1 ;;
        postgresql)
            [[ -n "${PG_BINDIR:-}" && -x "${PG_BINDIR}/initdb" ]] && return 0
            compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && return 0
            command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
            ;;
        chromium) [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] ;;
        # Chinese glyphs for Chromium's screenshots (without them every 汉字 is a box)
        fonts-noto-cjk) compgen -G '/usr/share/fonts/opentype/noto/NotoSansCJK*' >/dev/null ;;
        *) echo "system-packages.sh: unknown package '$1'" >&2; return 2 ;;
    esac
}

missing=()
for pkg in "$@"; do
    if ! have "$pkg"; then
        missing+=("$pkg")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages.sh: missing ${missing[*]}; not root or no apt-get, so not installing." >&2
    echo "system-packages.sh: install them with your package manager (Debian: apt-get install ${missing[*]})." >&2
    exit 0
fi

echo "==== installing system packages: ${missing[*]} ===="
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
apt-get update -q
apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"
for pkg in "${missing[@]}"; do
    if ! have "$pkg"; then
        echo "system-packages.sh: installed $pkg but still cannot find what it provides" >&2
        exit 1
    fi
done

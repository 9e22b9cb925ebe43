#!/usr/bin/env bash
# Make sure the Debian packages the build needs are installed.
#
# Usage: scripts/ensure-system.sh PKG...      e.g. graphviz nodejs npm chromium
#
# Each package is checked through the command it provides (graphviz -> dot,
# nodejs -> node, npm -> npm, chromium -> chromium; any other package -> a
# command of the same name); fonts-liberation2 through fontconfig (Graphviz lays
# out the drawings' Helvetica/Arial labels with it: the same metrics as the
# browsers' Arial, and the same drawings on every machine). Missing packages are
# installed with apt-get when we are root (or passwordless sudo works) and apt-get exists, unless
# ALLOW_APT=0; otherwise the exact install command is printed and we exit 1.
set -euo pipefail

command_for() {
    case "$1" in
        graphviz) echo dot ;;
        nodejs)   echo node ;;
        *)        echo "$1" ;;
    esac
}

present() {
    case "$1" in
        fonts-liberation2) fc-list 2>/dev/null | grep -q "/liberation2/" ;;
        *) command -v "$(command_for "$1")" >/dev/null 2>&1 ;;
    esac
}

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PKG..." >&2
    exit 2
fi

missing=()
for pkg in "$@"; do
    if ! present "$pkg"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

fix_cmd="sudo apt-get install -y ${missing[*]}"
echo "ensure-system: missing system packages: ${missing[*]}" >&2

# Decide whether we may and can install.
sudo_prefix=()
can_install=1
if [ "${ALLOW_APT:-1}" = "0" ]; then
    can_install=0
    echo "ensure-system: ALLOW_APT=0, not installing." >&2
elif ! command -v apt-get >/dev/null 2>&1; then
    can_install=0
    echo "ensure-system: apt-get not found." >&2
elif [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        sudo_prefix=(sudo -n)
    else
        can_install=0
        echo "ensure-system: not root and passwordless sudo is not available." >&2
    fi
fi

if [ "$can_install" -eq 0 ]; then
    echo "ensure-system: install them with:" >&2
    echo "" >&2
    echo "    $fix_cmd" >&2
    echo "" >&2
    exit 1
fi

# Wait (up to 10 min) for a concurrent apt/dpkg run instead of failing on its lock.
apt_opts=(-o DPkg::Lock::Timeout=600)
echo "ensure-system: installing ${missing[*]} with apt-get" >&2
"${sudo_prefix[@]}" apt-get "${apt_opts[@]}" update
"${sudo_prefix[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

# Re-check: the packages must now provide their commands.
still=()
for pkg in "${missing[@]}"; do
    present "$pkg" || still+=("$pkg")
done
if [ "${#still[@]}" -ne 0 ]; then
    echo "ensure-system: still missing after apt-get: ${still[*]}" >&2
    echo "ensure-system: try: sudo apt-get install -y ${still[*]}" >&2
    exit 1
fi

#!/usr/bin/env bash
# Fail if the built site references anything outside itself.
#
# Usage: scripts/check-offline.sh SITE_DIR
#
# Scans every *.html, *.css and *.js file under SITE_DIR for src="http,
# href="http, url(http, @import "http and //fonts. (also the single-quoted,
# quoted-url() and protocol-relative "//host" forms). Prints "file:line: match" for each hit and exits 1 if
# there is any; exits 0 when the site is self-contained.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 SITE_DIR" >&2
    exit 2
fi
site_dir="$1"
if [ ! -d "$site_dir" ]; then
    echo "check-offline: no such directory: $site_dir" >&2
    exit 2
fi

pattern='(src|href)=["'"'"'](https?:)?//|url\(["'"'"']?(https?:)?//|@import ["'"'"'](https?:)?//|//fonts\.'

hits="$(find "$site_dir" -type f \( -name '*.html' -o -name '*.css' -o -name '*.js' \) -print0 \
        | xargs -0 -r grep -EnoH -- "$pattern" || true)"

if [ -n "$hits" ]; then
    echo "check-offline: external references found in $site_dir:" >&2
    echo "$hits" >&2
    echo "check-offline: files:" >&2
    echo "$hits" | cut -d: -f1 | sort -u >&2
    exit 1
fi
echo "check-offline: OK, no external references in $site_dir"

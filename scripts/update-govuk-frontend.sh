#!/usr/bin/env bash
# Vendors the built GOV.UK Frontend CSS and JS into internal/web/ui/static/govuk/.
#
# Only the minified bundle is copied. We are not a government service, so the GOV.UK
# crest and the GDS Transport font are neither copied nor referenced: the @font-face
# rules are removed, the font-family is replaced by a system font stack (overridable
# with the --cw-font-family custom property) and the crest url() is replaced by none.
# Nothing in the result makes the browser fetch anything, here or elsewhere.
#
# Usage: scripts/update-govuk-frontend.sh   (needs npm, tar, sed, grep)
# To upgrade, change VERSION below, run the script, check the diff and the tests.
set -euo pipefail

VERSION=5.14.0

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/internal/web/ui/static/govuk"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "govuk-frontend@$VERSION" >/dev/null
tar -xzf "govuk-frontend-$VERSION.tgz"
pkg="$tmp/package"

licence=$(sed -n 's/^ *"license": *"\([^"]*\)".*/\1/p' "$pkg/package.json")
if [ "$licence" != "MIT" ]; then
	echo "govuk-frontend@$VERSION licence is '$licence', not MIT: refusing" >&2
	exit 1
fi

src="$pkg/dist/govuk"
rm -rf "$dest"
mkdir -p "$dest"

# CSS: drop the font's copyright comment and @font-face rules, use system fonts,
# neutralise the crest, drop the source map comment.
sed -E \
	-e 's#/\*! Copyright \(c\) 2011 by Margaret Calvert[^*]*\*/##g' \
	-e 's#@font-face\{[^}]*\}##g' \
	-e 's#font-family:GDS Transport,arial,sans-serif#font-family:var(--cw-font-family,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif)#g' \
	-e 's#url\(/assets/images/govuk-crest\.svg\)#none#g' \
	-e 's#/\*\# sourceMappingURL=[^*]*\*/##g' \
	"$src/govuk-frontend.min.css" >"$dest/govuk-frontend.min.css"

# JS: an ES module; drop the source map comment (we do not ship the map).
sed -E -e 's#//\# sourceMappingURL=.*$##' \
	"$src/govuk-frontend.min.js" >"$dest/govuk-frontend.min.js"

# Any remaining url() must be relative to static/govuk/ and copied; today there is none.
fail=0
for u in $(grep -oE 'url\([^)]*\)' "$dest/govuk-frontend.min.css" | sort -u || true); do
	echo "unexpected url() left in CSS: $u" >&2
	fail=1
done
if grep -qiE '@font-face|@import|GDS Transport' "$dest/govuk-frontend.min.css"; then
	echo "font or @import left in CSS" >&2
	fail=1
fi
if grep -qE 'https?://' "$dest/govuk-frontend.min.js"; then
	echo "http(s) URL in JS" >&2
	fail=1
fi
# CSS may only mention http(s) in the print rule that matches link hrefs.
if sed -E 's#\[href\^="https?://"\]##g' "$dest/govuk-frontend.min.css" | grep -qE 'https?://'; then
	echo "unexpected http(s) URL in CSS" >&2
	fail=1
fi
[ "$fail" = 0 ] || exit 1

# The npm package does not include the licence file; this is the upstream LICENSE.txt.
cat >"$dest/LICENSE" <<'LICENCE'
GOV.UK Frontend (https://github.com/alphagov/govuk-frontend), npm package govuk-frontend.
Modified by Caseward: GDS Transport @font-face rules, font-family and the crest image removed.

The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENCE

echo "$VERSION" >"$dest/VERSION"
echo "govuk-frontend $VERSION ($licence) -> ${dest#"$root/"}"

#!/usr/bin/env bash
# Copies the Noto fonts that internal/pdf embeds (go:embed) from Debian's fonts-noto-core
# package into internal/pdf/fonts/, with their licence (SIL Open Font License 1.1).
#
# Only the faces the PDF writer needs are copied, to keep the binary small:
#   NotoSans-Regular, NotoSans-Bold          Latin (Polish, Kurmanji …), Greek, Cyrillic
#   NotoNaskhArabic-Regular, -Bold           Arabic script (Arabic, Sorani Kurdish, Farsi, Urdu …)
#   NotoSansEthiopic-Regular                 Ethiopic script (Tigrinya, Amharic); bold is drawn
#                                            by stroking the regular face
# The fonts are committed, so neither a developer nor CI needs the Debian package.
#
# Usage: scripts/update-fonts.sh   (needs apt-get/dpkg as root, or fonts-noto-core installed)
# To upgrade, install a newer fonts-noto-core, run the script, check the diff and the tests
# (the reference image in internal/pdf/testdata may need regenerating: see render_test.go).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/internal/pdf/fonts"
src=/usr/share/fonts/truetype/noto
doc=/usr/share/doc/fonts-noto-core/copyright
faces="NotoSans-Regular NotoSans-Bold NotoNaskhArabic-Regular NotoNaskhArabic-Bold NotoSansEthiopic-Regular"

if ! dpkg -s fonts-noto-core >/dev/null 2>&1; then
	apt-get install -y --no-install-recommends fonts-noto-core
fi

grep -q '^License: OFL-1.1' "$doc" || {
	echo "fonts-noto-core is no longer under the OFL-1.1 (see $doc): refusing" >&2
	exit 1
}

mkdir -p "$dest"
for f in $faces; do
	cp "$src/$f.ttf" "$dest/$f.ttf"
done

version=$(dpkg-query -W -f='${Version}' fonts-noto-core)
{
	echo "Noto fonts from Debian's fonts-noto-core $version."
	echo "Copyright 2010, 2012-2020 Google Inc.; 2015-2020 Google LLC."
	echo "This Font Software is licensed under the SIL Open Font License, Version 1.1."
	echo "Caseward embeds them in its binary, and subsets of them in the PDFs it writes."
	echo
	# The stand-alone "License: OFL-1.1" paragraph of the Debian copyright file holds the
	# licence text, one space-indented line each, "." for an empty line.
	awk '/^License: OFL-1.1$/ { n++; next } n == 3 && /^[^ ]/ { exit } n == 3 { print }' "$doc" |
		sed -e 's/^ //' -e 's/^\.$//'
} >"$dest/OFL.txt"

ls -l "$dest"

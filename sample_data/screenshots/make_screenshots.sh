#!/usr/bin/env bash
# Remake the README's screenshots: the session report of week 2 (compared with
# week 1) and the trends of the six weeks, each as a phone (390 px) and a
# desktop (1280 px) shows it, with headless chromium. Run from the repository
# root with hipsense installed; writes only into sample_data/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HIPSENSE_DB="$work/history.sqlite3"
hipsense import sample_data/20??-??-?? >/dev/null
hipsense report sample_data/2026-10-12 -o "$work/report.html" >/dev/null
hipsense trends -o "$work/trends.html" >/dev/null
shot() {  # page width height out
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size="$2,$3" --screenshot="$4" "file://$work/$1" 2>/dev/null
}
out=sample_data/screenshots
shot report.html 390 2400 "$out/session-report-390.png"
shot report.html 1280 1500 "$out/session-report-1280.png"
shot trends.html 390 2400 "$out/trends-report-390.png"
shot trends.html 1280 1500 "$out/trends-report-1280.png"
ls -l "$out"/*.png

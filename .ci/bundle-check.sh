#!/usr/bin/env bash
# `make bundle-check`: proves the PyInstaller folder dist/handout-app works on its own (no checkout, no venv):
#   1. `handout-app render` makes a PDF with the patient's name and the side, through a render worker that is
#      the bundle's program started as `handout-app worker`, and records it (the record store's migrations);
#   2. the window (`handout-app-window`) opens on a virtual X screen (Xvfb) as a nurse uses it: the procedure
#      remembered in its settings file, the name typed, Alt+L for the left side; Save becomes possible only
#      once the preview of the sheet is up to date, Ctrl+S and Enter save it, Ctrl+Q closes the window. The
#      saved PDF, a clean exit and an empty stderr (Qt and WeasyPrint warnings included) are checked.
# Needs xvfb, xdotool and poppler-utils (.ci/system-deps.sh --bundle).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="${BUNDLE:-$ROOT/dist/handout-app}"
PY="${PY:-$ROOT/.venv/bin/python}"

fail() { echo "bundle-check: $*" >&2; exit 1; }

wait_for() {  # wait_for SECONDS COMMAND...: poll until the command succeeds
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}

window_check() {  # runs inside xvfb-run (this script again, with --window), with the environment set below
  "$BUNDLE/handout-app-window" 2>"$WORK/window.err" &
  local pid=$!
  trap 'kill "$pid" 2>/dev/null || true' RETURN
  local window
  window=$(timeout 90 xdotool search --sync --onlyvisible --name '^Hip injection handout') \
    || fail "the window did not open (stderr: $(cat "$WORK/window.err"))"
  window=${window%%$'\n'*}
  xdotool windowfocus --sync "$window"
  xdotool key --delay 50 alt+n
  xdotool type --delay 20 "Bundle Window"
  xdotool key --delay 50 alt+l
  # Ctrl+S does nothing until the preview of the complete form is made (by the bundle's worker).
  save_dialog() { xdotool key ctrl+s; xdotool search --onlyvisible --name '^Save handout as PDF'; }
  wait_for 120 save_dialog || fail "the preview was never ready to save (stderr: $(cat "$WORK/window.err"))"
  xdotool key Return
  saved() { compgen -G "$HOME/*.pdf"; }
  wait_for 60 saved || fail "Save wrote no PDF into $HOME"
  xdotool windowfocus --sync "$window"  # back from the Save dialog
  xdotool key ctrl+q
  ended() { ! ps -o stat= -p "$pid" | grep -qv Z; }  # gone, or only waiting to be reaped
  wait_for 30 ended || fail "the window did not close on Ctrl+Q"
  wait "$pid" || fail "the window exited with code $?"
}

if [ "${1:-}" = "--window" ]; then
  window_check
  exit 0
fi
[ -x "$BUNDLE/handout-app" ] || fail "no bundle in $BUNDLE: run make bundle first"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Every user folder in the temp folder; the working folder too, so nothing is found in the checkout.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_STATE_HOME="$WORK/state"
export WORK BUNDLE
mkdir -p "$HOME"
cd "$WORK"
unset QT_QPA_PLATFORM

echo "bundle-check: 1. handout-app render"
"$BUNDLE/handout-app" render --target joint --medication anesthetic --guidance ultrasound --side left \
  --patient-name "Bundle Check" --force --output "$WORK/render.pdf"
[ "$(head -c 5 "$WORK/render.pdf")" = "%PDF-" ] || fail "render made no PDF"
text=$(pdftotext "$WORK/render.pdf" -)
grep -q "Bundle Check" <<<"$text" && grep -q "LEFT hip joint injection" <<<"$text" \
  || fail "the PDF lacks the patient's name or the side"
"$BUNDLE/handout-app" records list | grep -q "LEFT hip joint injection" || fail "the sheet was not recorded"

echo "bundle-check: 2. the window: type a name, choose the side, save the previewed sheet"
# The procedure a nurse chose the day before, in the window's settings file (gui/settings_file.py).
"$PY" - "$XDG_CONFIG_HOME/handout-app/handout-app.ini" <<'EOF'
import sys
from PySide6.QtCore import QSettings
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
settings.setValue("procedure/values", {"target": "joint", "medications": ["anesthetic"], "guidance": "ultrasound",
                                       "contrast": False, "intent": "", "paper": "a4"})
settings.sync()
EOF
xvfb-run -a -s "-screen 0 1600x1000x24" bash "$ROOT/.ci/bundle-check.sh" --window
saved=$(compgen -G "$HOME/*.pdf")
text=$(pdftotext "$saved" -)
grep -q "Bundle Window" <<<"$text" && grep -q "LEFT hip joint injection" <<<"$text" \
  || fail "the saved PDF lacks the patient's name or the side"
[ ! -s "$WORK/window.err" ] || fail "the window wrote errors: $(cat "$WORK/window.err")"
echo "bundle-check: the bundle renders from the command line and from the window ($(basename "$saved"))"

#!/usr/bin/env bash
# Debian packages the app and its tests need. Installs what is missing when run as root;
# otherwise prints the exact command to run.
set -euo pipefail
packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1   # WeasyPrint
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3            # Qt
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 libxcb-xkb1  # Qt on X11
  poppler-utils qpdf xvfb                                               # looking at PDFs, virtual screen
  cups cups-client printer-driver-cups-pdf                              # printing tests
  postgresql                                                            # record store tests (a throwaway server)
)
# `make bench` also measures the CLI against headless Chromium printing the same HTML.
[ "${1:-}" = "--bench" ] && packages+=(chromium)
# `make bundle`: PyInstaller reads the libraries' dependencies with binutils (objdump); `make bundle-check`
# drives the bundle's window on the virtual screen with xdotool.
[ "${1:-}" = "--bundle" ] && packages+=(binutils xdotool)
command -v dpkg-query >/dev/null || { echo "system-deps: not a Debian/Ubuntu system; install Pango, Qt's X11 libraries and CUPS yourself."; exit 0; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: these Debian packages are missing. Install them with:"
  echo "  sudo apt-get install -y ${missing[*]}"
  exit 1
fi

#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright drives it through
# executable_path; it never downloads a browser of its own).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-browser: Chromium is missing and this user cannot install it; the browser tests will skip." >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-browser: installing Debian's chromium package (first run only)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null

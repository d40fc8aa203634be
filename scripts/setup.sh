#!/usr/bin/env bash
# Installs what the service and its tests need from the machine, once: PostgreSQL server binaries
# (Debian's postgresql package) when initdb/pg_ctl are missing, and ffmpeg/ffprobe (Debian's ffmpeg
# package) for frame sampling when either is missing, fpcalc (Debian's libchromaprint-tools) for audio fingerprints,
# and Chromium (Debian's chromium) for the console's browser tests.
# Idempotent and quiet when all is there.
set -euo pipefail

have_pg() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { command -v initdb >/dev/null && command -v pg_ctl >/dev/null; }
}

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"   # as_root, apt_install (waits for another installer's lock)

if ! have_pg; then
  echo "setup: installing PostgreSQL server binaries (Debian package postgresql)..."
  # The project runs its own cluster; don't let the package create and start a system one.
  as_root mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  apt_install postgresql
fi

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  echo "setup: installing ffmpeg and ffprobe (Debian package ffmpeg)..."
  apt_install ffmpeg
fi

if ! command -v fpcalc >/dev/null; then
  echo "setup: installing fpcalc (Debian package libchromaprint-tools), used for audio fingerprints..."
  apt_install libchromaprint-tools
fi

if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  echo "setup: installing the DejaVu fonts (Debian package fonts-dejavu-core), used by the local storyboard generator..."
  apt_install fonts-dejavu-core
fi

if ! command -v npm >/dev/null; then
  echo "setup: installing npm (Debian package npm), used to fetch the face models..."
  apt_install npm
fi

if ! ls /usr/lib/*/libicuuc.so.* >/dev/null 2>&1; then
  echo "setup: installing ICU (Debian package libicu-dev), used by icu.net to transliterate prompts in other scripts..."
  apt_install libicu-dev
fi

if ! ldconfig -p | grep -q 'libgtk-3\.so\.0' || ! ldconfig -p | grep -q 'libdrm\.so\.2'; then
  echo "setup: installing the libraries OpenCV's runtime links against (Debian packages libgtk-3-0, libdrm2), used for local image features..."
  apt_install libgtk-3-0 libdrm2
fi

if ! command -v jq >/dev/null; then
  echo "setup: installing jq (Debian package jq), used by the README tour..."
  apt_install jq
fi

if [ ! -x /usr/bin/chromium ]; then
  # The console's browser tests drive Debian's Chromium through Playwright (ExecutablePath=/usr/bin/chromium);
  # Playwright's own browser download cannot work here and is never run (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
  echo "setup: installing Chromium (Debian package chromium), used by the console's browser tests..."
  apt_install chromium
fi

if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH)." >&2
  exit 1
fi

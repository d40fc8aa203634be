#!/usr/bin/env bash
# Shared by the set-up scripts: run as root (or through sudo), and apt-get that waits for another installer's lock.
# Sourced, not run.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# How long apt-get waits for a lock another installer holds (unattended upgrades, a parallel set-up), in seconds.
APT_LOCK_WAIT="${APT_LOCK_WAIT:-600}"

# apt-get with a bounded wait for the dpkg and package-list locks. apt's own DPkg::Lock::Timeout covers the dpkg
# frontend lock; older apt releases do not apply it to `apt-get update`'s list lock, so a lock failure is also retried
# here until the same deadline.
apt_get() {
  local deadline=$((SECONDS + APT_LOCK_WAIT)) out rc
  while :; do
    out=$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
      [ -n "$out" ] && printf '%s\n' "$out" | grep -v '^\(Get\|Hit\|Ign\|Reading\|Building\|Fetched\|Selecting\|Preparing\|Unpacking\|Setting up\|Processing\)' >&2
      return 0
    fi
    if grep -qi 'could not get lock\|unable to lock\|is another process using it' <<<"$out" && [ "$SECONDS" -lt "$deadline" ]; then
      echo "setup: another installer holds the package lock; waiting ($((deadline - SECONDS)) s left)..." >&2
      sleep 5
      continue
    fi
    printf '%s\n' "$out" >&2
    return "$rc"
  done
}

apt_updated=0
# Installs Debian packages, updating the package lists once per script.
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    apt_get update -qq || return 1
    apt_updated=1
  fi
  apt_get install -y -qq --no-install-recommends "$@"
}

# Downloads a Debian package's .deb into the current folder without installing it (lists updated once on a miss).
apt_download() {
  local pkg=$1
  if ! apt-get download -q "$pkg" >/dev/null 2>&1; then
    if [ "$apt_updated" -eq 0 ]; then
      apt_get update -qq || return 1
      apt_updated=1
    fi
    apt-get download -q "$pkg" >/dev/null
  fi
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Extracts one file from a Debian package into a work folder (the package is downloaded and unpacked once per
# folder, nothing is installed) and checks it against its pinned sha256. Prints the extracted file's path.
# Usage: debian_file <work folder> <package> <path inside the package> <sha256> <who is asking, for messages>
debian_file() {
  local work=$1 pkg=$2 path=$3 sha=$4 who=$5 actual
  if [ ! -d "$work/$pkg" ]; then
    echo "$who: fetching Debian package $pkg..." >&2
    (cd "$work" && apt_download "$pkg") || return 1
    mkdir -p "$work/$pkg"
    dpkg-deb -x "$work/${pkg}"_*.deb "$work/$pkg" || return 1
  fi
  actual=$(sha256_of "$work/$pkg/$path")
  if [ "$actual" != "$sha" ]; then
    echo "$who: $pkg:/$path has sha256 $actual, expected $sha" >&2
    return 1
  fi
  printf '%s\n' "$work/$pkg/$path"
}

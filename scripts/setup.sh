#!/usr/bin/env bash
# Developer set-up on Debian/Ubuntu: system packages (needs root or sudo), a venv in .venv,
# and twindesk with its test extras. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-dev
  # Qt + VTK under Xvfb (a missing GL library segfaults with no Python error)
  xvfb xauth libegl1 libgl1 libgl1-mesa-dri libglib2.0-0 libdbus-1-3 libfontconfig1
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 libxrender1
  # one fixed font so rendered text (and the GUI reference images) look the same everywhere
  fonts-dejavu-core
  # PDF report checks
  poppler-utils
  # DICOM network peers for tests (storescu/echoscu, a real PACS) and dciodvfy
  dcmtk orthanc dicom3tools
  # bundle build (strip/readelf of packaging/build.py) and its smoke test's write tracing
  binutils strace
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own Orthanc on a free localhost port; the system service that
  # Debian's package enables is not needed, so it does not keep listening.
  if command -v systemctl >/dev/null && systemctl is-enabled orthanc >/dev/null 2>&1; then
    $SUDO systemctl disable --now orthanc >/dev/null 2>&1 || true
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "setup: done (.venv/bin/twindesk is ready)"

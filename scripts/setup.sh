#!/usr/bin/env bash
# Set up everything hegui needs on a fresh Debian 12 machine (idempotent, quick when done already).
#   - As root: installs the Debian packages (ffmpeg, CJK fonts, chromium, postgresql, exiftool, ...).
#     Otherwise it lists what is missing and how to install it.
#   - Creates .venv and installs hegui with its pinned ranges (plus test extras with --test).
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_TEST=0; WANT_BENCH=0
for a in "$@"; do [ "$a" = "--test" ] && WANT_TEST=1; [ "$a" = "--bench" ] && WANT_BENCH=1; done

# what the gateway needs at run time (deploy/Dockerfile installs exactly these; a test checks it)
RUNTIME_DEB_PACKAGES=(ffmpeg fonts-noto-cjk espeak-ng sox libpango-1.0-0 libpangoft2-1.0-0)
# what the test suite and benchmarks need on top (headless console tests, PostgreSQL, interop checks)
TEST_DEB_PACKAGES=(chromium postgresql libimage-exiftool-perl libexempi8 poppler-utils libarchive-zip-perl)
# --bench: photo packages for the watermark benchmark's test images (bench/labeling/wm_images.py)
BENCH_DEB_PACKAGES=(plasma-workspace-wallpapers mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
  ukui-wallpapers stellarium-data tuxpaint-stamps-default xplanet-images)
DEB_PACKAGES=("${RUNTIME_DEB_PACKAGES[@]}" "${TEST_DEB_PACKAGES[@]}")
[ $WANT_BENCH = 1 ] && DEB_PACKAGES+=("${BENCH_DEB_PACKAGES[@]}")
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup] installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] install them with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "[setup] Python >= 3.11 is required (found $("$PY" --version 2>&1))" >&2; exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=""; [ $WANT_TEST = 1 ] && extras="[test]"
stamp=".venv/.hegui-setup-$(sha256sum pyproject.toml | cut -c1-16)$WANT_TEST"
if [ ! -f "$stamp" ]; then
  echo "[setup] installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e ".$extras" 2>&1 | grep -v -i "warning" || true
  # resemblyzer's wheel carries the GE2E speaker weights (hegui.likeness.speaker runs them in numpy);
  # --no-deps because its declared dependencies pull CUDA torch (~5.5 GB) that hegui never imports
  .venv/bin/python -m pip install -q --no-deps "resemblyzer==0.1.4" 2>&1 | grep -v -i "warning" || true
  .venv/bin/python -c "import hegui, fastapi, sqlalchemy" || { echo "[setup] Python install failed" >&2; exit 1; }
  rm -f .venv/.hegui-setup-*; touch "$stamp"
fi
echo "[setup] ready"

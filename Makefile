# Set-up and the two jobs. `make demo` and `make test` each install what they need first,
# so both work on a fresh Debian/Ubuntu machine with Python 3.11+.
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install libreoffice demo test bench templates

install:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'

# LibreOffice Calc is the real spreadsheet program the hand-off tests open sheets in.
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libreoffice-calc-nogui >/dev/null; }

demo: install
	planner demo

test: install libreoffice
	$(PYTHON) -m pytest -q

bench: install
	$(PYTHON) benchmarks/core.py
	$(PYTHON) benchmarks/fit.py

templates: install
	planner templates

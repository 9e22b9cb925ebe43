# Backprop, worked — build, test and serve the static site.
#
#   make / make site   set up, generate docs/ pages and build the site into site/, all or nothing
#                      (scripts/build_site.py: a failed check or mkdocs error leaves both as they were)
#   make test          same, then run pytest, including the browser tests in tests/browser/
#                      (Playwright for Python from requirements.txt, driving Debian's chromium)
#   make serve         set up, then mkdocs serve on $(DEV_ADDR), regenerating edited problems
#   make bench         set up, then python -m benchmarks.bench
#   make clean         remove site/, .venv/, vendored assets and stamps
#
# Variables (override on the command line, e.g. `make serve DEV_ADDR=127.0.0.1:8001`):
#   PYTHON       interpreter used to create .venv (>= 3.11)      [python3]
#   PYTEST_ARGS  extra arguments for pytest                      []
#   PYTEST_JOBS  test processes (pytest-xdist; 0: none)           [2]
#   DEV_ADDR     address for `make serve`                        [127.0.0.1:8000]
#   ALLOW_APT=0  (environment) never apt-get install; just print the command

SHELL := /bin/bash
.DEFAULT_GOAL := site
.DELETE_ON_ERROR:

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
MKDOCS      := $(VENV)/bin/mkdocs
PYTEST_ARGS ?=
PYTEST_JOBS ?= 2
DEV_ADDR    ?= 127.0.0.1:8000

# Silence mkdocs-material's end-of-life banner on every build (`make NO_MKDOCS_2_WARNING=` shows it).
export NO_MKDOCS_2_WARNING ?= 1

STAMPS      := .stamps
KATEX_SRC   := vendor/node_modules/katex/dist
KATEX_DIR   := docs/assets/katex
NPM_STAMP   := vendor/node_modules/.package-lock.json
KATEX_STAMP := $(KATEX_DIR)/.installed
# iframe-worker's shim: lets the site search run from file:// (mkdocs.yml extra.polyfills)
IFW_DIR     := docs/assets/iframe-worker
IFW_STAMP   := $(IFW_DIR)/.installed

# Debian packages needed (checked through the commands they provide); `make test` and
# `make bench` add chromium (browser tests, page-load timing). Target-specific values also
# apply to the targets' prerequisites.
SYSTEM_PKGS := graphviz fonts-liberation2 nodejs npm
test bench pdf: SYSTEM_PKGS += chromium

.PHONY: site test serve bench pdf clean setup system

# --- Targets -----------------------------------------------------------------

# Make sure KaTeX and the shim are in docs/ (cheap no-op), then generate the pages and build the
# site atomically: the pages go to a staged copy of docs/, mkdocs builds that into a staged site,
# and only when both succeed are docs/ written and site/ replaced (scripts/build_site.py).
site: setup
	@$(MAKE) --no-print-directory $(KATEX_STAMP) $(IFW_STAMP)
	$(PY) scripts/build_site.py

# Build the site, then run the test suite; a failing pytest fails `make test`. The browser tests
# (tests/browser/) drive /usr/bin/chromium (ensured above) through Playwright's own Node driver,
# which the playwright wheel bundles: no `playwright install`, no browser download.
# pytest-xdist spreads the tests over $(PYTEST_JOBS) processes (work stealing: the four long
# axe-core runs do not queue behind one another); PYTEST_JOBS=0 runs them in this process.
test: site
	$(PY) -m pytest -q -n $(PYTEST_JOBS) --dist worksteal $(PYTEST_ARGS)

# Live-reloading development server. The hook hooks/mkdocs_hook.py (mkdocs.yml `hooks:`)
# runs the generator on start and after every edit of problems/*.yml: only changed problems are
# solved again, only changed pages are rewritten, and each edit gives one site rebuild. A
# mistake in a problem file is printed and the last good pages stay served. A busy address is
# reported in one line before anything is built (scripts/check_port.py).
serve: setup
	@$(PY) scripts/check_port.py $(DEV_ADDR)
	$(MKDOCS) serve --dev-addr $(DEV_ADDR)

# Benchmarks: build, page load (desktop, and on a phone profile: the built site/), engine at scale;
# a table, and .bench/results.json (git-ignored).
bench: site
	$(PY) -m benchmarks.bench

# Print pages to PDF: each handout's question sheet and answer key (site pages linked from the
# handout's index), printed by the headless Chromium; pdf/<handout>-questions.pdf, -answers.pdf.
pdf: site
	$(PY) scripts/print_pdf.py site pdf

clean:
	rm -rf site pdf $(VENV) $(STAMPS) vendor/node_modules $(KATEX_DIR) $(IFW_DIR) *.egg-info

# --- Set-up (idempotent; stamp files make the second run cheap) ----------------

setup: system $(STAMPS)/venv $(KATEX_STAMP) $(IFW_STAMP)

# Stage 1: system packages (a few `command -v` checks; apt-get only if missing).
system:
	@scripts/ensure-system.sh $(SYSTEM_PKGS)

# Stage 2a: the virtualenv itself, created with a Python >= 3.11.
$(VENV)/pyvenv.cfg: | system
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Python >= 3.11 is required to create $(VENV); '$(PYTHON)' is" \
	       "$$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo 'not found')." >&2; \
	  echo "       Install one and run e.g. 'make PYTHON=python3.11'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv' failed (on Debian: sudo apt-get install -y python3-venv)." >&2; \
	  rm -rf $(VENV); exit 1; }

# Stage 2b: exact pins from requirements.txt, then this project (editable, no deps).
$(STAMPS)/venv: $(VENV)/pyvenv.cfg requirements.txt pyproject.toml
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	@mkdir -p $(STAMPS) && touch $@

# Stage 3a: KaTeX from the npm registry, exactly as pinned in vendor/package-lock.json.
$(NPM_STAMP): vendor/package.json vendor/package-lock.json | system
	npm ci --prefix vendor --ignore-scripts --no-audit --no-fund
	@touch $@

# Stage 3b: copy KaTeX into docs/ so the site serves it itself (no CDN).
$(KATEX_STAMP): $(NPM_STAMP)
	rm -rf $(KATEX_DIR)
	mkdir -p $(KATEX_DIR)/contrib
	cp $(KATEX_SRC)/katex.min.js $(KATEX_SRC)/katex.min.css $(KATEX_DIR)/
	cp -R $(KATEX_SRC)/fonts $(KATEX_DIR)/fonts
	cp $(KATEX_SRC)/contrib/auto-render.min.js $(KATEX_DIR)/contrib/
	@touch $@

# Stage 3c: iframe-worker's shim (same npm pin), which mkdocs-material's offline plugin needs for
# search from file://; listed in mkdocs.yml `extra.polyfills` so the plugin adds no CDN copy.
$(IFW_STAMP): $(NPM_STAMP)
	rm -rf $(IFW_DIR)
	mkdir -p $(IFW_DIR)
	cp vendor/node_modules/iframe-worker/shim/index.js $(IFW_DIR)/shim.js
	@touch $@

# Every target creates .venv and installs the project itself, so a fresh clone needs nothing else.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install demo console test test-sqlite lint bench browser web
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dangjian demo

console: $(STAMP)
	$(BIN)/dangjian console

# The web console's browser tests drive Debian's chromium; Chinese needs a CJK font; the print test
# opens the ledger in LibreOffice Calc and draws its pages with poppler (root installs them).
BROWSER_PKGS := chromium fonts-noto-cjk libreoffice-calc-nogui poppler-utils
browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q . \
	  || ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  apt-get install -y --no-install-recommends $(BROWSER_PKGS) >/dev/null || \
	  (apt-get update >/dev/null && apt-get install -y --no-install-recommends $(BROWSER_PKGS) >/dev/null); fi

# SQLite always; PostgreSQL at DANGJIAN_TEST_PG_URL (default: the local server, database "test").
# Four test processes: most tests wait on sockets, processes and timers more than on the two cores.
TEST_WORKERS ?= $${DANGJIAN_TEST_WORKERS:-4}
test: $(STAMP) browser
	DANGJIAN_TEST_PG_URL=$${DANGJIAN_TEST_PG_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} \
	DANGJIAN_REQUIRE_PG=$${DANGJIAN_REQUIRE_PG:-1} $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

test-sqlite: $(STAMP) browser
	DANGJIAN_REQUIRE_PG=0 DANGJIAN_TEST_PG_URL= $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/telegram.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/wecom.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/compliance.py
	$(BIN)/python bench/faults.py

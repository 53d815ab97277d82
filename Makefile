# Two commands do all the set-up on a fresh Debian/Ubuntu machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := .ci/requirements.lock
LOCK_HEADER := \
  "\# The exact versions every workstation and CI install, with their hashes (pip --require-hashes)." \
  "\# Made by \`make lock\` from pyproject.toml (dependencies and the test and bundle extras), for every" \
  "\# system and Python 3.11 or newer; change a version in pyproject.toml, then run \`make lock\`."

.PHONY: run test test-fast lint lock system-deps venv install-check bundle bundle-check bench sample clean review-packet

run: system-deps $(STAMP)
	$(VENV)/bin/handout-app

# On every core (pytest-xdist), each test file in one process so its shared renders are made once.
test: system-deps $(STAMP)
	$(PY) -m pytest -n auto --dist loadfile

# The quick lane for your own loop: stops at the first failure, leaves out the slow files (tests/conftest.py) and CUPS.
test-fast: $(STAMP)
	$(PY) -m pytest -n auto --dist loadfile -x -q -m "not slow and not cups"

# Checked code: ruff (lint and format check) and mypy --strict on the app, zero findings.
lint: $(STAMP)
	$(PY) -m ruff check handout_app tests bench
	$(PY) -m ruff format --check handout_app tests bench
	$(PY) -m mypy handout_app

# A sample handout from the command line (no window needed).
sample: system-deps $(STAMP)
	mkdir -p out
	$(VENV)/bin/handout-app render --target joint --medication anesthetic --medication corticosteroid --intent both \
	  --guidance fluoroscopy --contrast --side right --patient-name "Sample Patient" \
	  --clinic examples/clinic --force --output out/sample.pdf

system-deps:
	@bash .ci/system-deps.sh

venv: $(STAMP)

# Every library at the version and hash in the lock file (the versions CI tested), then this checkout itself.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After changing a dependency in pyproject.toml: the lock file again, for every system (needs the network).
lock:
	rm -rf build/lock-tool && $(PYTHON) -m venv build/lock-tool
	build/lock-tool/bin/python -m pip install --quiet "uv==0.13.9"
	{ printf '%s\n' $(LOCK_HEADER); build/lock-tool/bin/uv pip compile pyproject.toml --extra test --extra bundle \
	  --universal --generate-hashes --python-version 3.11 --no-header --quiet; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)

# Proves a plain, non-editable `pip install .` into a fresh environment works (templates inside the wheel).
install-check: system-deps
	rm -rf /tmp/handout-install-check
	$(PYTHON) -m venv /tmp/handout-install-check
	/tmp/handout-install-check/bin/python -m pip install --quiet .
	cd /tmp && /tmp/handout-install-check/bin/handout-app render --target trochanteric --medication corticosteroid \
	  --guidance ultrasound --side left --patient-name "Install Check" --force --output /tmp/handout-install-check/check.pdf
	test -s /tmp/handout-install-check/check.pdf

# A folder that runs without Python installed, dist/handout-app/ (PyInstaller, .ci/handout-app.spec): the
# `handout-app` command and the `handout-app-window` window. Build it on the system it is for.
bundle: system-deps $(STAMP)
	bash .ci/system-deps.sh --bundle
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller .ci/handout-app.spec

# Builds the bundle, then renders with it from the command line and from its window (under Xvfb).
bundle-check: bundle
	PY="$(abspath $(PY))" bash .ci/bundle-check.sh

# Prints every figure, appends them to bench/history.csv (date, commit, cores, load) and prints the
# table the README shows.
bench: export HANDOUT_BENCH_RESULTS := $(CURDIR)/out/bench-run.jsonl
bench: system-deps $(STAMP)
	bash .ci/system-deps.sh --bench
	mkdir -p out && rm -f out/bench-run.jsonl
	# Compiled as an installed copy is (pip and the bundle compile every module): with PYTHONDONTWRITEBYTECODE
	# set, or a fresh checkout, each cold start would otherwise compile the app's own modules first.
	$(PY) -m compileall -q handout_app
	$(PY) bench/render_bench.py
	$(PY) bench/pages_words.py --quick
	$(PY) bench/print_bench.py
	$(PY) bench/day_list_bench.py
	$(PY) bench/check_bench.py
	$(PY) bench/record_bench.py
	$(PY) bench/chromium_bench.py
	$(PY) bench/history.py out/bench-run.jsonl

clean:
	rm -rf $(VENV) out build dist *.egg-info

# The clinician review packet, generated from templates/content (a test fails while it is out of date).
review-packet: $(STAMP)
	$(PY) -m handout_app.review_packet > docs/content-review.md.tmp
	mv docs/content-review.md.tmp docs/content-review.md

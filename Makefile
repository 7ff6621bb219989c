# sismo - the only build entry point.
#
#   make                 build build/sismo (installs nothing)
#   make deps            install missing Debian and npm packages (scripts/deps.sh)
#   make test-deps       same, plus the test peers (kcat, python clients, chromium...)
#   make run             deps + build + `sismo up` (the main job); ARGS="--simulate" etc.
#   make test            deps + build + unit and integration tests (TESTS=0501 to pick)
#   make unit            unit tests only (SUITE=sis_buf to pick one suite)
#   make valgrind        unit tests under valgrind memcheck (SUITE= too): a memory error or a
#                        definite leak fails, also in a forked child that does not exec
#   make integ           integration tests only
#   make bench           benchmarks, printed beside reference runs
#   make SANITIZE=address,undefined test     sanitizer build in build-asan/
#   make debug           -O0 build in build-debug/
#   make fuzz            libFuzzer targets (tests/fuzz/fuzz_*.c) with clang in build-fuzz/fuzz/
#   make clean

PKGS     := rdkafka libcurl jansson libevent
CC       ?= cc
OPT      ?= -O2
SANITIZE ?=
ifneq ($(SANITIZE),)
  BUILD  ?= build-asan
  SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
  BUILD  ?= build
  SANFLAGS :=
endif

# V=1 shows full compiler command lines.
Q        := $(if $(V),,@)

SRCDIRS  := $(sort $(dir $(shell find src -name '*.c' -o -name '*.h')))
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers -pthread $(SANFLAGS) $(PKG_CFLAGS) \
            $(addprefix -I,$(SRCDIRS)) -I$(BUILD)/gen
LDFLAGS  += -pthread $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

SRCS     := $(shell find src -name '*.c' ! -name 'main.c')
OBJS     := $(addprefix $(BUILD)/obj/,$(notdir $(SRCS:.c=.o)))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(addprefix $(BUILD)/unit/,$(notdir $(UNIT_SRCS:.c=.o)))
UNIT_SUITES := $(patsubst test_%.c,%,$(filter test_%.c,$(notdir $(UNIT_SRCS))))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS    := $(addprefix $(BUILD)/tools/,$(notdir $(TOOL_SRCS:.c=)))

vpath %.c $(sort $(dir $(SRCS))) src tests/unit tests/tools

# Web assets compiled into the binary (table format in src/http/http_static.h): every file
# under web/ plus these npm files. node_modules/.package-lock.json (written by `npm ci`) is
# a prerequisite when present, so the table is regenerated after `make deps`.
WEB_FILES := $(shell find web -type f ! -name '.*' 2>/dev/null)
WEB_NPM  := leaflet/dist/leaflet.js leaflet/dist/leaflet.css leaflet/dist/images/layers.png \
            leaflet/dist/images/layers-2x.png leaflet/dist/images/marker-icon.png \
            topojson-client/dist/topojson-client.min.js world-atlas/countries-50m.json
OBJS     += $(BUILD)/obj/web_assets.o

.PHONY: all deps test-deps run test unit valgrind integ bench clean debug fmt fuzz fuzz-targets
all: $(BUILD)/sismo $(BUILD)/sismo-unit $(TOOLS)

$(BUILD)/obj $(BUILD)/unit $(BUILD)/tools $(BUILD)/gen:
	@mkdir -p $@

$(BUILD)/obj/%.o: %.c | $(BUILD)/obj
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/web_assets.c: scripts/gen-web-assets.sh $(WEB_FILES) \
        $(wildcard node_modules/.package-lock.json $(addprefix node_modules/,$(WEB_NPM))) | $(BUILD)/gen
	@echo "  GEN     $@"
	$(Q)scripts/gen-web-assets.sh $@ web node_modules $(WEB_NPM)

$(BUILD)/obj/web_assets.o: $(BUILD)/gen/web_assets.c | $(BUILD)/obj
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/sismo: $(BUILD)/obj/main.o $(OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: every tests/unit/test_<name>.c defines `int test_<name>(void)`; the suite
# table is generated from the file names, so adding a test file needs no other edit.
$(BUILD)/gen/test_suites.h: $(UNIT_SRCS) Makefile | $(BUILD)/gen
	@printf '%s\n' $(foreach s,$(UNIT_SUITES),'SIS_TEST_SUITE($(s))') > $@.tmp && mv $@.tmp $@

$(BUILD)/unit/%.o: %.c $(BUILD)/gen/test_suites.h | $(BUILD)/unit
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/sismo-unit: $(UNIT_OBJS) $(OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(OBJS) | $(BUILD)/tools
	@echo "  LINK    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(OBJS) $(LDFLAGS) $(LDLIBS)

deps:
	@scripts/deps.sh

test-deps:
	@scripts/deps.sh --test

# Only the binary: the unit runner and test tools wait for `make test`.
run: deps
	@$(MAKE) --no-print-directory $(BUILD)/sismo
	$(BUILD)/sismo up $(ARGS)

test: test-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run-tests.sh

unit: $(BUILD)/sismo-unit
	$(BUILD)/sismo-unit $(SUITE)

# Memcheck over the unit suites. Exits non-zero on any memory error (invalid read/write,
# use of uninitialised values, bad free...) or "definitely lost" block; possibly-lost and
# still-reachable blocks are shown, not failed. No suppressions: none of librdkafka, libcurl,
# libevent, jansson or glibc reports anything here. A forked child that does not exec is
# checked as well when it exits, with its copy of the parent's heap: fork before allocating
# what the child does not need (tests/unit/test_alert_log.c), flush stdio before fork().
# Exec'd programs run natively (no --trace-children). Needs a build without SANITIZE.
VALGRIND       ?= valgrind
VALGRIND_FLAGS ?= --tool=memcheck --error-exitcode=1 --leak-check=full \
                  --errors-for-leak-kinds=definite --track-origins=yes --num-callers=30
ifneq ($(SANITIZE),)
valgrind:
	$(error make valgrind needs a build without SANITIZE (valgrind cannot run ASan binaries))
else
valgrind: $(BUILD)/sismo-unit
	$(VALGRIND) $(VALGRIND_FLAGS) $(BUILD)/sismo-unit $(SUITE)
endif

integ: all
	@BUILD=$(BUILD) tests/run-tests.sh --integ-only

bench: all
	@BUILD=$(BUILD) bench/run.sh

debug:
	@$(MAKE) --no-print-directory OPT=-O0 BUILD=build-debug all

# Fuzz targets: tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput; every object is
# built with clang and -fsanitize=fuzzer-no-link,address,undefined, the target links
# libFuzzer's main. Run by tests/integ/0009-fuzz.sh (request decoder) and 0356 (record
# decoder); seed corpora in tests/fuzz/corpus/<name>/.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz \
		SANITIZE=fuzzer-no-link,address,undefined fuzz-targets

fuzz-targets: $(addprefix $(BUILD)/fuzz/,$(notdir $(FUZZ_SRCS:.c=)))

$(BUILD)/fuzz:
	@mkdir -p $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(OBJS) | $(BUILD)/fuzz
	@echo "  LINK    $@"
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LDFLAGS) $(LDLIBS)

fmt:
	clang-format -i $(shell find src tests -name '*.[ch]')

clean:
	rm -rf build build-asan build-debug build-fuzz

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/unit/*.d)

# fuzz/fuzz.mk: libFuzzer harnesses for the parsers of untrusted input
# (issue 15).  Included by the Makefile; GNU make.  Needs clang and its
# libFuzzer runtime (Debian: clang, libclang-rt-14-dev; `make deps`).
#
#   make fuzz          every harness for FUZZ_SECONDS (60) each
#   make fuzz-smoke    every harness for FUZZ_SMOKE_SECONDS (10) each, from
#                      fewer seeds: CI (a harness that does not build, or
#                      fails at once, fails it)
#   make fuzz-NAME     one harness (json, tag, ...) for FUZZ_SECONDS
#   make fuzz-build    build them in build/fuzz/ without running them
#
# Each run starts from seeds built at run time (fuzz/seeds.sh: the tests'
# inputs, examples/ and the real exports in ../shared, never copied here)
# after replaying fuzz/regressions/NAME/.  A crash leaves its input in
# build/fuzz/artifacts/NAME/ (with BUILD=DIR, in DIR/fuzz/: two people
# fuzzing one tree keep apart).  Sources are found by wildcard, as files
# move between common/ and the tools: every common/*.c, and every
# tools/cvx-*/ file but main.c (a tool's story, with its exits).

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_NM            ?= nm
FUZZ_OBJCOPY       ?= objcopy
FUZZ_DIR           ?= $(BUILD)/fuzz
FUZZ_TARGETS        = json tag copy base64 int64 convex_id jqlib \
                      export_name unzip_zip fastpath copybin

FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
              $(WARN) -Icommon -MMD -MP \
              $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# The tools whose non-main files the harnesses reach.
FUZZ_TOOLS  = cvx-unzip cvx-pg-load cvx-jsonl-map
FUZZ_INC    = -Ifuzz $(addprefix -Itools/,$(FUZZ_TOOLS)) \
              $(foreach t,$(FUZZ_TOOLS),$(CFLAGS_$(t)))
FUZZ_LIBS   = -Wl,--as-needed $(foreach t,$(FUZZ_TOOLS),$(LIBS_$(t))) \
              -lm -lpthread

# unzip_zip runs cvx-unzip's reading code, which exits on every error:
# its failure functions, warnx and its allocations go through the harness.
FUZZ_LDFLAGS_unzip_zip = $(addprefix -Wl$(comma)--wrap=,cvx_die cvx_fail \
    fail cvx_abort_relay warnx exit cvx_malloc cvx_calloc cvx_realloc \
    cvx_reallocarray cvx_strdup cvx_memdup free archive_read_new \
    archive_read_free)
comma := ,

FUZZ_COMMON_OBJ = $(patsubst common/%.c,$(FUZZ_DIR)/obj/common/%.o,\
                  $(wildcard common/*.c))
FUZZ_TOOL_OBJ   = $(patsubst tools/%.c,$(FUZZ_DIR)/obj/tools/%.o,\
                  $(foreach t,$(FUZZ_TOOLS),\
                  $(filter-out %/main.c,$(wildcard tools/$(t)/*.c))))
FUZZ_HARN_OBJ   = $(patsubst %,$(FUZZ_DIR)/obj/fuzz/%.o,$(FUZZ_TARGETS) ref)
FUZZ_SWAR_OBJ   = $(FUZZ_DIR)/obj/json-swar.o
FUZZ_BINS       = $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/obj/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CFLAGS_$(call tool_of,$*)) -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(WERROR),-Werror) $(FUZZ_INC) \
	    -c -o $@ $<

# json.c again without SSE2 (its 8-byte SWAR path), every symbol it
# defines renamed swar_*, so the json harness can hold the two to each
# other.  -MT: its headers are the renamed object's prerequisites.
$(FUZZ_SWAR_OBJ): common/json.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -U__SSE2__ -MT $@ -c -o $(@:.o=-plain.o) $<
	$(FUZZ_NM) --defined-only -g $(@:.o=-plain.o) | \
	    awk '{ print $$3, "swar_" $$3 }' >$(@:.o=.syms)
	$(FUZZ_OBJCOPY) --redefine-syms=$(@:.o=.syms) $(@:.o=-plain.o) $@

$(FUZZ_DIR)/libcvx.a: $(FUZZ_COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/libtools.a: $(FUZZ_TOOL_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/fuzz/%.o \
    $(FUZZ_DIR)/obj/fuzz/ref.o $(FUZZ_SWAR_OBJ) $(FUZZ_DIR)/libtools.a \
    $(FUZZ_DIR)/libcvx.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_LDFLAGS_$*) -o $@ \
	    $^ $(FUZZ_LIBS)

# deps first (clang may be missing), then the harnesses, then the runs.
fuzz: deps
	$(MAKE) fuzz-build
	sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: deps
	$(MAKE) fuzz-build
	CVX_SEEDS_LIMIT=300 sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) \
	    $(FUZZ_TARGETS)

$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(FUZZ_DIR)/%
	sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $*

.PHONY: fuzz fuzz-smoke fuzz-build $(addprefix fuzz-,$(FUZZ_TARGETS))
.SECONDARY: $(FUZZ_COMMON_OBJ) $(FUZZ_TOOL_OBJ) $(FUZZ_HARN_OBJ)

-include $(FUZZ_COMMON_OBJ:.o=.d) $(FUZZ_TOOL_OBJ:.o=.d) \
    $(FUZZ_HARN_OBJ:.o=.d) $(FUZZ_SWAR_OBJ:.o=-plain.d)

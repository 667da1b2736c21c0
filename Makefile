# cvx: Convex snapshot exports to PostgreSQL, one small tool per job.
# GNU make.  PREFIX, DESTDIR, CC, PKG_CONFIG, CFLAGS, LDFLAGS are yours;
# the project's own flags come first so that yours win.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g

# SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer build in build/san.
# WERROR=1: warnings are errors (CI).
SAN    ?=
WERROR ?=
BUILD  ?= $(if $(SAN),build/san,build)

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wvla
CVX_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              $(WARN) $(if $(WERROR),-Werror) -Icommon -MMD -MP
CVX_LDFLAGS =
ifneq ($(SAN),)
CVX_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
CVX_LDFLAGS += -fsanitize=address,undefined
endif

# Library flags per tool, asked of pkg-config only when that tool is built.
# Headers come in with -isystem so their warnings are not ours.
isystem = $(patsubst -I%,-isystem %,$(1))
CFLAGS_cvx-unzip     = $(call isystem,$(shell $(PKG_CONFIG) --cflags libarchive))
LIBS_cvx-unzip       = $(shell $(PKG_CONFIG) --libs libarchive)
CFLAGS_cvx-zip       = $(call isystem,$(shell $(PKG_CONFIG) --cflags libarchive))
LIBS_cvx-zip         = $(shell $(PKG_CONFIG) --libs libarchive)
# The export reader's ZIP half, common/exportzip.c, calls libarchive: it
# takes its flags, and every tool that reads an export links the library
# (the others never pull that object out of libcvx.a).
CFLAGS_common_exportzip = $(CFLAGS_cvx-zip)
LIBS_cvx-schema      = $(LIBS_cvx-unzip) -pthread
# Debian's libjq 1.6 has no .pc file: fall back to plain -ljq.
CFLAGS_cvx-jsonl-map = $(call isystem,$(shell $(PKG_CONFIG) --cflags libjq 2>/dev/null) \
                       $(shell $(PKG_CONFIG) --cflags libcrypto))
LIBS_cvx-jsonl-map   = $(or $(shell $(PKG_CONFIG) --libs libjq 2>/dev/null),-ljq) \
                       $(shell $(PKG_CONFIG) --libs libcrypto) -lpthread -lm
CFLAGS_cvx-pg-load   = $(call isystem,$(shell $(PKG_CONFIG) --cflags libpq))
LIBS_cvx-pg-load     = $(shell $(PKG_CONFIG) --libs libpq) -lm
CFLAGS_cvx-pg-dump   = $(call isystem,$(shell $(PKG_CONFIG) --cflags libpq))
LIBS_cvx-pg-dump     = $(shell $(PKG_CONFIG) --libs libpq) -lm
CFLAGS_cvx-sha       = $(call isystem,$(shell $(PKG_CONFIG) --cflags libcrypto))
LIBS_cvx-sha         = $(shell $(PKG_CONFIG) --libs libcrypto)
LIBS_cvx-count       = -pthread
TEST_OBJ_pgconvert   = $(BUILD)/tools/cvx-pg-load/copy.o $(BUILD)/tools/cvx-pg-load/scalar.o

# A tool is tools/NAME.c, or tools/NAME/*.c when it needs several files
# (with its private header beside them).  Nothing below names a tool.
TOOLS   = $(sort $(patsubst tools/%.c,%,$(wildcard tools/cvx-*.c)) \
              $(patsubst tools/%/,%,$(wildcard tools/cvx-*/)))
tool_src = $(or $(wildcard tools/$(1)/*.c),tools/$(1).c)
tool_obj = $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(call tool_src,$(1)))
TOOL_OBJ = $(foreach t,$(TOOLS),$(call tool_obj,$(t)))
BINS    = $(addprefix $(BUILD)/,$(TOOLS))
LIB_SRC = $(wildcard common/*.c)
LIB_OBJ = $(patsubst common/%.c,$(BUILD)/common/%.o,$(LIB_SRC))
LIB     = $(BUILD)/libcvx.a
MANS    = $(wildcard man/*.1)
# Small drivers that let the tests reach code directly: tests/NAME.c
# links libcvx.a and the tool objects that TEST_OBJ_NAME lists.
TEST_BINS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/*.c))

all: $(LIB) $(BINS) $(TEST_BINS)

$(BUILD)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(CVX_CFLAGS) $(CFLAGS_common_$*) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# tools/cvx-foo.c and tools/cvx-foo/*.c both take cvx-foo's library flags.
tool_of = $(firstword $(subst /, ,$(1)))
$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CVX_CFLAGS) $(CFLAGS_$(call tool_of,$*)) $(CFLAGS) $(CPPFLAGS) \
	    -c -o $@ $<

.SECONDEXPANSION:
$(BUILD)/cvx-%: $$(call tool_obj,cvx-$$*) $(LIB)
	$(CC) $(CVX_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
	    $(LIBS_cvx-$*)

$(BUILD)/tests/%: tests/%.c $$(TEST_OBJ_$$*) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CVX_CFLAGS) $(CFLAGS) $(CPPFLAGS) $(CVX_LDFLAGS) $(LDFLAGS) \
	    -o $@ $< $(TEST_OBJ_$*) $(LIB) $(TEST_LIBS_$*)

# Install what the build and the tests need (Debian; root or sudo).
deps:
	@sh .ci/deps

# The whole test suite, against the binaries of this build (SAN=1 too).
check: deps all
	CVX_BUILD=$(abspath $(BUILD)) bats --print-output-on-failure tests

# cvx-pg-load on a Citus cluster against plain PostgreSQL (tests/citus/).
# Needs Citus installed (tests/citus/build SRCDIR): not part of check.
check-citus: all
	CVX_BUILD=$(abspath $(BUILD)) bats --print-output-on-failure tests/citus

# The main job on the bundled example export.
demo: deps all
	CVX_BUILD=$(abspath $(BUILD)) sh examples/demo.sh

lint-man:
	mandoc -T lint -W warning $(MANS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANS)))

clean:
	rm -rf build

.PHONY: all deps check check-citus demo lint-man install uninstall clean
.SECONDARY: $(LIB_OBJ) $(TOOL_OBJ)

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d)

-include fuzz/fuzz.mk

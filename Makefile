# pg_retention: PGXS build.
#
# The version comes from pg_retention.control (default_version); the install
# script pg_retention--$(EXTVERSION).sql is concatenated from src/sql/*.sql in
# name order.  updates/ holds what older versions need: the install scripts of
# released versions (pg_retention--0.1.0.sql, kept so that the upgrade test can
# install them) and released upgrade scripts (pg_retention--0.1.0--0.2.0.sql),
# never edited.  An upgrade to a version in development may be written as
# fragments in updates/<script>.d/ (one per topic), concatenated like the
# install script; at release they are frozen into updates/<script>.sql.

EXTENSION  = pg_retention pg_retention_tap
EXTVERSION := $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" pg_retention.control)

MODULE_big = pg_retention
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PG_CPPFLAGS = -I$(srcdir)/src

SQL_SOURCES = $(sort $(wildcard src/sql/*.sql))
TAP_SOURCES = $(sort $(wildcard src/tap/*.sql))
UPDATE_DIRS = $(sort $(wildcard updates/*.d))
UPDATES_built = $(patsubst updates/%.d,%.sql,$(UPDATE_DIRS))
DATA_built  = pg_retention--$(EXTVERSION).sql pg_retention_tap--$(EXTVERSION).sql $(UPDATES_built)
DATA        = $(wildcard updates/*.sql)

# pg_regress: every sql/*.sql, in name order, on a throwaway instance that
# preloads the library.
REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --temp-instance=./tmp_regress --temp-config=test/regress.conf

# Isolation specs (test/isolation/specs/*.spec, expected output in
# test/isolation/expected/), same kind of instance.
ISOLATION      = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --temp-instance=./tmp_isolation --temp-config=test/regress.conf \
                 --inputdir=test/isolation --outputdir=output_iso

EXTRA_CLEAN = tmp_regress tmp_isolation output_iso tmp_check

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every C file includes the internal header: rebuild them all when it changes
$(OBJS): src/pg_retention.h src/subject.h src/unicode_lower_table.h

pg_retention--$(EXTVERSION).sql: $(SQL_SOURCES) pg_retention.control
	cat $(SQL_SOURCES) > $@

# upgrade scripts in development: updates/X.d/*.sql -> X.sql
.SECONDEXPANSION:
$(UPDATES_built): %.sql: $$(sort $$(wildcard updates/%.d/*.sql))
	cat $^ > $@

# pgTAP assertions for users' suites: a companion extension, same version.
pg_retention_tap--$(EXTVERSION).sql: $(TAP_SOURCES) pg_retention_tap.control
	cat $(TAP_SOURCES) > $@

# META.json must carry the control file's version (checked, not generated, so
# the file stays readable by PGXN tools as written).
.PHONY: check-meta
check-meta:
	@test -n "$(EXTVERSION)" || { echo "no default_version in pg_retention.control"; exit 1; }
	@grep -q "^default_version = '$(EXTVERSION)'" pg_retention_tap.control || \
	 { echo "pg_retention_tap.control does not carry version $(EXTVERSION)"; exit 1; }
	@n=$$(grep -c "\"version\": \"$(EXTVERSION)\"" META.json); \
	 test "$$n" -eq 3 || { echo "META.json does not carry version $(EXTVERSION) (three times)"; exit 1; }
	@echo "META.json and pg_retention_tap.control match pg_retention.control ($(EXTVERSION))"

# TAP tests (PostgreSQL::Test::Cluster): each boots its own servers.
TAP_DIR = test/t
# (not TAP_TESTS: PGXS reads that name as "run t/*.pl in installcheck")
TAP_FILES ?= $(TAP_DIR)/*.pl
.PHONY: check-tap
check-tap:
	rm -rf '$(CURDIR)'/tmp_check
	$(MKDIR_P) '$(CURDIR)'/tmp_check
	TESTDIR='$(CURDIR)' PATH="$(bindir):$$PATH" PGPORT='65432' \
	  PG_REGRESS='$(pgxsdir)/src/test/regress/pg_regress' \
	  $(PROVE) -I '$(pgxsdir)/src/test/perl' -I $(TAP_DIR) $(PROVE_FLAGS) $(TAP_FILES)

# pgTAP suites: run by pg_prove against a throwaway preloaded cluster.
.PHONY: check-pgtap
PGTAP_TESTS ?= test/pgtap/*.sql
check-pgtap:
	PATH="$(bindir):$$PATH" test/run-pgtap $(PGTAP_TESTS)

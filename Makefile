# tenant_guard: PGXS build
#
#   make && make install          build and install against $(PG_CONFIG)
#   make installcheck             regression, isolation and TAP tests on a
#                                 throwaway, preloaded server
#   test/run_all.sh               every test suite (see README)

EXTENSION = tenant_guard
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = tenant_guard
OBJS = \
	tenant_guard.o \
	src/citus.o \
	src/definer.o \
	src/drift_guard.o \
	src/executor_guard.o \
	src/fill_tenant.o \
	src/fk_validation.o \
	src/object_guard.o \
	src/owner_code.o \
	src/planner_guard.o \
	src/policy_analysis.o \
	src/protect.o \
	src/referential_action.o \
	src/registry.o \
	src/rel_cache.o \
	src/report.o \
	src/role_cache.o \
	src/rules.o \
	src/session_state.o \
	src/set_local.o \
	src/set_tenant.o \
	src/status.o \
	src/type_code.o \
	src/tenant_context.o \
	src/tenant_stats.o \
	src/token.o \
	src/token_keys.o \
	src/utility_guard.o \
	src/violations.o \
	src/withheld_values.o \
	src/xact_guard.o \
	src/xact_state.o

# The SQL of the extension, one object (with its comment and grants) per
# file in src/sql/, in the order a fresh install creates them.  make writes
# the full script of the current version from all of them, and the update
# from the previous version from those the update (re)creates: every
# object's text exists once.  Scripts of released versions are committed
# and never change, since installed databases update through them (README,
# "Upgrading").
SQL_OBJECTS = schema status registry protect policy_enforces_tenant \
	isolation_intact protected_tables shard_audit audit set_tenant fill_tenant stats \
	preload_warning set_tenant_token
UPDATE_FROM = 1.2
UPDATE_OBJECTS = isolation_intact protected_tables shard_audit audit status_columns \
	status set_tenant_token stats

DATA_built = $(EXTENSION)--$(EXTVERSION).sql \
	$(EXTENSION)--$(UPDATE_FROM)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard $(EXTENSION)--*.sql))
PGFILEDESC = "tenant_guard - tenant isolation guard for row-level security"

PG_CONFIG ?= pg_config

PG_CPPFLAGS = -I$(srcdir)/src -DTG_VERSION=\"$(EXTVERSION)\"
PG_CFLAGS = -Wall -Wmissing-prototypes -Werror=implicit-function-declaration

# Ed25519 signatures of tenant tokens are checked with OpenSSL's libcrypto,
# which PostgreSQL itself is built with on Debian (token.c); libssl-dev.
SHLIB_LINK += -lcrypto

# Export only what the server looks up (_PG_init, the magic block, the
# SQL-callable functions), as PGXS does by itself from PostgreSQL 16 on.
# Calls and variables inside the library then go without the PLT and GOT
# indirections, which the hooks on every statement's path would pay.
PG_MAJOR := $(shell $(PG_CONFIG) --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')
ifeq ($(shell test "$(PG_MAJOR)" -lt 16 2>/dev/null && echo old),old)
PG_CFLAGS += -fvisibility=hidden
PG_CPPFLAGS += -DPGDLLEXPORT='__attribute__((visibility("default")))'
endif

# Tests run on a throwaway server that preloads the library (make
# installcheck starts it; "make check" is not supported under PGXS).
REGRESS = loading no_tenant transaction_scope session_state one_tenant force_rls back_doors modes protect protect_partitions protect_index drift audit policy_casts ddl_guard owner_types referential_actions held_cursors permission_order tid_lookup upgrade fk_validation set_tenant autocommit fill_tenant signed_tenant token_fuzz stats
REGRESS_OPTS = --temp-instance=tmp_check --temp-config=$(srcdir)/test/tenant_guard.conf

ISOLATION = audit_lock interleaved_tenants
ISOLATION_OPTS = --temp-instance=tmp_check_iso --temp-config=$(srcdir)/test/tenant_guard.conf

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header.
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# The version is compiled into status(); rebuild it when the version changes.
src/status.o: $(EXTENSION).control

SQL_CONCAT = $(srcdir)/src/sql/concat.sh
$(EXTENSION)--$(EXTVERSION).sql: $(SQL_OBJECTS:%=$(srcdir)/src/sql/%.sql) \
		$(SQL_CONCAT) $(EXTENSION).control
	$(SHELL) $(SQL_CONCAT) $(EXTVERSION) '' $(SQL_OBJECTS:%=$(srcdir)/src/sql/%.sql) >$@.tmp
	mv $@.tmp $@
$(EXTENSION)--$(UPDATE_FROM)--$(EXTVERSION).sql: \
		$(UPDATE_OBJECTS:%=$(srcdir)/src/sql/%.sql) $(SQL_CONCAT) \
		$(EXTENSION).control
	$(SHELL) $(SQL_CONCAT) $(EXTVERSION) $(UPDATE_FROM) $(UPDATE_OBJECTS:%=$(srcdir)/src/sql/%.sql) >$@.tmp
	mv $@.tmp $@

# make dist: the release files of the committed tree (HEAD), named after
# the control file's version, for PGXN (the zip, with META.json) and for
# Debian source packages (the tarball, as tenant-guard_VERSION.orig.tar.gz).
DISTDIR = dist
dist:
	mkdir -p $(DISTDIR)
	git -C $(srcdir) archive --format=tar.gz --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		-o $(abspath $(DISTDIR))/$(EXTENSION)-$(EXTVERSION).tar.gz HEAD
	git -C $(srcdir) archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		-o $(abspath $(DISTDIR))/$(EXTENSION)-$(EXTVERSION).zip HEAD
.PHONY: dist

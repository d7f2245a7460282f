#!/usr/bin/env bash
# Proves that scripts/check-layering accepts a clean tree and refuses each kind of
# forbidden edge, naming file, line and edge. How: a small synthetic tree in a temp dir,
# one planted violation at a time, exit status and message checked.
set -uo pipefail
scripts=$(cd "${1:?usage: check_layering_test.sh <scripts dir>}" && pwd)
check=$scripts/check-layering
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# A fresh, clean tree with one row of each kind (module, sub-row, app, example) and
# each kind of dependency (module, one header, module/*).
make_tree() {
  rm -rf "$work/t"
  mkdir -p "$work/t"/{src/{core,storage/sqlite,service,client,cli/detail,mail,broker/plugin},apps/tool,examples/demo,docs}
  cd "$work/t" || exit 1
  cat >src/MODULES <<'TABLE'
# test table
core          |                         | basics
storage       | core                    | repositories
service       | core storage/*          | use cases
client        | core                    | REST client
cli           | core client             | commands
mail          | core service/mailer.hpp | mail adapters
broker        | core                    | broker supervision
broker/plugin | core/limits.hpp         | the plugin
apps/tool     | cli                     | the tool
examples/demo | client                  | a demo
TABLE
  printf '#pragma once\n' >src/core/error.hpp
  printf '#pragma once\n' >src/core/limits.hpp
  printf '#pragma once\n#include "core/error.hpp"\n' >src/storage/repo.hpp
  printf '#pragma once\n#include "core/error.hpp"\n' >src/storage/sqlite/db.hpp
  printf '#pragma once\n' >src/service/mailer.hpp
  printf '#pragma once\n' >src/service/accounts.hpp
  printf '#include "service/accounts.hpp"\n#include "storage/repo.hpp"\n' >src/service/accounts.cpp
  printf '#pragma once\n#include <string>\n#include "core/error.hpp"\n' >src/client/session.hpp
  printf '#pragma once\n' >src/cli/detail/files.hpp
  printf '#include "cli/detail/files.hpp"\n#include <vector>\n#include "client/session.hpp"\n// #include "storage/repo.hpp" in a comment is not an include\n' >src/cli/app.cpp
  printf '#include "service/mailer.hpp"\n' >src/mail/outbox.cpp
  printf '#include "core/error.hpp"\n' >src/broker/broker.cpp
  printf '#include <mosquitto.h>\n#include "core/limits.hpp"\n' >src/broker/plugin/plugin.cpp
  printf '#include "cli/app.hpp"\n' >apps/tool/main.cpp
  printf '#include "client/session.hpp"\n' >examples/demo/demo.cpp
  printf 'add_library(stratus_cli app.cpp)\ntarget_link_libraries(stratus_cli PUBLIC stratus::client stratus::core)\n' >src/cli/CMakeLists.txt
  printf '# Title\n\n<!-- generated from src/MODULES by scripts/update-architecture-docs: do not edit -->\n<!-- end of generated module table -->\n\nafter\n' >docs/architecture.md
  "$scripts/update-architecture-docs" "$work/t" || fail "update-architecture-docs on a clean tree"
}

# expect_refused <what> <text the output must contain>...
expect_refused() {
  local what=$1
  shift
  local out rc
  out=$("$check" "$work/t" 2>&1)
  rc=$?
  if ((rc == 0)); then
    fail "$what: exit 0, expected a refusal; output: $out"
    return
  fi
  for needle in "$@"; do
    [[ $out == *"$needle"* ]] || fail "$what: output lacks '$needle'; output: $out"
  done
}

expect_clean() {
  local out
  out=$("$check" "$work/t" 2>&1) || fail "$1: expected exit 0; output: $out"
}

make_tree
expect_clean "clean tree"
grep -q '| `mail` | mail adapters | core, `service/mailer.hpp` |' docs/architecture.md ||
  fail "generated doc table: $(cat docs/architecture.md)"
grep -q '^after$' docs/architecture.md || fail "update-architecture-docs dropped text after the table"

make_tree
printf '#include "client/session.hpp"\n#include <string>\n#include "storage/sqlite/db.hpp"\n' >src/cli/format.cpp
expect_refused "quoted forbidden include" 'src/cli/format.cpp:3: cli -> storage' '"storage/sqlite/db.hpp"'

make_tree
printf '\n  #  include <storage/repo.hpp>\n' >src/cli/format.cpp
expect_refused "angle-bracket forbidden include" 'src/cli/format.cpp:2: cli -> storage'

make_tree
printf '#include "storage/repo.hpp"\n' >src/cli/detail/files.cpp
expect_refused "forbidden include in a detail folder" 'src/cli/detail/files.cpp:1: cli -> storage'

make_tree
printf '#include "storage/repo.hpp"\n' >apps/tool/extra.cpp
printf '#include "service/accounts.hpp"\n' >examples/demo/more.cpp
expect_refused "apps and examples" 'apps/tool/extra.cpp:1: apps/tool -> storage' \
  'examples/demo/more.cpp:1: examples/demo -> service'

make_tree
printf '#include "core/error.hpp"\n' >src/broker/plugin/more.cpp
expect_refused "a sub-row may include only its listed header" \
  'src/broker/plugin/more.cpp:1: broker/plugin -> core' '"core/error.hpp"'

make_tree
printf '#include "service/accounts.hpp"\n' >src/mail/smtp.cpp
expect_refused "single-header dependency" 'src/mail/smtp.cpp:1: mail -> service' '"service/accounts.hpp"'

make_tree
printf '#include "storage/sqlite/db.hpp"\n' >src/service/nodes.cpp
expect_refused "module/* excludes subfolders" 'src/service/nodes.cpp:1: service -> storage'

make_tree
printf '#include "client/session.hpp"\n#include "cli/detail/files.hpp"\n' >examples/demo/demo.cpp
sed -i 's/^examples\/demo | client /examples\/demo | client cli/' src/MODULES
"$scripts/update-architecture-docs" "$work/t"
expect_refused "another module's detail/" 'examples/demo/demo.cpp:2: examples/demo -> cli' "internals"

make_tree
printf '#include "../storage/repo.hpp"\n' >src/cli/sneaky.cpp
expect_refused "relative include" 'src/cli/sneaky.cpp:1: relative include'

make_tree
printf 'target_link_libraries(stratus_cli PRIVATE stratus::storage)\n' >>src/cli/CMakeLists.txt
expect_refused "a forbidden link" 'src/cli/CMakeLists.txt:3: cli -> storage'

make_tree
mkdir -p fuzz
printf '#include "client/session.hpp"\n' >fuzz/session.cpp
expect_refused "a fuzz folder without a row" 'no row for fuzz'
printf 'fuzz          | client                  | fuzz targets\n' >>src/MODULES
"$scripts/update-architecture-docs" "$work/t"
expect_clean "fuzz targets within their row"
printf '#include "storage/repo.hpp"\n' >fuzz/repo.cpp
printf 'target_link_libraries(fuzz_session PRIVATE stratus::client stratus::storage)\n' >fuzz/CMakeLists.txt
expect_refused "fuzz targets" 'fuzz/repo.cpp:1: fuzz -> storage' 'fuzz/CMakeLists.txt:1: fuzz -> storage'

make_tree
mkdir -p src/extra
expect_refused "a folder without a row" 'no row for src/extra'

make_tree
sed -i 's/^core          |   /core          | cli /' src/MODULES
"$scripts/update-architecture-docs" "$work/t" 2>/dev/null
expect_refused "a cycle" 'dependency cycle among: core client cli'
out=$("$check" "$work/t" 2>&1)
[[ $out != *"cycle among:"*service* ]] || fail "a cycle: names service, which only depends on it: $out"

make_tree
sed -i 's/^client        | core /client        | core nosuch /' src/MODULES
expect_refused "an unknown module in the table" "nosuch is not a module"

make_tree
sed -i 's/| REST client/| a REST client/' src/MODULES
expect_refused "a stale doc table" 'docs/architecture.md: the module table differs'

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "check-layering refuses every planted violation"

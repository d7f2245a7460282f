# Generates a C++ source holding every NNNN_name.sql of a folder as a
# stratus::storage::Migration array (run at build time by CMake in script mode).
#   -DDIR=<folder> -DOUT=<file.cpp> -DNAMESPACE=<ns>
file(GLOB files RELATIVE ${DIR} ${DIR}/*.sql)
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  string(REGEX MATCH "^([0-9]+)_(.+)\\.sql$" _ ${f})
  if(NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${f}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1} + 0")
  file(READ ${DIR}/${f} sql)
  string(APPEND body "    {${version}, \"${CMAKE_MATCH_2}\", R\"stratus_sql(${sql})stratus_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from ${DIR} by cmake/EmbedMigrations.cmake. Do not edit.
#include \"storage/${NAMESPACE}/connection.hpp\"

namespace stratus::storage::${NAMESPACE} {

std::span<const Migration> migrations() {
  static constexpr Migration list[] = {
${body}  };
  return list;
}

}  // namespace stratus::storage::${NAMESPACE}
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)

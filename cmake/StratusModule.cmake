# stratus_add_module(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#
# Makes the static library stratus_<NAME> with the alias stratus::<NAME>.
# Includes are rooted at src/ (#include "core/error.hpp"), so the compiler lets
# any module include any header: what a module may include and link is kept in
# src/MODULES and enforced by scripts/check-layering (the unit test `layering`).
# DEPS are public, PRIVATE_DEPS private; both may name only modules its row lists.
function(stratus_add_module NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target stratus_${NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(stratus::${NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE stratus_options ${ARG_PRIVATE_DEPS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# stratus_add_app(NAME SOURCES ... DEPS ...): a thin main in apps/<NAME>/.
function(stratus_add_app NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${NAME} ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE stratus_options ${ARG_DEPS})
  install(TARGETS ${NAME} RUNTIME DESTINATION bin)
endfunction()

# stratus_add_test(NAME LABEL SOURCES ... DEPS ...): one GoogleTest executable,
# registered with CTest under LABEL (unit, integration, system, e2e).
function(stratus_add_test NAME)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${NAME} ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE stratus_options ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${NAME} COMMAND ${NAME})
  set_tests_properties(${NAME} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "STRATUS_BUILD_DIR=${CMAKE_BINARY_DIR};STRATUS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

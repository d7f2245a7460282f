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

# stratus_add_protobuf_library(TARGET NAME PROTOS name... [COMMENT text]): compiles
# ${CMAKE_CURRENT_SOURCE_DIR}/proto/<name>.proto with Debian's protoc into <binary dir>/pb and
# builds the generated code as the static library NAME (the module's private or public
# dependency). The generated code is compiled without our warning flags (it is not ours to
# fix) but with the sanitizers, so a whole test binary is instrumented alike; its include
# directory is SYSTEM and PUBLIC.
function(stratus_add_protobuf_library)
  cmake_parse_arguments(ARG "" "TARGET;COMMENT" "PROTOS" ${ARGN})
  set(pb_dir ${CMAKE_CURRENT_BINARY_DIR}/pb)
  set(proto_files)
  set(pb_sources)
  foreach(name IN LISTS ARG_PROTOS)
    list(APPEND proto_files ${CMAKE_CURRENT_SOURCE_DIR}/proto/${name}.proto)
    list(APPEND pb_sources ${pb_dir}/${name}.pb.cc ${pb_dir}/${name}.pb.h)
  endforeach()
  add_custom_command(
    OUTPUT ${pb_sources}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${pb_dir}
    COMMAND protobuf::protoc --cpp_out=${pb_dir} -I ${CMAKE_CURRENT_SOURCE_DIR}/proto ${proto_files}
    DEPENDS ${proto_files} protobuf::protoc
    COMMENT "protoc: ${ARG_COMMENT}"
    VERBATIM)
  add_library(${ARG_TARGET} STATIC ${pb_sources})
  target_include_directories(${ARG_TARGET} SYSTEM PUBLIC ${pb_dir})
  target_link_libraries(${ARG_TARGET} PUBLIC protobuf::libprotobuf PRIVATE stratus_sanitizers)
  target_compile_features(${ARG_TARGET} PUBLIC cxx_std_20)
  set_target_properties(${ARG_TARGET} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# stratus_add_postgres_variant(NAME): registers the storage-backed test NAME a second
# time, as NAME_postgres, with STRATUS_TEST_DATABASE=postgres: the same suite against a
# PostgreSQL server the test starts itself (tests/support/test_database.hpp, issue 23).
# Without PostgreSQL server binaries the variants are left out with a message — except
# under CI, where that is an error.
file(GLOB STRATUS_POSTGRES_INITDB /usr/lib/postgresql/*/bin/initdb)
if(NOT STRATUS_POSTGRES_INITDB)
  if(DEFINED ENV{CI})
    message(FATAL_ERROR "PostgreSQL server binaries not found (run scripts/bootstrap): "
                        "the *_postgres tests are required under CI")
  endif()
  message(STATUS "PostgreSQL server binaries not found: *_postgres tests not registered")
endif()
function(stratus_add_postgres_variant NAME)
  if(NOT STRATUS_POSTGRES_INITDB)
    return()
  endif()
  get_test_property(${NAME} LABELS labels)
  get_test_property(${NAME} TIMEOUT timeout)
  add_test(NAME ${NAME}_postgres COMMAND ${NAME})
  set_tests_properties(${NAME}_postgres PROPERTIES LABELS "${labels};postgres" TIMEOUT ${timeout}
    ENVIRONMENT "STRATUS_BUILD_DIR=${CMAKE_BINARY_DIR};STRATUS_SOURCE_DIR=${PROJECT_SOURCE_DIR};STRATUS_TEST_DATABASE=postgres")
endfunction()

# stratus_options: what every Stratus target compiles with (C++20, warnings,
# -Werror in CI, sanitizers in the dev and ci presets).
add_library(stratus_warnings INTERFACE)
target_compile_features(stratus_warnings INTERFACE cxx_std_20)
target_compile_options(stratus_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough)
if(STRATUS_WERROR)
  target_compile_options(stratus_warnings INTERFACE -Werror)
endif()

add_library(stratus_sanitizers INTERFACE)
if(STRATUS_SANITIZE)
  target_compile_options(stratus_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(stratus_sanitizers INTERFACE -fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function (part of `undefined`) cannot instrument the split
    # functions of C++20 coroutines: "Cannot represent a difference across sections".
    target_compile_options(stratus_sanitizers INTERFACE -fno-sanitize=function)
  endif()
endif()

# STRATUS_FUZZ: coverage instrumentation for libFuzzer on every Stratus target; the fuzz
# executables add -fsanitize=fuzzer when they link (fuzz/CMakeLists.txt).
if(STRATUS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "STRATUS_FUZZ needs clang (libFuzzer); use scripts/fuzz")
  endif()
  target_compile_options(stratus_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

add_library(stratus_options INTERFACE)
target_link_libraries(stratus_options INTERFACE stratus_warnings stratus_sanitizers)

# Every dependency comes from a Debian 12 package (see scripts/bootstrap).
# Nothing is vendored and nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
# Unicode normalisation and spoof checks for user names (auth/user_names.hpp).
find_package(ICU 72 REQUIRED COMPONENTS uc i18n)
find_package(tl-expected REQUIRED)
# IANA time zones for time-series windows (docs/adr/0010): Howard Hinnant's date/tz
# (libhowardhinnant-date-dev) over the OS tzdb in /usr/share/zoneinfo (tzdata).
find_package(date CONFIG REQUIRED)
# Protocol buffers for the protocomm messages (src/protocomm, docs/adr/0014): Debian's
# protoc (protobuf-compiler) and libprotobuf (libprotobuf-dev), through CMake's
# FindProtobuf (the package ships no CMake config).
find_package(Protobuf 3.21 REQUIRED)
# Sunrise and sunset for daylight automations (service/daylight.hpp): libnova
# (libnova-dev), which ships neither a CMake config nor a pkg-config file.
find_path(NOVA_INCLUDE_DIR libnova/solar.h REQUIRED)
find_library(NOVA_LIBRARY nova REQUIRED)
if(NOT TARGET Nova::nova)
  add_library(Nova::nova UNKNOWN IMPORTED)
  set_target_properties(Nova::nova PROPERTIES
    IMPORTED_LOCATION "${NOVA_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${NOVA_INCLUDE_DIR}")
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# PostgreSQL client library for the scale-out storage backend (src/storage/postgres)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# Wirepas CBOR diagnostics (endpoint 247, src/wirepas/apdu.cpp)
pkg_check_modules(CBOR REQUIRED IMPORTED_TARGET libcbor)
# fluentd's forward protocol (src/console/fluentd.cpp): MessagePack by msgpuck (libmsgpuck-dev;
# Debian's msgpack-c++ needs Boost 1.74's headers, which conflict with Boost 1.81).
find_path(MSGPUCK_INCLUDE_DIR msgpuck.h REQUIRED)
find_library(MSGPUCK_LIBRARY NAMES libmsgpuck.a msgpuck REQUIRED)
add_library(msgpuck::msgpuck UNKNOWN IMPORTED)
set_target_properties(msgpuck::msgpuck PROPERTIES IMPORTED_LOCATION "${MSGPUCK_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MSGPUCK_INCLUDE_DIR}")

# The console's line editor: history and TAB completion (src/console/line_editor.cpp).
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)

# stratusd's allocator (docs/adr/0028). Not with the sanitizers, which bring their own.
if(STRATUS_JEMALLOC AND NOT STRATUS_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# mosquitto-dev ships the broker plugin headers (mosquitto_broker.h, mosquitto_plugin.h).
find_path(MOSQUITTO_BROKER_INCLUDE_DIR mosquitto_broker.h REQUIRED)

find_program(MOSQUITTO_EXECUTABLE mosquitto PATHS /usr/sbin /usr/local/sbin REQUIRED)

if(STRATUS_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

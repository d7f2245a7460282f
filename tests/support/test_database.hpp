#pragma once
/// @file
/// The database a storage-backed test runs against (issue 23's conformance suite):
/// SQLite in the test's temp dir by default; a fresh database on the shared test
/// PostgreSQL server (support/postgres_server.hpp) when the environment says
/// `STRATUS_TEST_DATABASE=postgres`. CTest registers each storage-backed test binary
/// twice, the second time as `<name>_postgres` with that variable set
/// (tests/CMakeLists.txt), so one suite proves both backends.

#include <cstddef>
#include <memory>

#include "storage/sql/database.hpp"
#include "support/temp_dir.hpp"

namespace stratus::test {

/// True when this process tests the PostgreSQL backend.
bool testing_postgres();

/// A migrated pool of `pool` connections on the backend under test. Throws
/// std::runtime_error (which GoogleTest reports as a failure of the test) when the
/// database cannot be opened, with the reason.
std::shared_ptr<storage::sql::Database> open_test_database(const TempDir& dir, std::size_t pool);

}  // namespace stratus::test

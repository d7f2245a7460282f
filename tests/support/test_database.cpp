#include "support/test_database.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "storage/postgres/connection.hpp"
#include "storage/sqlite/connection.hpp"
#include "support/postgres_server.hpp"

namespace stratus::test {

bool testing_postgres() {
  const char* which = std::getenv("STRATUS_TEST_DATABASE");
  return which != nullptr && std::string_view(which) == "postgres";
}

std::shared_ptr<storage::sql::Database> open_test_database(const TempDir& dir, std::size_t pool) {
  if (!testing_postgres()) {
    auto db = storage::sqlite::open_database(dir.path() / "test.db", {}, pool);
    if (!db)
      throw std::runtime_error("cannot open the SQLite test database: " + db.error().message());
    return *db;
  }
  std::string why;
  auto* server = shared_postgres(why);
  if (server == nullptr)
    throw std::runtime_error("no PostgreSQL test server: " + why);
  auto url = server->create_database();
  if (!url)
    throw std::runtime_error("cannot create a PostgreSQL test database: " + url.error().message());
  auto db = storage::postgres::open_database(*url, {5, "stratus-test", ""}, pool);
  if (!db)
    throw std::runtime_error("cannot open the PostgreSQL test database: " + db.error().message());
  return *db;
}

}  // namespace stratus::test

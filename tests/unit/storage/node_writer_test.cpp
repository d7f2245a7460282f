// The ingest writer's batch statements (issue 23 item 4) on SQLite and PostgreSQL:
// `ensure_nodes` creates the missing node rows, `read_batch` reads params and time-series
// params exactly as the per-node statements do, `put_params_many` stores every document
// and `with_desired` names the nodes with sets waiting; each but SQLite's `with_desired` is
// a single statement for the whole batch (issue 24 made SQLite's so too), so they are
// compared with the per-node path.
// How: the repositories over the test database (storage_repository_test[_postgres]).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/sql/node_repository.hpp"
#include "support/test_database.hpp"

namespace stratus::storage::sql {
namespace {

TEST(NodeWriterBatch, BatchStatementsMatchTheSingleNodeStatements) {
  test::TempDir dir;
  auto db = test::open_test_database(dir, 2);
  SqlNodeRepository nodes(db);
  const std::vector<std::string> ids = {"n-\"quoted\"", "n-new", "n-old", "n\\back"};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("n-old", 5); !r)
      return r;
    return w.put_params("n-old", R"({"L":{"P":true}})", 7);
  }));

  std::vector<NodeBatchRow> batch;
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_nodes(ids, 100); !r)
      return r;
    auto rows = w.read_batch(ids);
    if (!rows)
      return fail(rows.error());
    batch = std::move(*rows);
    return {};
  }));
  std::sort(batch.begin(), batch.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  ASSERT_EQ(batch.size(), ids.size()) << "every node exists now and is returned once";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(batch[i].node_id, ids[i]);
    EXPECT_EQ(batch[i].time_series_params, "{}");
  }
  EXPECT_EQ(batch[2].params, std::optional<std::string>(R"({"L":{"P":true}})"));
  EXPECT_FALSE(batch[1].params.has_value());

  // The same as the per-node statements (the default implementation).
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto rows = w.NodeWriter::read_batch(ids);
    if (!rows)
      return fail(rows.error());
    EXPECT_EQ(rows->size(), batch.size());
    for (const auto& row : *rows) {
      const auto it = std::find_if(batch.begin(), batch.end(),
                                   [&](const auto& b) { return b.node_id == row.node_id; });
      EXPECT_NE(it, batch.end());
      if (it != batch.end()) {
        EXPECT_EQ(it->params, row.params);
        EXPECT_EQ(it->time_series_params, row.time_series_params);
      }
    }
    return {};
  }));

  const std::vector<ParamsWrite> writes = {{"n-\"quoted\"", R"({"a":"x\"y\\z\u0001"})", 11},
                                           {"n-new", R"({"b":2})", 12},
                                           {"n\\back", "{}", 13}};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) { return w.put_params_many(writes); }));
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    for (const auto& want : writes) {
      auto got = w.params(want.node_id);
      if (!got)
        return fail(got.error());
      EXPECT_EQ(*got, std::optional<std::string>(want.json)) << want.node_id;
    }
    // Only nodes with desired state waiting are named (the default names them all).
    if (auto r = w.put_desired("n-new", "u1", R"({"b":3})", 14); !r)
      return r;
    auto waiting = w.with_desired(ids);
    if (!waiting)
      return fail(waiting.error());
    EXPECT_NE(std::find(waiting->begin(), waiting->end(), "n-new"), waiting->end());
    if (db->dialect() == Dialect::postgres) {
      EXPECT_EQ(*waiting, std::vector<std::string>{"n-new"});
    }
    auto untouched = w.params("n-old");
    EXPECT_TRUE(untouched && *untouched == std::optional<std::string>(R"({"L":{"P":true}})"));
    return {};
  }));
}

}  // namespace
}  // namespace stratus::storage::sql

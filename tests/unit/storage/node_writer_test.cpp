// The ingest writer's batch statements (issue 23 item 4) on SQLite and PostgreSQL:
// `ensure_and_read` creates the missing node rows and reads every node's params and
// time-series params exactly as `ensure_nodes` + `read_batch` and the per-node statements
// do, `put_params_many` stores every document
// and `with_desired` names the nodes with sets waiting; each is a single statement for the
// whole batch, so they are compared with the per-node path.
// `common_version` (the rule the writer keeps rows by) is checked on its own. A disabled
// user keeps its relations, but its queued sets are not delivered and it is mailed no
// alerts.
// How: the repositories over the test database (storage_repository_test[_postgres]).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/test_database.hpp"

namespace stratus::storage::sql {
namespace {

TEST(NodeWriterBatch, BatchStatementsMatchTheSingleNodeStatements) {
  test::TempDir dir;
  auto db = test::open_test_database(dir, 2);
  SqlNodeRepository nodes(db);
  const std::vector<std::string> ids = {"n-\"quoted\"", "n-new", "n-old", "n\\back", "n{1,2} NULL"};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("n-old", 5); !r)
      return r;
    return w.put_params("n-old", R"({"L":{"P":true}})", 7);
  }));

  const auto by_id = [](std::vector<NodeBatchRow> rows) {
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
    return rows;
  };
  const auto check = [&](const std::vector<NodeBatchRow>& batch, const char* what) {
    ASSERT_EQ(batch.size(), ids.size()) << what << ": every node is returned once";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(batch[i].node_id, ids[i]) << what;
      EXPECT_EQ(batch[i].time_series_params, "{}") << what;
      if (ids[i] == "n-old") {
        EXPECT_EQ(batch[i].params, std::optional<std::string>(R"({"L":{"P":true}})")) << what;
      } else {
        EXPECT_FALSE(batch[i].params.has_value()) << what << " " << ids[i];
      }
    }
  };
  // Four nodes created, one read; then all five read by the one-statement path; both as
  // `ensure_nodes` + `read_batch` answer.
  std::vector<NodeBatchRow> batch;
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto rows = w.ensure_and_read(ids, 100);
    if (!rows)
      return fail(rows.error());
    batch = by_id(std::move(*rows));
    return {};
  }));
  check(batch, "creating");
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto again = w.ensure_and_read(ids, 200);
    if (!again)
      return fail(again.error());
    check(by_id(std::move(*again)), "all known");
    if (auto r = w.ensure_nodes(ids, 300); !r)
      return r;
    auto rows = w.read_batch(ids);
    if (!rows)
      return fail(rows.error());
    check(by_id(std::move(*rows)), "ensure_nodes + read_batch");
    return {};
  }));

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

  // Quotes, backslashes, braces, commas and NULL survive PostgreSQL's array literals too.
  const std::vector<ParamsWrite> writes = {
      {"n-\"quoted\"", R"({"a":"x\"y\\z\u0001"})", 11, {}},
      {"n-new", R"({"b":2})", 12, {}},
      {"n\\back", "{}", 13, {}},
      {"n{1,2} NULL", R"({"c":"{a,b}","d":"NULL","e":"\u00e9 é 😀 \\\""})", -14, {}}};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto written = w.put_params_many(writes);
    if (!written)
      return fail(written.error());
    EXPECT_EQ(written->size(), writes.size()) << "every row is written";
    return {};
  }));
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
    EXPECT_EQ(*waiting, std::vector<std::string>{"n-new"});
    auto untouched = w.params("n-old");
    EXPECT_TRUE(untouched && *untouched == std::optional<std::string>(R"({"L":{"P":true}})"));
    return {};
  }));
  for (const auto& want : writes) {
    auto node = nodes.get_node(want.node_id);
    ASSERT_TRUE(node) << want.node_id;
    EXPECT_EQ(node->params_ms, want.ms) << want.node_id;
  }

  // PostgreSQL joins a batch's values with U+001E; a value holding one (no JSON text this
  // writer stores does) takes the array literals instead, and nothing is split wrongly.
  const std::string odd_id = std::string("n\x1e") + "sep";
  const std::vector<ParamsWrite> odd = {{"n-new",
                                         "{\"s\":\"a\x1e"
                                         "b\"}",
                                         21,
                                         {}},
                                        {"n-old", R"({"L":{"P":false}})", 22, {}}};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto written = w.put_params_many(odd);
    if (!written)
      return fail(written.error());
    EXPECT_EQ(written->size(), odd.size());
    return {};
  }));
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto with_odd = ids;
    with_odd.push_back(odd_id);
    auto rows = w.ensure_and_read(with_odd, 400);
    if (!rows)
      return fail(rows.error());
    EXPECT_EQ(rows->size(), with_odd.size());
    for (const auto& row : *rows) {
      if (row.node_id == "n-new") {
        EXPECT_EQ(row.params, std::optional<std::string>(odd[0].json));
      } else if (row.node_id == "n-old") {
        EXPECT_EQ(row.params, std::optional<std::string>(odd[1].json));
      } else if (row.node_id == odd_id) {
        EXPECT_FALSE(row.params.has_value());
      }
    }
    // No node just subscribed: nothing to look up.
    auto none = w.with_desired({});
    EXPECT_TRUE(none && none->empty());
    return {};
  }));

  // An empty id first in a batch keeps the lists aligned (no node id is empty; the writer
  // does not rely on it).
  const std::vector<ParamsWrite> empty_first = {{"", R"({"e":1})", 31, {}},
                                                {"n-old", R"({"L":{"P":1}})", 32, {}}};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("", 500); !r)
      return r;
    auto written = w.put_params_many(empty_first);
    if (!written)
      return fail(written.error());
    EXPECT_EQ(written->size(), empty_first.size());
    return {};
  }));
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    for (const auto& want : empty_first) {
      auto got = w.params(want.node_id);
      if (!got)
        return fail(got.error());
      EXPECT_EQ(*got, std::optional<std::string>(want.json)) << "'" << want.node_id << "'";
    }
    return {};
  }));
}

// Row versions (docs/adr/0030): PostgreSQL hands out each row's `xmin`, which a write with
// the version it was read at takes and any other write of the row (another column, another
// instance) changes, so a write with an older version is refused and the answer says so;
// SQLite hands out none and writes unconditionally. A node without a row is not written.
TEST(NodeWriterBatch, AWriteWithAStaleVersionIsRefusedAndReported) {
  test::TempDir dir;
  auto db = test::open_test_database(dir, 2);
  SqlNodeRepository nodes(db);
  const bool versions = db->dialect() == Dialect::postgres;
  const std::vector<std::string> ids = {"v-a", "v-b", "v-c"};
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto created = w.ensure_and_read(ids, 1);
    if (!created)
      return fail(created.error());
    for (const auto& row : *created)
      EXPECT_EQ(row.version, "") << "a row created in this transaction has no version";
    return {};
  }));
  // The rows of `ids` as a batch reads them, in id order.
  const auto read_rows = [&] {
    std::vector<NodeBatchRow> out;
    EXPECT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
      auto read = w.read_batch(ids);
      if (!read)
        return fail(read.error());
      out = std::move(*read);
      return {};
    }));
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
    return out;
  };
  const auto rows = read_rows();
  ASSERT_EQ(rows.size(), ids.size());
  for (const auto& row : rows)
    EXPECT_EQ(row.version.empty(), !versions) << row.node_id;

  // v-a's row changes through another column (presence) after it was read.
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto changed = w.set_connectivity("v-a", true, 50);
    EXPECT_TRUE(changed && *changed);
    return {};
  }));
  std::vector<ParamsWrite> writes;
  for (const auto& row : rows)
    writes.push_back({row.node_id, R"({"L":{"P":1}})", 60, row.version});
  writes.push_back({"v-none", "{}", 60, {}});  // no row
  std::vector<ParamsWritten> written;
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto r = w.put_params_many(writes);
    if (!r)
      return fail(r.error());
    written = std::move(*r);
    return {};
  }));
  std::sort(written.begin(), written.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  std::vector<std::string> names;
  for (const auto& w : written)
    names.push_back(w.node_id);
  EXPECT_EQ(names, (versions ? std::vector<std::string>{"v-b", "v-c"} : ids));
  auto a = nodes.get_node("v-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->params.has_value(), !versions) << "the stale write changed nothing";
  EXPECT_TRUE(a->connected);

  // The versions answered are those the rows now have; written with them, the rows take
  // the next write; the refused row, read again, takes one too.
  const auto again = read_rows();
  ASSERT_EQ(again.size(), ids.size());
  std::vector<ParamsWrite> next;
  for (const auto& row : again) {
    const auto it = std::find_if(written.begin(), written.end(),
                                 [&](const auto& w) { return w.node_id == row.node_id; });
    if (it != written.end()) {
      EXPECT_EQ(it->version, row.version) << row.node_id;
    }
    if (versions && row.node_id != "v-a") {
      EXPECT_NE(row.version, rows[0].version) << "a write changes the version";
    }
    next.push_back({row.node_id, R"({"L":{"P":2}})", 70, row.version});
  }
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto r = w.put_params_many(next);
    if (!r)
      return fail(r.error());
    EXPECT_EQ(r->size(), next.size());
    // One write alone takes the same path (and the same check).
    auto one = w.put_params_many(std::span(next).first(1));
    if (!one)
      return fail(one.error());
    EXPECT_EQ(one->size(), versions ? 0U : 1U) << "written just before: its version moved";
    return {};
  }));
  for (const auto& id : ids) {
    auto node = nodes.get_node(id);
    ASSERT_TRUE(node);
    EXPECT_EQ(node->params, std::optional<std::string>(R"({"L":{"P":2}})")) << id;
  }
}

// The config has its own table (SQLite migration 18, PostgreSQL 4): `put_config` stores
// and replaces it beside the node's indexed fields, `get_node` reads it back, a node never
// seen gets none (the call succeeds and creates nothing), and a node's config goes with it.
TEST(NodeWriterBatch, TheConfigIsStoredReplacedAndReadBesideItsRow) {
  test::TempDir dir;
  auto db = test::open_test_database(dir, 2);
  SqlNodeRepository nodes(db);
  NodeInfoIndex info;
  info.name = "Lamp";
  info.fw_version = "1.0";
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("n1", 5); !r)
      return r;
    if (auto r = w.put_config("n1", R"({"node_id":"n1","v":1})", info, 6); !r)
      return r;
    info.fw_version = "1.1";
    if (auto r = w.put_config("n1", R"({"node_id":"n1","v":2})", info, 7); !r)
      return r;
    if (auto r = w.put_params("n1", R"({"L":{"P":true}})", 8); !r)
      return r;
    return w.put_config("never-seen", R"({"node_id":"never-seen"})", info, 9);
  }));
  auto node = nodes.get_node("n1");
  ASSERT_TRUE(node) << node.error().message();
  EXPECT_EQ(node->config, std::optional<std::string>(R"({"node_id":"n1","v":2})"));
  EXPECT_EQ(node->info.name, "Lamp");
  EXPECT_EQ(node->info.fw_version, "1.1");
  EXPECT_EQ(node->params, std::optional<std::string>(R"({"L":{"P":true}})"));
  EXPECT_EQ(nodes.get_node("never-seen").error().code, errc::not_found);
  const auto count = [&] {
    return db->with(
        [](Connection& c) { return *c.query_int("SELECT COUNT(*) FROM node_configs"); });
  };
  EXPECT_EQ(count(), 1);
  ASSERT_TRUE(
      db->with([](Connection& c) { return c.exec("DELETE FROM nodes WHERE node_id = 'n1'"); }));
  EXPECT_EQ(count(), 0);
}

// The rule the writer keeps rows by (ADR 0030): one version, non-empty, on every write.
TEST(NodeWriterBatch, RowsShareAVersionOnlyWhenEveryWriteIsAnsweredWithTheSameOne) {
  const std::vector<ParamsWritten> same{{"a", "7"}, {"b", "7"}, {"c", "7"}};
  ASSERT_TRUE(common_version(same, 3));
  EXPECT_EQ(*common_version(same, 3), "7");
  EXPECT_FALSE(common_version(same, 4)) << "a write missing from the answer";
  EXPECT_FALSE(common_version(same, 2)) << "more answers than writes";
  EXPECT_FALSE(common_version({}, 0)) << "nothing written";
  const std::vector<ParamsWritten> mixed{{"a", "7"}, {"b", "8"}};
  EXPECT_FALSE(common_version(mixed, 2));
  const std::vector<ParamsWritten> unversioned{{"a", ""}, {"b", ""}};
  EXPECT_FALSE(common_version(unversioned, 2)) << "a backend that keeps no version";
  const std::vector<ParamsWritten> last_empty{{"a", "7"}, {"b", ""}};
  EXPECT_FALSE(common_version(last_empty, 2));
}

TEST(DisabledUser, KeepsItsNodesButGetsNoDeliveriesNorMail) {
  test::TempDir dir;
  auto db = test::open_test_database(dir, 2);
  SqlAccountRepository accounts(db);
  SqlNodeRepository nodes(db);
  SqlAccessRepository access(db);
  ASSERT_TRUE(accounts.create_user({"u1", "u1@example.com", "x", true, false, "", 1, 1}));
  ASSERT_TRUE(accounts.update_profile("u1", ProfileUpdate{std::nullopt, true}, 2));
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("n1", 1); !r)
      return r;
    if (auto r = w.add_user("u1", "n1", "primary", 1); !r)
      return r;
    return w.put_desired("n1", "u1", R"({"L":{"P":true}})", 3);
  }));
  const auto read = [&](bool active_expected, std::size_t recipients) {
    ASSERT_TRUE(access.read([&](AccessStore& s) -> Result<void> {
      auto active = s.user_active("u1");
      EXPECT_TRUE(active && *active == active_expected);
      auto rel = s.relation("u1", "n1");
      EXPECT_TRUE(rel && rel->has_value()) << "the node stays its own";
      auto mail = s.alert_mail_recipients("n1");
      EXPECT_TRUE(mail && mail->size() == recipients);
      auto nobody = s.user_active("nobody");
      EXPECT_TRUE(nobody && !*nobody);
      return {};
    }));
  };
  read(true, 1);
  ASSERT_TRUE(accounts.set_disabled("u1", true, 4));
  read(false, 0);
  ASSERT_TRUE(nodes.write([&](NodeWriter& w) -> Result<void> {
    auto sets = w.take_desired("n1");
    if (!sets)
      return fail(sets.error());
    EXPECT_EQ(sets->size(), 1u);
    EXPECT_FALSE(!sets->empty() && sets->front().has_access) << "not delivered for a disabled user";
    return {};
  }));
}

}  // namespace
}  // namespace stratus::storage::sql

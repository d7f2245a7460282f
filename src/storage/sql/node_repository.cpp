#include "storage/sql/node_repository.hpp"

#include <algorithm>
#include <functional>

#include "core/strings.hpp"
#include "storage/sql/time_series_repository.hpp"

namespace stratus::storage::sql {
namespace {

// Read `FROM nodes n` + kNodeConfigJoin: the config has its own table (migration 0018 on
// SQLite, 0004 on PostgreSQL) so that the row the ingest writer rewrites stays small.
constexpr std::string_view kNodeColumns =
    "n.node_id, nc.config, n.name, n.type, n.model, n.fw_version, n.platform, n.cmd_resp, "
    "n.params, n.params_ms, n.connected, n.connectivity_ms, n.tags, n.metadata";
constexpr int kNodeColumnCount = 14;
constexpr std::string_view kNodeConfigJoin = " LEFT JOIN node_configs nc ON nc.node_id = n.node_id";
// The record separator (U+001E, `chr(30)` in SQL) joining a PostgreSQL batch's lists.
constexpr char kListSeparator = '\x1e';

bool holds_separator(std::string_view text) {
  return text.find(kListSeparator) != std::string_view::npos;
}

std::optional<std::string> optional_text(const Statement& s, int col) {
  if (s.is_null(col))
    return std::nullopt;
  return s.text(col);
}

NodeRecord read_node(const Statement& s) {
  NodeRecord n;
  n.node_id = s.text(0);
  n.config = optional_text(s, 1);
  n.info = NodeInfoIndex{s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.integer(7) != 0};
  n.params = optional_text(s, 8);
  n.params_ms = s.integer(9);
  n.connected = s.integer(10) != 0;
  n.connectivity_ms = s.integer(11);
  n.tags = s.text(12);
  n.metadata = s.text(13);
  return n;
}

MappingRequest read_request(const Statement& s) {
  return MappingRequest{s.text(0), s.text(1),    s.text(2),   s.text(3),
                        s.text(4), s.integer(5), s.integer(6)};
}

Result<std::vector<std::pair<std::string, std::string>>> users_of_node(Connection& c,
                                                                       std::string_view node_id) {
  return c.query_all(
      "SELECT user_id, role FROM (SELECT user_id, role, ROW_NUMBER() OVER (PARTITION BY "
      "user_id ORDER BY direct DESC, role, sub_role) AS pick FROM node_access WHERE "
      "node_id = ?1) a WHERE pick = 1 ORDER BY user_id",
      [](const Statement& s) { return std::pair(s.text(0), s.text(1)); }, node_id);
}

template <class... Args>
Result<std::optional<std::string>> text_or_null(Connection& c, std::string_view sql,
                                                const Args&... args) {
  auto s = c.prepare(sql);
  if (!s)
    return fail(s.error());
  s->bind_all(args...);
  auto row = s->step();
  if (!row)
    return fail(row.error());
  if (!*row)
    return std::optional<std::string>();
  return optional_text(*s, 0);
}

class Writer final : public NodeWriter {
 public:
  explicit Writer(Connection& c) : c_(c) {}

  Result<void> ensure_node(std::string_view node_id, std::int64_t now_at) override {
    return c_.execute(
        "INSERT INTO nodes(node_id, created_at) VALUES(?1, ?2) ON CONFLICT DO NOTHING", node_id,
        now_at);
  }
  Result<std::optional<std::string>> params(std::string_view node_id) override {
    return text_or_null(c_, "SELECT params FROM nodes WHERE node_id = ?1", node_id);
  }
  // Two statements for the whole batch instead of two per node: on PostgreSQL a statement
  // is a network round trip; on SQLite each costs a step, a reset and the bindings, which
  // the per-node forms paid 2 000 times a batch (issue 24: the ingest writer's profile).
  Result<void> ensure_nodes(std::span<const std::string> node_ids, std::int64_t now_at) override {
    return c_.execute("INSERT INTO nodes(node_id, created_at) SELECT value, ?2 FROM " +
                          c_.json_strings("?1") + " WHERE true ON CONFLICT DO NOTHING",
                      json_array(node_ids), now_at);
  }
  // PostgreSQL: `field` of each of `values` as one list joined by U+001E, for
  // `string_to_array(?, chr(30))` (see put_params_many); nullopt on SQLite, when a value
  // holds the separator, or for a list of one empty value (which `string_to_array` reads
  // as no value): those take `text[]` literals.
  template <class T, class Field = std::identity>
  std::optional<std::string> pg_separated(std::span<const T> values, Field field = {}) const {
    if (c_.dialect() != Dialect::postgres ||
        (values.size() == 1 && std::invoke(field, values[0]).empty())) {
      return std::nullopt;
    }
    std::string list;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string& value = std::invoke(field, values[i]);
      if (holds_separator(value))
        return std::nullopt;
      if (i > 0)
        list += kListSeparator;
      list += value;
    }
    return list;
  }
  // The column expression of a row's version (`NodeBatchRow::version`): PostgreSQL's
  // `xmin`; SQLite keeps none.
  [[nodiscard]] const char* row_version() const {
    return c_.dialect() == Dialect::postgres ? "xmin::text" : "''";
  }
  Result<std::vector<NodeBatchRow>> read_batch(std::span<const std::string> node_ids) override {
    const auto row = [](const Statement& s) {
      auto ts = optional_text(s, 2);
      return NodeBatchRow{s.text(0), optional_text(s, 1), ts ? std::move(*ts) : "{}", s.text(3)};
    };
    if (auto ids = pg_separated(node_ids)) {
      return c_.query_all(
          "SELECT node_id, params, ts_params, xmin::text FROM nodes WHERE node_id = "
          "ANY(string_to_array(?1, chr(30)))",
          row, *ids);
    }
    return c_.query_all(std::string("SELECT node_id, params, ts_params, ") + row_version() +
                            " FROM nodes WHERE " + c_.in_string_list("node_id", "?1"),
                        row, c_.string_list(node_ids));
  }
  // Reads first and inserts only the nodes it did not find (no other writer runs: the
  // transaction holds the write lock), so a batch of known nodes is one statement.
  Result<std::vector<NodeBatchRow>> ensure_and_read(std::span<const std::string> node_ids,
                                                    std::int64_t now_at) override {
    auto rows = read_batch(node_ids);
    if (!rows || rows->size() == node_ids.size())
      return rows;
    std::vector<std::string_view> found;
    found.reserve(rows->size());
    for (const auto& row : *rows)
      found.push_back(row.node_id);
    std::sort(found.begin(), found.end());
    std::vector<std::string> missing;
    for (const auto& id : node_ids) {
      if (!std::binary_search(found.begin(), found.end(), std::string_view(id)))
        missing.push_back(id);
    }
    if (auto r = ensure_nodes(missing, now_at); !r)
      return fail(r.error());
    for (auto& id : missing)
      rows->push_back({std::move(id), std::nullopt, "{}", {}});
    return rows;
  }
  // One statement for the batch on both engines: on SQLite, asking node by node
  // (`take_desired` for every reporting node) cost a query per report.
  Result<std::vector<std::string>> with_desired(std::span<const std::string> node_ids) override {
    if (node_ids.empty())
      return std::vector<std::string>{};
    const auto name = [](const Statement& s) { return s.text(0); };
    if (auto ids = pg_separated(node_ids)) {
      return c_.query_all(
          "SELECT DISTINCT node_id FROM node_desired WHERE node_id = "
          "ANY(string_to_array(?1, chr(30)))",
          name, *ids);
    }
    return c_.query_all(
        "SELECT DISTINCT node_id FROM node_desired WHERE " + c_.in_string_list("node_id", "?1"),
        name, c_.string_list(node_ids));
  }
  // One statement for the batch. A write with an expected version applies only if the
  // row still has it (PostgreSQL's `xmin`, which every write of the row changes), and the
  // rows written come back with their new versions: the ingest writer keeps the rows it
  // wrote and skips reading them in its next batch (docs/adr/0030).
  Result<std::vector<ParamsWritten>> put_params_many(std::span<const ParamsWrite> writes) override {
    const auto written = [](const Statement& s) { return ParamsWritten{s.text(0), s.text(1)}; };
    if (c_.dialect() == Dialect::postgres) {
      if (writes.empty())
        return std::vector<ParamsWritten>{};
      // Lists, not rows: PostgreSQL reads 1 000 documents from a text list about six times
      // faster than from a jsonb array of objects (parse, tree, then a text input per
      // field), which was 10 % of its CPU under two-instance ingest. The `ANY` filter
      // lets it find the rows with one index scan over the sorted ids and hash-join the
      // values, instead of one index probe per value (about a quarter less executor time).
      // The lists are joined by U+001E, which JSON text never holds unescaped and node ids
      // never hold, and split by `string_to_array` instead of parsing `text[]` literals'
      // quoting (the server's CPU per update about a sixth lower; bench/README.md, session
      // 18). A value that does hold one (not written by this writer) makes the batch take
      // the literals instead. Versions are digits, joined by commas; an empty one (or the
      // NULL `unnest` pads a list of one empty version with) asks for no check.
      std::string ms, versions;
      for (const auto& w : writes) {
        if (!ms.empty()) {
          ms += ',';
          versions += ',';
        }
        ms += std::to_string(w.ms);
        versions += w.expected_version;
      }
      constexpr std::string_view kSet =
          "UPDATE nodes AS n SET params = v.params, params_ms = v.ms FROM ";
      constexpr std::string_view kWhere =
          " AS v(node_id, params, ms, version) WHERE n.node_id = v.node_id AND "
          "(v.version IS NULL OR v.version = '' OR n.xmin::text = v.version) AND n.node_id = ";
      constexpr std::string_view kReturning = " RETURNING n.node_id, n.xmin::text";
      const auto ids = pg_separated(writes, &ParamsWrite::node_id);
      const auto docs = pg_separated(writes, &ParamsWrite::json);
      if (ids && docs) {
        return c_.query_all(
            std::string(kSet) +
                "unnest(string_to_array(?1, chr(30)), string_to_array(?2, chr(30)), "
                "CAST(string_to_array(?3, ',') AS bigint[]), string_to_array(?4, ','))" +
                std::string(kWhere) + "ANY(string_to_array(?1, chr(30)))" + std::string(kReturning),
            written, *ids, *docs, ms, versions);
      }
      std::string id_list = "{", doc_list = "{", version_list = "{";
      for (const auto& w : writes) {
        if (id_list.size() > 1) {
          id_list += ',';
          doc_list += ',';
          version_list += ',';
        }
        append_pg_array_element(id_list, w.node_id);
        append_pg_array_element(doc_list, w.json);
        append_pg_array_element(version_list, w.expected_version);
      }
      id_list += '}';
      doc_list += '}';
      version_list += '}';
      return c_.query_all(std::string(kSet) +
                              "unnest(CAST(?1 AS text[]), CAST(?2 AS text[]), "
                              "CAST(string_to_array(?3, ',') AS bigint[]), CAST(?4 AS text[]))" +
                              std::string(kWhere) + "ANY(CAST(?1 AS text[]))" +
                              std::string(kReturning),
                          written, id_list, doc_list, ms, version_list);
    }
    if (writes.size() < 2)
      return NodeWriter::put_params_many(writes);
    std::string rows = "[";
    for (const auto& w : writes) {
      if (rows.size() > 1)
        rows += ',';
      rows += "{\"node_id\":";
      append_json_string(rows, w.node_id);
      rows += ",\"params\":";
      append_json_string(rows, w.json);
      rows += ",\"ms\":" + std::to_string(w.ms) + "}";
    }
    rows += ']';
    return c_.query_all(
        "UPDATE nodes SET params = v.value ->> 'params', params_ms = v.value ->> 'ms' "
        "FROM json_each(?1) AS v WHERE nodes.node_id = v.value ->> 'node_id' "
        "RETURNING node_id, ''",
        written, rows);
  }
  Result<void> put_params(std::string_view node_id, std::string_view json,
                          std::int64_t ms) override {
    return c_.execute("UPDATE nodes SET params = ?1, params_ms = ?2 WHERE node_id = ?3", json, ms,
                      node_id);
  }
  Result<void> put_config(std::string_view node_id, std::string_view json, const NodeInfoIndex& i,
                          std::int64_t at) override {
    // The row first: a node without one (never seen) gets no config, as before the
    // config had its own table.
    auto r = c_.execute(
        "UPDATE nodes SET name = ?1, type = ?2, model = ?3, fw_version = ?4, platform = ?5, "
        "cmd_resp = ?6, config_at = ?7, ts_params = ?9 WHERE node_id = ?8",
        std::string_view(i.name), std::string_view(i.type), std::string_view(i.model),
        std::string_view(i.fw_version), std::string_view(i.platform), std::int64_t{i.cmd_resp}, at,
        node_id, std::string_view(i.time_series_params));
    if (!r || c_.changes() == 0)
      return r;
    return c_.execute(
        "INSERT INTO node_configs(node_id, config) VALUES(?1, ?2) "
        "ON CONFLICT(node_id) DO UPDATE SET config = excluded.config",
        node_id, json);
  }
  Result<std::string> time_series_params(std::string_view node_id) override {
    auto text = text_or_null(c_, "SELECT ts_params FROM nodes WHERE node_id = ?1", node_id);
    if (!text)
      return fail(text.error());
    return text->value_or("{}");
  }
  Result<void> add_points(std::span<const NodePoints> nodes) override {
    return add_time_series_points(c_, nodes);
  }
  Result<bool> set_connectivity(std::string_view node_id, bool connected,
                                std::int64_t ms) override {
    auto r = c_.execute(
        "UPDATE nodes SET connected = ?1, connectivity_ms = ?2 WHERE node_id = ?3 AND "
        "(connectivity_ms < ?2 OR (connectivity_ms = ?2 AND connected <> ?1))",
        std::int64_t{connected}, ms, node_id);
    if (!r)
      return fail(r.error());
    return c_.changes() > 0;
  }
  Result<std::int64_t> add_alert(std::string_view node_id, std::string_view payload,
                                 std::int64_t ms) override {
    return c_.query_one(
        "INSERT INTO alerts(node_id, payload, received_ms) VALUES(?1, ?2, ?3) RETURNING id",
        {"alert not stored"}, [](const Statement& s) { return s.integer(0); }, node_id, payload,
        ms);
  }
  Result<std::int64_t> disconnect_all(std::int64_t ms) override {
    auto r = c_.execute(
        "UPDATE nodes SET connected = 0, connectivity_ms = ?1 WHERE connected = 1 AND "
        "connectivity_ms <= ?1",
        ms);
    if (!r)
      return fail(r.error());
    return c_.changes();
  }
  Result<std::pair<std::string, std::string>> tags_and_metadata(std::string_view node_id) override {
    return c_.query_one(
        "SELECT tags, metadata FROM nodes WHERE node_id = ?1", {"node not found"},
        [](const Statement& s) { return std::pair(s.text(0), s.text(1)); }, node_id);
  }
  Result<void> put_tags_and_metadata(std::string_view node_id, std::string_view tags,
                                     std::string_view metadata) override {
    return c_.execute("UPDATE nodes SET tags = ?1, metadata = ?2 WHERE node_id = ?3", tags,
                      metadata, node_id);
  }
  Result<std::optional<std::string>> desired(std::string_view node_id,
                                             std::string_view user_id) override {
    return text_or_null(c_, "SELECT params FROM node_desired WHERE node_id = ?1 AND user_id = ?2",
                        node_id, user_id);
  }
  Result<void> put_desired(std::string_view node_id, std::string_view user_id,
                           std::string_view json, std::int64_t ms) override {
    return c_.execute(
        "INSERT INTO node_desired(node_id, user_id, params, updated_ms) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(node_id, user_id) DO UPDATE SET params = excluded.params, "
        "updated_ms = excluded.updated_ms",
        node_id, user_id, json, ms);
  }
  Result<bool> user_active(std::string_view user_id) override {
    return sql::user_active(c_, user_id);
  }
  Result<std::vector<DesiredSet>> take_desired(std::string_view node_id) override {
    auto sets = c_.query_all(
        "SELECT d.user_id, d.params, d.updated_ms, EXISTS(SELECT 1 FROM node_access a "
        "JOIN users u ON u.user_id = a.user_id WHERE a.node_id = d.node_id AND "
        "a.user_id = d.user_id AND u.disabled = 0) FROM node_desired d "
        "WHERE d.node_id = ?1 ORDER BY d.updated_ms, d.user_id",
        [](const Statement& s) {
          return DesiredSet{s.text(0), s.text(1), s.integer(2), s.integer(3) != 0};
        },
        node_id);
    if (!sets || sets->empty())
      return sets;
    if (auto r = c_.execute("DELETE FROM node_desired WHERE node_id = ?1", node_id); !r)
      return fail(r.error());
    return sets;
  }
  Result<void> add_user(std::string_view user_id, std::string_view node_id, std::string_view role,
                        std::int64_t at) override {
    return c_.execute(
        "INSERT INTO user_nodes(user_id, node_id, role, mapped_at) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(user_id, node_id) DO UPDATE SET role = excluded.role, "
        "mapped_at = excluded.mapped_at",
        user_id, node_id, role, at);
  }
  Result<AccessRemoved> remove_user(std::string_view user_id, std::string_view node_id,
                                    std::string_view reason, std::int64_t ms) override {
    return remove_node_access(c_, node_id, user_id, reason, ms);
  }
  Result<AccessRemoved> remove_all_users(std::string_view node_id, std::string_view reason,
                                         std::int64_t ms) override {
    return remove_node_access(c_, node_id, {}, reason, ms);
  }
  Result<std::vector<std::pair<std::string, std::string>>> users_of(
      std::string_view node_id) override {
    return users_of_node(c_, node_id);
  }
  Result<NodeSlots> node_slots(std::string_view user_id) override {
    NodeSlots slots;
    auto count =
        c_.prepare("SELECT COUNT(*) FROM user_nodes WHERE user_id = ?1 AND role = 'primary'");
    if (!count)
      return fail(count.error());
    count->bind(1, user_id);
    if (auto row = count->step(); !row)
      return fail(row.error());
    slots.primary_nodes = count->integer(0);
    auto quota = c_.prepare("SELECT node_quota FROM users WHERE user_id = ?1");
    if (!quota)
      return fail(quota.error());
    quota->bind(1, user_id);
    auto row = quota->step();
    if (!row)
      return fail(row.error());
    if (*row && !quota->is_null(0))
      slots.quota = quota->integer(0);
    return slots;
  }
  Result<void> put_mapping_request(const MappingRequest& m) override {
    return c_.execute(
        "INSERT INTO mapping_requests(request_id, user_id, node_id, secret_key, status, "
        "created_at, expires_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6) "
        "ON CONFLICT(request_id) DO UPDATE SET user_id = excluded.user_id, "
        "node_id = excluded.node_id, secret_key = excluded.secret_key, status = excluded.status, "
        "created_at = excluded.created_at, expires_at = excluded.expires_at, "
        "updated_at = excluded.updated_at",
        std::string_view(m.request_id), std::string_view(m.user_id), std::string_view(m.node_id),
        std::string_view(m.secret_key), std::string_view(m.status), m.created_at, m.expires_at);
  }
  Result<bool> set_mapping_status(std::string_view request_id, std::string_view status,
                                  std::int64_t at) override {
    if (auto r = c_.execute("UPDATE mapping_requests SET status = ?1, updated_at = ?2 WHERE "
                            "request_id = ?3 AND status = 'requested'",
                            status, at, request_id);
        !r)
      return fail(r.error());
    return c_.changes() != 0;
  }
  Result<std::vector<MappingRequest>> pending_mapping_requests(std::string_view node_id,
                                                               std::int64_t now_at) override {
    return c_.query_all(
        "SELECT request_id, user_id, node_id, secret_key, status, created_at, expires_at FROM "
        "mapping_requests WHERE node_id = ?1 AND status = 'requested' AND expires_at > ?2 "
        "ORDER BY created_at",
        read_request, node_id, now_at);
  }
  Result<void> put_node_mapping_report(std::string_view node_id, std::string_view user_id,
                                       std::string_view secret_key, std::int64_t at) override {
    return c_.execute(
        "INSERT INTO node_mapping_reports(node_id, user_id, secret_key, received_at) "
        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(node_id) DO UPDATE SET user_id = excluded.user_id, "
        "secret_key = excluded.secret_key, received_at = excluded.received_at",
        node_id, user_id, secret_key, at);
  }
  Result<void> remove_node_mapping_report(std::string_view node_id) override {
    return c_.execute("DELETE FROM node_mapping_reports WHERE node_id = ?1", node_id);
  }
  Result<std::optional<std::pair<std::string, std::string>>> node_mapping_report(
      std::string_view node_id, std::int64_t received_since) override {
    using Report = std::optional<std::pair<std::string, std::string>>;
    auto s = c_.prepare(
        "SELECT user_id, secret_key FROM node_mapping_reports WHERE node_id = ?1 AND "
        "received_at >= ?2");
    if (!s)
      return fail(s.error());
    s->bind(1, node_id);
    s->bind(2, received_since);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return Report();
    return Report(std::pair(s->text(0), s->text(1)));
  }

 private:
  Connection& c_;
};

}  // namespace

// One user's (or, with an empty `user_id`, every user's) access to the node and
// everything queued in their name: relations, desired sets, pending commands.
Result<bool> user_active(Connection& c, std::string_view user_id) {
  return c.query_one(
      "SELECT COUNT(*) FROM users WHERE user_id = ?1 AND disabled = 0", {"no count"},
      [](const Statement& s) { return s.integer(0) > 0; }, user_id);
}

Result<AccessRemoved> remove_node_access(Connection& c, std::string_view node_id,
                                         std::string_view user_id, std::string_view reason,
                                         std::int64_t ms) {
  AccessRemoved removed;
  const auto step = [&](std::string_view sql, std::int64_t& count) -> Result<void> {
    auto r = user_id.empty() ? c.execute(sql, node_id) : c.execute(sql, node_id, user_id);
    if (!r)
      return r;
    count = c.changes();
    return {};
  };
  const bool all = user_id.empty();
  if (auto r = step(all ? "DELETE FROM user_nodes WHERE node_id = ?1"
                        : "DELETE FROM user_nodes WHERE node_id = ?1 AND user_id = ?2",
                    removed.users);
      !r)
    return fail(r.error());
  if (auto r = step(all ? "DELETE FROM node_desired WHERE node_id = ?1"
                        : "DELETE FROM node_desired WHERE node_id = ?1 AND user_id = ?2",
                    removed.desired_discarded);
      !r)
    return fail(r.error());
  const std::string description = "cancelled: " + std::string(reason);
  constexpr std::string_view kCancel =
      "UPDATE command_requests SET status = 'cancelled', status_description = ?1, "
      "response_ms = ?2 WHERE node_id = ?3 AND status IN ('requested', 'in_progress')";
  auto cancelled = all ? c.execute(kCancel, std::string_view(description), ms, node_id)
                       : c.execute(std::string(kCancel) + " AND user_id = ?4",
                                   std::string_view(description), ms, node_id, user_id);
  if (!cancelled)
    return fail(cancelled.error());
  removed.commands_cancelled = c.changes();
  // A node that lost all its mappings loses its time series (rainmaker-cloud.md §4.3).
  auto mapped = c.query_one(
      "SELECT EXISTS(SELECT 1 FROM user_nodes WHERE node_id = ?1)", {"node not found"},
      [](const Statement& s) { return s.integer(0) != 0; }, node_id);
  if (!mapped)
    return fail(mapped.error());
  if (all || (!*mapped && removed.users > 0)) {
    if (auto r = remove_time_series(c, node_id); !r)
      return fail(r.error());
  }
  return removed;
}

Result<void> SqlNodeRepository::write(const std::function<Result<void>(NodeWriter&)>& body) {
  return db_->with([&](Connection& c) {
    Writer writer(c);
    return c.transaction([&] { return body(writer); });
  });
}

Result<UserNodePage> SqlNodeRepository::list_user_nodes(std::string_view user_id,
                                                        std::string_view start_node_id,
                                                        std::size_t limit,
                                                        std::string_view only_node_id) {
  // One node (`only_node_id`) is looked up by equality, which the engines take through the
  // key; `(? = '' OR node_id = ?)` made them walk every node of the user for each node GET
  // (issue 24: a thousand-node user's GETs were the server's top cost under load).
  const bool one = !only_node_id.empty();
  return db_->with([&](Connection& c) -> Result<UserNodePage> {
    UserNodePage page;
    {
      auto count = c.prepare(one ? "SELECT COUNT(DISTINCT node_id) FROM node_access WHERE "
                                   "user_id = ?1 AND node_id = ?2"
                                 : "SELECT COUNT(DISTINCT node_id) FROM node_access WHERE "
                                   "user_id = ?1 AND ?2 = ''");
      if (!count)
        return fail(count.error());
      count->bind(1, user_id).bind(2, only_node_id);
      if (auto row = count->step(); !row)
        return fail(row.error());
      page.total = count->integer(0);
    }
    auto s = c.prepare(
        std::string("SELECT ") + std::string(kNodeColumns) +
        ", u.role, u.sub_role, u.since_at, u.direct FROM (SELECT node_id, role, sub_role, "
        "since_at, direct, ROW_NUMBER() OVER (PARTITION BY node_id ORDER BY direct DESC, role, "
        "sub_role) AS pick FROM node_access WHERE user_id = ?1 AND node_id >= ?2 AND " +
        std::string(one ? "node_id = ?3" : "?3 = ''") +
        ") u JOIN nodes n ON n.node_id = u.node_id" + std::string(kNodeConfigJoin) +
        " WHERE u.pick = 1 ORDER BY u.node_id LIMIT ?4");
    if (!s)
      return fail(s.error());
    s->bind(1, user_id).bind(2, start_node_id).bind(3, only_node_id);
    s->bind(4, static_cast<std::int64_t>(limit + 1));
    while (true) {
      auto row = s->step();
      if (!row)
        return fail(row.error());
      if (!*row)
        break;
      page.nodes.push_back(UserNode{read_node(*s), s->text(kNodeColumnCount),
                                    static_cast<int>(s->integer(kNodeColumnCount + 1)),
                                    s->integer(kNodeColumnCount + 2),
                                    s->integer(kNodeColumnCount + 3) != 0});
    }
    if (page.nodes.size() > limit) {
      page.next_node_id = page.nodes.back().node.node_id;
      page.nodes.pop_back();
    }
    return page;
  });
}

Result<UserNode> SqlNodeRepository::get_user_node(std::string_view user_id,
                                                  std::string_view node_id) {
  auto page = list_user_nodes(user_id, "", 1, node_id);
  if (!page)
    return fail(page.error());
  if (page->nodes.empty())
    return fail(errc::not_found, "node not found");
  return std::move(page->nodes.front());
}

Result<NodeRecord> SqlNodeRepository::get_node(std::string_view node_id) {
  return db_->with([&](Connection& c) {
    return c.query_one(std::string("SELECT ") + std::string(kNodeColumns) + " FROM nodes n" +
                           std::string(kNodeConfigJoin) + " WHERE n.node_id = ?1",
                       {"node not found"}, read_node, node_id);
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SqlNodeRepository::users_of(
    std::string_view node_id) {
  return db_->with([&](Connection& c) { return users_of_node(c, node_id); });
}

Result<std::vector<FleetNode>> SqlNodeRepository::list_fleet_nodes(const FleetNodeFilter& f,
                                                                   std::string_view start_node_id,
                                                                   std::size_t limit) {
  // One cached statement for every filter combination: '' / -1 mean "any".
  const std::int64_t online = f.online ? std::int64_t{*f.online} : -1;
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT n.node_id, n.name, n.model, n.type, n.fw_version, n.platform, n.connected, "
        "n.connectivity_ms, "
        "(SELECT MIN(p.user_id) FROM user_nodes p WHERE p.node_id = n.node_id "
        " AND p.role = 'primary') AS primary_id, "
        "COALESCE((SELECT u.user_name FROM users u WHERE u.user_id = (SELECT MIN(p.user_id) "
        " FROM user_nodes p WHERE p.node_id = n.node_id AND p.role = 'primary')), ''), "
        "(SELECT COUNT(*) FROM user_nodes a WHERE a.node_id = n.node_id) "
        "FROM nodes n WHERE n.node_id >= ?1 "
        "AND (?2 = '' OR n.model = ?2) AND (?3 = '' OR n.type = ?3) "
        "AND (?4 = '' OR n.fw_version = ?4) "
        "AND (?5 = '' OR substr(n.node_id, 1, length(?5)) = ?5) "
        "AND (?6 < 0 OR n.connected = ?6) "
        "AND (?7 = '' OR EXISTS (SELECT 1 FROM user_nodes m WHERE m.node_id = n.node_id "
        " AND m.user_id = ?7)) "
        "ORDER BY n.node_id LIMIT ?8",
        [](const Statement& s) {
          FleetNode n;
          n.node_id = s.text(0);
          n.name = s.text(1);
          n.model = s.text(2);
          n.type = s.text(3);
          n.fw_version = s.text(4);
          n.platform = s.text(5);
          n.online = s.integer(6) != 0;
          n.connectivity_ms = s.integer(7);
          n.primary_user_id = s.text(8);
          n.primary_user_name = s.text(9);
          n.user_count = s.integer(10);
          return n;
        },
        start_node_id, f.model, f.type, f.fw_version, f.id_prefix, online, f.user_id,
        static_cast<std::int64_t>(limit));
  });
}

Result<MappingRequest> SqlNodeRepository::get_mapping_request(std::string_view request_id) {
  return db_->with([&](Connection& c) {
    return c.query_one(
        "SELECT request_id, user_id, node_id, secret_key, status, created_at, expires_at FROM "
        "mapping_requests WHERE request_id = ?1",
        {"mapping request not found"}, read_request, request_id);
  });
}

Result<std::vector<AlertRecord>> SqlNodeRepository::list_alerts(const AlertQuery& query) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT id, node_id, payload, received_ms FROM alerts WHERE node_id = ?1 AND "
        "received_ms >= ?2 AND received_ms < ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5",
        [](const Statement& s) {
          return AlertRecord{s.integer(0), s.text(1), s.text(2), s.integer(3)};
        },
        query.node_id, query.start_ms, query.end_ms, query.before_id,
        static_cast<std::int64_t>(query.limit));
  });
}

}  // namespace stratus::storage::sql

#include "storage/sql/command_repository.hpp"

#include <variant>

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kColumns =
    "id, request_id, node_id, user_id, user_name, cmd, request_data, is_base64, role, status, "
    "device_status, status_description, response_data, request_ms, response_ms, expiration_ms";

constexpr std::string_view kPending = "status IN ('requested', 'in_progress')";

template <class T>
std::optional<T> optional_int(const Statement& s, int col) {
  if (s.is_null(col))
    return std::nullopt;
  return static_cast<T>(s.integer(col));
}

CommandRecord read_record(const Statement& s) {
  CommandRecord r;
  r.id = s.integer(0);
  r.request_id = s.text(1);
  r.node_id = s.text(2);
  r.user_id = s.text(3);
  r.user_name = s.text(4);
  r.cmd = static_cast<int>(s.integer(5));
  r.request_data = s.text(6);
  r.is_base64 = s.integer(7) != 0;
  r.role = static_cast<int>(s.integer(8));
  r.status = s.text(9);
  r.device_status = optional_int<int>(s, 10);
  r.status_description = s.text(11);
  if (!s.is_null(12))
    r.response_data = s.text(12);
  r.request_ms = s.integer(13);
  r.response_ms = optional_int<std::int64_t>(s, 14);
  r.expiration_ms = optional_int<std::int64_t>(s, 15);
  return r;
}

// A WHERE clause made only of the filter's set conditions, so that SQLite picks the
// index for the one that matters (request id, node) instead of scanning; the few
// shapes this yields are each prepared once per connection.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> args;

  void add(std::string_view condition) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += condition;
  }
  template <class T>
  void add(std::string_view condition_with_placeholder, T value) {
    args.emplace_back(std::move(value));
    std::string c(condition_with_placeholder);
    c.replace(c.find('?'), 1, "?" + std::to_string(args.size()));
    add(c);
  }
  void bind(Statement& s) const {
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::visit([&](const auto& v) { s.bind(static_cast<int>(i + 1), v); }, args[i]);
    }
  }
};

Where where_of(const CommandFilter& f, bool paged) {
  Where w;
  if (!f.request_id.empty())
    w.add("request_id = ?", f.request_id);
  if (!f.node_id.empty())
    w.add("node_id = ?", f.node_id);
  if (!f.user_id.empty())
    w.add("user_id = ?", f.user_id);
  if (!f.status.empty())
    w.add("status = ?", f.status);
  if (f.pending_only)
    w.add(kPending);
  if (f.cmd)
    w.add("cmd = ?", std::int64_t{*f.cmd});
  if (f.from_ms)
    w.add("request_ms >= ?", *f.from_ms);
  if (f.until_ms)
    w.add("request_ms <= ?", *f.until_ms);
  if (f.unexpired_at_ms)
    w.add("(expiration_ms IS NULL OR expiration_ms > ?)", *f.unexpired_at_ms);
  if (paged && f.after_id > 0)
    w.add("id > ?", f.after_id);
  return w;
}

Result<std::vector<CommandRecord>> list_on(Connection& c, const CommandFilter& f) {
  auto w = where_of(f, true);
  w.args.emplace_back(static_cast<std::int64_t>(std::max<std::size_t>(f.limit, 1)));
  const std::string sql = "SELECT " + std::string(kColumns) + " FROM command_requests" + w.sql +
                          " ORDER BY id LIMIT ?" + std::to_string(w.args.size());
  auto s = c.prepare(sql);
  if (!s)
    return fail(s.error());
  w.bind(*s);
  std::vector<CommandRecord> rows;
  while (true) {
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return rows;
    rows.push_back(read_record(*s));
  }
}

Result<CommandRecord> get_on(Connection& c, std::string_view request_id, std::string_view node_id) {
  return c.query_one("SELECT " + std::string(kColumns) +
                         " FROM command_requests WHERE request_id = ?1 AND node_id = ?2",
                     {"command request not found"}, read_record, request_id, node_id);
}

class Writer final : public CommandWriter {
 public:
  explicit Writer(Connection& c) : c_(c) {}

  Result<void> create(CommandRecord& r) override {
    auto s = c_.prepare(
        "INSERT INTO command_requests(request_id, node_id, user_id, user_name, cmd, "
        "request_data, is_base64, role, status, device_status, status_description, "
        "response_data, request_ms, response_ms, expiration_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id");
    if (!s)
      return fail(s.error());
    s->bind(1, r.request_id).bind(2, r.node_id).bind(3, r.user_id).bind(4, r.user_name);
    s->bind(5, std::int64_t{r.cmd}).bind_blob(6, r.request_data);
    s->bind(7, std::int64_t{r.is_base64}).bind(8, std::int64_t{r.role}).bind(9, r.status);
    bind_rest(*s, r, 10);
    s->bind(13, r.request_ms);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    r.id = s->integer(0);
    return {};
  }
  Result<CommandRecord> get(std::string_view request_id, std::string_view node_id) override {
    return get_on(c_, request_id, node_id);
  }
  Result<void> update(const CommandRecord& r) override {
    auto s = c_.prepare(
        "UPDATE command_requests SET device_status = ?10, status_description = ?11, "
        "response_data = ?12, response_ms = ?14, expiration_ms = ?15, status = ?9 WHERE id = ?1");
    if (!s)
      return fail(s.error());
    s->bind(1, r.id).bind(9, r.status);
    bind_rest(*s, r, 10);
    return s->run();
  }
  Result<std::vector<CommandRecord>> list(const CommandFilter& filter) override {
    return list_on(c_, filter);
  }
  Result<std::vector<CommandRecord>> expire_due(std::int64_t now_ms) override {
    return c_.query_all(
        "UPDATE command_requests SET status = 'timed_out', status_description = 'timed out', "
        "response_ms = ?1 WHERE status IN ('requested', 'in_progress') AND expiration_ms IS NOT "
        "NULL AND expiration_ms <= ?1 RETURNING " +
            std::string(kColumns),
        read_record, now_ms);
  }

 private:
  // ?first … ?first+5: device_status, status_description, response_data, (request_ms
  // is bound by the caller), response_ms, expiration_ms.
  static void bind_rest(Statement& s, const CommandRecord& r, int first) {
    if (r.device_status)
      s.bind(first, std::int64_t{*r.device_status});
    else
      s.bind_null(first);
    s.bind(first + 1, r.status_description);
    if (r.response_data)
      s.bind_blob(first + 2, *r.response_data);
    else
      s.bind_null(first + 2);
    if (r.response_ms)
      s.bind(first + 4, *r.response_ms);
    else
      s.bind_null(first + 4);
    if (r.expiration_ms)
      s.bind(first + 5, *r.expiration_ms);
    else
      s.bind_null(first + 5);
  }

  Connection& c_;
};

}  // namespace

Result<void> SqlCommandRepository::write(const std::function<Result<void>(CommandWriter&)>& body) {
  return db_->with([&](Connection& c) {
    Writer writer(c);
    return c.transaction([&] { return body(writer); });
  });
}

Result<CommandRecord> SqlCommandRepository::get(std::string_view request_id,
                                                std::string_view node_id) {
  return db_->with([&](Connection& c) { return get_on(c, request_id, node_id); });
}

Result<std::vector<CommandRecord>> SqlCommandRepository::list(const CommandFilter& filter) {
  return db_->with([&](Connection& c) { return list_on(c, filter); });
}

Result<std::int64_t> SqlCommandRepository::count(const CommandFilter& filter) {
  return db_->with([&](Connection& c) -> Result<std::int64_t> {
    const auto w = where_of(filter, false);
    auto s = c.prepare("SELECT COUNT(*) FROM command_requests" + w.sql);
    if (!s)
      return fail(s.error());
    w.bind(*s);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    return s->integer(0);
  });
}

Result<bool> SqlCommandRepository::any_due(std::int64_t now_ms) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto s = c.prepare(
        "SELECT 1 FROM command_requests WHERE status IN ('requested', 'in_progress') AND "
        "expiration_ms IS NOT NULL AND expiration_ms <= ?1 LIMIT 1");
    if (!s)
      return fail(s.error());
    s->bind(1, now_ms);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    return *row;
  });
}

}  // namespace stratus::storage::sql

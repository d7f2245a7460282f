#include "storage/sql/access_repository.hpp"

#include "storage/sql/node_repository.hpp"

namespace stratus::storage::sql {
namespace {

// Each user's strongest relation to node ?1 (direct before derived from a group; then
// primary before secondary) as the row with pick = 1. A window, not SQLite's bare
// columns beside MAX(), so that PostgreSQL runs it too.
constexpr std::string_view kStrongestPerUser =
    "SELECT user_id, role, sub_role, direct, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY "
    "direct DESC, role, sub_role) AS pick FROM node_access WHERE node_id = ?1";

std::string_view kind_text(SharingKind kind) {
  return kind == SharingKind::node ? "node" : "group";
}

constexpr std::string_view kGroupColumns =
    "g.group_id, g.group_name, COALESCE(g.parent_group_id, ''), g.type, g.description, "
    "g.mutually_exclusive, g.is_matter, g.custom_data, g.created_at";

GroupRecord read_group(const Statement& s) {
  return GroupRecord{s.text(0),         s.text(1),         s.text(2), s.text(3),   s.text(4),
                     s.integer(5) != 0, s.integer(6) != 0, s.text(7), s.integer(8)};
}

constexpr std::string_view kRequestColumns =
    "r.request_id, r.kind, r.from_user_id, r.to_user_id, f.user_name, t.user_name, r.role, "
    "r.sub_role, r.transfer, r.new_role, r.metadata, r.status, r.created_at, r.expires_at, "
    "r.updated_at FROM sharing_requests r JOIN users f ON f.user_id = r.from_user_id "
    "JOIN users t ON t.user_id = r.to_user_id";

SharingRequestRecord read_request(const Statement& s) {
  SharingRequestRecord r;
  r.request_id = s.text(0);
  r.kind = s.text(1) == "group" ? SharingKind::group : SharingKind::node;
  r.from_user_id = s.text(2);
  r.to_user_id = s.text(3);
  r.from_user_name = s.text(4);
  r.to_user_name = s.text(5);
  r.role = s.text(6);
  r.sub_role = static_cast<int>(s.integer(7));
  r.transfer = s.integer(8) != 0;
  r.new_role = s.text(9);
  r.metadata = s.text(10);
  r.status = s.text(11);
  r.created_at = s.integer(12);
  r.expires_at = s.integer(13);
  r.updated_at = s.integer(14);
  return r;
}

NodeUser read_node_user(const Statement& s) {
  return NodeUser{s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3)),
                  s.integer(4) != 0};
}

class Store final : public AccessStore {
 public:
  explicit Store(Connection& c) : c_(c) {}

  Result<std::optional<NodeUser>> relation(std::string_view user_id,
                                           std::string_view node_id) override {
    auto rows = c_.query_all(
        "SELECT a.user_id, u.user_name, a.role, a.sub_role, a.direct FROM node_access a "
        "JOIN users u ON u.user_id = a.user_id WHERE a.user_id = ?1 AND a.node_id = ?2 "
        "ORDER BY a.direct DESC LIMIT 1",
        read_node_user, user_id, node_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<NodeUser>();
    return std::optional<NodeUser>(std::move(rows->front()));
  }
  Result<std::vector<std::string>> user_node_ids(std::string_view user_id) override {
    return c_.query_all(
        "SELECT DISTINCT node_id FROM node_access WHERE user_id = ?1 ORDER BY node_id",
        [](const Statement& s) { return s.text(0); }, user_id);
  }
  Result<std::vector<NodeUser>> node_users(std::string_view node_id) override {
    return c_.query_all("SELECT a.user_id, u.user_name, a.role, a.sub_role, a.direct FROM (" +
                            std::string(kStrongestPerUser) +
                            ") a JOIN users u ON u.user_id = a.user_id WHERE a.pick = 1 "
                            "ORDER BY a.role, u.user_name",
                        read_node_user, node_id);
  }
  Result<std::vector<NodeUser>> alert_mail_recipients(std::string_view node_id) override {
    return c_.query_all(
        "SELECT a.user_id, u.user_name, a.role, a.sub_role, a.direct FROM (" +
            std::string(kStrongestPerUser) +
            ") a JOIN users u ON u.user_id = a.user_id WHERE a.pick = 1 AND u.alert_mail = 1 "
            "AND u.disabled = 0 ORDER BY a.role, u.user_name",
        read_node_user, node_id);
  }
  Result<bool> user_active(std::string_view user_id) override {
    return sql::user_active(c_, user_id);
  }
  Result<void> put_relation(std::string_view user_id, std::string_view node_id,
                            std::string_view role, int sub_role, std::int64_t at) override {
    return c_.execute(
        "INSERT INTO user_nodes(user_id, node_id, role, sub_role, mapped_at) "
        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(user_id, node_id) DO UPDATE SET "
        "role = excluded.role, sub_role = excluded.sub_role",
        user_id, node_id, role, std::int64_t{sub_role}, at);
  }
  Result<AccessRemoved> remove_relation(std::string_view user_id, std::string_view node_id,
                                        std::string_view reason, std::int64_t ms) override {
    return remove_node_access(c_, node_id, user_id, reason, ms);
  }

  Result<void> put_group(const GroupRecord& g) override {
    return c_.execute(
        "INSERT INTO node_groups(group_id, group_name, parent_group_id, type, description, "
        "mutually_exclusive, is_matter, custom_data, created_at) VALUES(?1, ?2, NULLIF(?3, ''), "
        "?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(group_id) DO UPDATE SET group_name = "
        "excluded.group_name, parent_group_id = excluded.parent_group_id, type = excluded.type, "
        "description = excluded.description, mutually_exclusive = excluded.mutually_exclusive, "
        "is_matter = excluded.is_matter, custom_data = excluded.custom_data",
        std::string_view(g.group_id), std::string_view(g.group_name),
        std::string_view(g.parent_group_id), std::string_view(g.type),
        std::string_view(g.description), std::int64_t{g.mutually_exclusive},
        std::int64_t{g.is_matter}, std::string_view(g.custom_data), g.created_at);
  }
  Result<std::optional<GroupRecord>> group(std::string_view group_id) override {
    auto rows = c_.query_all(std::string("SELECT ") + std::string(kGroupColumns) +
                                 " FROM node_groups g WHERE g.group_id = ?1",
                             read_group, group_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<GroupRecord>();
    return std::optional<GroupRecord>(std::move(rows->front()));
  }
  Result<void> delete_group(std::string_view group_id) override {
    return c_.execute("DELETE FROM node_groups WHERE group_id = ?1", group_id);
  }
  Result<bool> root_group_named(std::string_view user_id, std::string_view name) override {
    auto n = c_.query_one(
        "SELECT COUNT(*) FROM node_groups g JOIN group_users u ON u.group_id = g.group_id "
        "WHERE g.parent_group_id IS NULL AND g.group_name = ?1 AND u.user_id = ?2 AND "
        "u.role = 'primary'",
        {"no row"}, [](const Statement& s) { return s.integer(0); }, name, user_id);
    if (!n)
      return fail(n.error());
    return *n > 0;
  }
  Result<std::vector<GroupRecord>> sub_groups(std::string_view group_id) override {
    return c_.query_all(std::string("SELECT ") + std::string(kGroupColumns) +
                            " FROM node_groups g WHERE g.parent_group_id = ?1 ORDER BY "
                            "g.group_id",
                        read_group, group_id);
  }
  Result<std::vector<std::string>> group_nodes(std::string_view group_id) override {
    return c_.query_all(
        "SELECT node_id FROM group_nodes WHERE group_id = ?1 ORDER BY node_id",
        [](const Statement& s) { return s.text(0); }, group_id);
  }
  Result<void> add_group_node(std::string_view group_id, std::string_view node_id,
                              std::int64_t at) override {
    return c_.execute(
        "INSERT INTO group_nodes(group_id, node_id, added_at) VALUES(?1, ?2, ?3) "
        "ON CONFLICT DO NOTHING",
        group_id, node_id, at);
  }
  Result<void> remove_group_node(std::string_view group_id, std::string_view node_id) override {
    return c_.execute(
        "WITH RECURSIVE below(id) AS (SELECT CAST(?1 AS TEXT) UNION SELECT g.group_id FROM "
        "node_groups g "
        "JOIN below b ON g.parent_group_id = b.id) DELETE FROM group_nodes WHERE node_id = ?2 "
        "AND group_id IN (SELECT id FROM below)",
        group_id, node_id);
  }
  Result<std::vector<GroupUser>> group_users(std::string_view group_id) override {
    return c_.query_all(
        "SELECT gu.user_id, u.user_name, gu.role, gu.sub_role FROM group_users gu JOIN users u "
        "ON u.user_id = gu.user_id WHERE gu.group_id = ?1 ORDER BY gu.role, u.user_name",
        [](const Statement& s) {
          return GroupUser{s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3))};
        },
        group_id);
  }
  Result<void> put_group_user(std::string_view group_id, std::string_view user_id,
                              std::string_view role, int sub_role, std::int64_t at) override {
    return c_.execute(
        "INSERT INTO group_users(group_id, user_id, role, sub_role, added_at) VALUES(?1, ?2, "
        "?3, ?4, ?5) ON CONFLICT(group_id, user_id) DO UPDATE SET role = excluded.role, "
        "sub_role = excluded.sub_role",
        group_id, user_id, role, std::int64_t{sub_role}, at);
  }
  Result<void> remove_group_user(std::string_view group_id, std::string_view user_id) override {
    return c_.execute("DELETE FROM group_users WHERE group_id = ?1 AND user_id = ?2", group_id,
                      user_id);
  }
  Result<std::vector<GroupRecord>> user_groups(std::string_view user_id,
                                               std::string_view start_group_id,
                                               std::size_t limit) override {
    return c_.query_all(std::string("SELECT ") + std::string(kGroupColumns) +
                            " FROM group_users u JOIN node_groups g ON g.group_id = u.group_id "
                            "WHERE u.user_id = ?1 AND g.group_id >= ?2 ORDER BY g.group_id "
                            "LIMIT ?3",
                        read_group, user_id, start_group_id, static_cast<std::int64_t>(limit + 1));
  }
  Result<std::int64_t> count_user_groups(std::string_view user_id) override {
    return c_.query_one(
        "SELECT COUNT(*) FROM group_users WHERE user_id = ?1", {"no row"},
        [](const Statement& s) { return s.integer(0); }, user_id);
  }

  Result<void> put_request(const SharingRequestRecord& r) override {
    auto put = c_.execute(
        "INSERT INTO sharing_requests(request_id, kind, from_user_id, to_user_id, role, "
        "sub_role, transfer, new_role, metadata, status, created_at, expires_at, updated_at) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        std::string_view(r.request_id), kind_text(r.kind), std::string_view(r.from_user_id),
        std::string_view(r.to_user_id), std::string_view(r.role), std::int64_t{r.sub_role},
        std::int64_t{r.transfer}, std::string_view(r.new_role), std::string_view(r.metadata),
        std::string_view(r.status), r.created_at, r.expires_at, r.updated_at);
    if (!put)
      return put;
    std::int64_t position = 0;
    for (const auto& item : r.items) {
      if (auto ok = c_.execute(
              "INSERT INTO sharing_request_items(request_id, position, item_id) VALUES(?1, ?2, "
              "?3)",
              std::string_view(r.request_id), position++, std::string_view(item));
          !ok)
        return ok;
    }
    return {};
  }
  Result<SharingRequestRecord> request(std::string_view request_id) override {
    auto r = c_.query_one(
        std::string("SELECT ") + std::string(kRequestColumns) + " WHERE r.request_id = ?1",
        {"sharing request not found"}, read_request, request_id);
    if (!r)
      return r;
    if (auto items = items_of(r->request_id); items)
      r->items = std::move(*items);
    else
      return fail(items.error());
    return r;
  }
  Result<void> set_request_status(std::string_view request_id, std::string_view status,
                                  std::int64_t at) override {
    return c_.execute(
        "UPDATE sharing_requests SET status = ?1, updated_at = ?2 WHERE request_id = ?3", status,
        at, request_id);
  }
  Result<std::vector<SharingRequestRecord>> requests(const SharingRequestQuery& q) override {
    const std::string who = q.sent ? "r.from_user_id" : "r.to_user_id";
    auto rows = c_.query_all(
        std::string("SELECT ") + std::string(kRequestColumns) + " WHERE " + who +
            " = ?1 AND r.kind = ?2 AND r.status <> 'cancelled' AND (?3 = '' OR r.request_id = ?3) "
            "AND (?4 = '' OR (r.created_at, r.request_id) <= (SELECT created_at, request_id FROM "
            "sharing_requests WHERE request_id = ?4)) ORDER BY r.created_at DESC, r.request_id "
            "DESC LIMIT ?5",
        read_request, std::string_view(q.user_id), kind_text(q.kind),
        std::string_view(q.request_id), std::string_view(q.start_request_id),
        static_cast<std::int64_t>(q.limit + 1));
    if (!rows)
      return rows;
    for (auto& r : *rows) {
      auto items = items_of(r.request_id);
      if (!items)
        return fail(items.error());
      r.items = std::move(*items);
    }
    return rows;
  }

 private:
  Result<std::vector<std::string>> items_of(std::string_view request_id) {
    return c_.query_all(
        "SELECT item_id FROM sharing_request_items WHERE request_id = ?1 ORDER BY position",
        [](const Statement& s) { return s.text(0); }, request_id);
  }

  Connection& c_;
};

}  // namespace

Result<void> SqlAccessRepository::write(const std::function<Result<void>(AccessStore&)>& body) {
  return db_->with([&](Connection& c) {
    Store store(c);
    return c.transaction([&] { return body(store); });
  });
}

Result<void> SqlAccessRepository::read(const std::function<Result<void>(AccessStore&)>& body) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto r = c.exec("BEGIN"); !r)
      return r;
    Store store(c);
    auto result = body(store);
    (void)c.exec(result ? "COMMIT" : "ROLLBACK");
    return result;
  });
}

}  // namespace stratus::storage::sql

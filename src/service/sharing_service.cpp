#include "service/sharing_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_set>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"
#include "service/group_service.hpp"

namespace stratus::service {
namespace {

namespace rest = proto::rest;
using rest::SharingKind;

// The codes of one family: node sharing answers with sharing_error, group sharing with
// group_error (rainmaker-cloud.md, error codes 107xxx and 108xxx).
struct Codes {
  int ids_missing, too_many, user_name_missing, self_sharing, user_not_found, accept_invalid,
      request_id_missing, request_handled, request_declined, request_not_found, not_primary,
      sub_role_invalid, new_role_invalid, new_role_without_transfer, derived, unknown_id;
  std::string_view what;  ///< "node" | "group"
};

constexpr Codes kNodeCodes{rest::sharing_error::nodes_missing,
                           rest::sharing_error::too_many_nodes,
                           rest::sharing_error::user_name_missing,
                           rest::sharing_error::self_sharing,
                           rest::sharing_error::user_not_found,
                           rest::sharing_error::accept_invalid,
                           rest::sharing_error::request_id_missing,
                           rest::sharing_error::request_handled,
                           rest::sharing_error::request_declined,
                           rest::sharing_error::request_not_found,
                           rest::sharing_error::not_primary,
                           rest::sharing_error::sub_role_invalid,
                           rest::sharing_error::new_role_invalid,
                           rest::sharing_error::new_role_without_transfer,
                           rest::sharing_error::group_derived,
                           rest::node_error::node_not_found,
                           "node"};
constexpr Codes kGroupCodes{rest::group_error::groups_missing,
                            rest::group_error::too_many_groups,
                            rest::group_error::user_name_missing,
                            rest::group_error::self_sharing,
                            rest::group_error::user_not_found,
                            rest::group_error::accept_invalid,
                            rest::group_error::request_id_missing,
                            rest::group_error::request_handled,
                            rest::group_error::request_declined,
                            rest::group_error::request_not_found,
                            rest::group_error::not_primary,
                            rest::group_error::sub_role_invalid,
                            rest::group_error::new_role_invalid,
                            rest::group_error::new_role_invalid,
                            rest::group_error::shared_via_parent,
                            rest::group_error::group_not_found,
                            "group"};

const Codes& codes(SharingKind kind) {
  return kind == SharingKind::node ? kNodeCodes : kGroupCodes;
}

storage::SharingKind stored(SharingKind kind) {
  return kind == SharingKind::node ? storage::SharingKind::node : storage::SharingKind::group;
}

constexpr std::string_view kPrimary = "primary";
constexpr std::string_view kSecondary = "secondary";

// The ids in their first order, each once. Linear: the list is as long as a body allows
// (~100 000 ids in 1 MiB) until its size is checked.
std::vector<std::string> unique_ids(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  seen.reserve(ids.size());
  for (const auto& id : ids) {
    if (seen.insert(id).second)
      out.push_back(id);
  }
  return out;
}

Result<void> check_ids(const Codes& c, const std::vector<std::string>& ids, std::size_t max) {
  if (ids.empty())
    return fail(errc::invalid_argument, c.ids_missing, std::string(c.what) + "s are missing");
  if (ids.size() > max) {
    return fail(errc::invalid_argument, c.too_many,
                "at most " + std::to_string(max) + " " + std::string(c.what) + "s per request");
  }
  return {};
}

// The caller's standing on one node or group: not_found when it cannot see it,
// forbidden when `need_primary` and it is not a primary user (directly: access from a
// shared group cannot be passed on).
Result<void> check_caller(storage::AccessStore& s, const Codes& c, SharingKind kind,
                          const Principal& who, const std::string& id, bool need_primary) {
  const auto unknown = [&] {
    return fail(errc::not_found, c.unknown_id, std::string(c.what) + " " + id + " not found");
  };
  const auto not_primary = [&] {
    return fail(errc::forbidden, c.not_primary,
                "only a primary user of " + std::string(c.what) + " " + id +
                    " may share it or change its users");
  };
  if (kind == SharingKind::node) {
    auto rel = s.relation(who.user_id, id);
    if (!rel)
      return fail(rel.error());
    if (!*rel)
      return unknown();
    if (need_primary && ((*rel)->role != kPrimary || !(*rel)->direct))
      return not_primary();
    return {};
  }
  auto role = group_role(s, who.user_id, id);
  if (!role)
    return fail(role.error());
  if (!*role)
    return unknown();
  if (need_primary && (*role)->role != kPrimary)
    return not_primary();
  return {};
}

// The direct group user row of `user_id`, if any.
Result<std::optional<storage::GroupUser>> group_member(storage::AccessStore& s,
                                                       std::string_view group_id,
                                                       std::string_view user_id) {
  auto users = s.group_users(group_id);
  if (!users)
    return fail(users.error());
  for (auto& u : *users) {
    if (u.user_id == user_id)
      return std::optional<storage::GroupUser>(std::move(u));
  }
  return std::optional<storage::GroupUser>();
}

// Applies a request: what the sender still holds goes to the recipient. Returns how
// many of its items were applied (0: the sender holds none of them any more, or is
// disabled).
Result<std::size_t> apply(storage::AccessStore& s, const storage::SharingRequestRecord& r,
                          std::int64_t now_s) {
  const std::int64_t now_ms = now_s * 1000;
  const std::string reason = "the primary role was transferred";
  // The sender's side of a transfer on one node: keeps `new_role`, or leaves.
  const auto hand_over_node = [&](const std::string& node_id) -> Result<void> {
    if (auto put = s.put_relation(r.to_user_id, node_id, kPrimary, 0, now_s); !put)
      return put;
    if (r.new_role.empty()) {
      if (auto removed = s.remove_relation(r.from_user_id, node_id, reason, now_ms); !removed)
        return fail(removed.error());
      return {};
    }
    return s.put_relation(r.from_user_id, node_id, r.new_role, 0, now_s);
  };
  // A disabled sender gives nothing (docs/adr/0036): a request it made, say with a
  // stolen password before the disable, is accepted as holding none of its items.
  auto sender_active = s.user_active(r.from_user_id);
  if (!sender_active)
    return fail(sender_active.error());
  if (!*sender_active)
    return std::size_t{0};
  std::size_t applied = 0;
  for (const auto& id : r.items) {
    if (r.kind == storage::SharingKind::node) {
      auto rel = s.relation(r.from_user_id, id);
      if (!rel)
        return fail(rel.error());
      if (!*rel || (*rel)->role != kPrimary || !(*rel)->direct)
        continue;  // re-checked now: the sender no longer holds it
      if (r.transfer) {
        if (auto done = hand_over_node(id); !done)
          return fail(done.error());
      } else if (auto put = s.put_relation(r.to_user_id, id, r.role, r.sub_role, now_s); !put) {
        return fail(put.error());
      }
      ++applied;
      continue;
    }
    auto sender = group_member(s, id, r.from_user_id);
    if (!sender)
      return fail(sender.error());
    if (!*sender || (*sender)->role != kPrimary)
      continue;
    if (auto put = s.put_group_user(id, r.to_user_id, r.role, r.sub_role, now_s); !put)
      return fail(put.error());
    if (r.transfer) {
      // The group's nodes that the sender is a primary user of move with it.
      auto nodes = s.group_nodes(id);
      if (!nodes)
        return fail(nodes.error());
      for (const auto& node_id : *nodes) {
        auto rel = s.relation(r.from_user_id, node_id);
        if (!rel)
          return fail(rel.error());
        if (*rel && (*rel)->role == kPrimary && (*rel)->direct) {
          if (auto done = hand_over_node(node_id); !done)
            return fail(done.error());
        }
      }
      auto kept = r.new_role.empty() ? s.remove_group_user(id, r.from_user_id)
                                     : s.put_group_user(id, r.from_user_id, r.new_role, 0, now_s);
      if (!kept)
        return fail(kept.error());
    }
    ++applied;
  }
  return applied;
}

// A request the caller may answer or cancel must still be pending.
// A `sharing_request` event about `r` for its sender and recipient.
EventDraft request_event(const storage::SharingRequestRecord& r, std::string_view status,
                         bool access_changed, std::int64_t now_s) {
  return EventDraft{rest::EventKind::sharing_request,
                    {},
                    {r.from_user_id, r.to_user_id},
                    now_s * 1000,
                    boost::json::serialize(boost::json::object{
                        {"request_id", r.request_id},
                        {"kind", r.kind == storage::SharingKind::node ? "node" : "group"},
                        {"status", status},
                        {"items", rest::strings_json(r.items)}}),
                    access_changed};
}

Result<void> check_pending(const Codes& c, const storage::SharingRequestRecord& r,
                           std::int64_t now_s) {
  if (r.status == "declined")
    return fail(errc::conflict, c.request_declined, "the request was declined");
  if (r.status != "pending" || r.expires_at <= now_s) {
    const std::string state = r.status == "pending" ? "expired" : r.status;
    return fail(errc::conflict, c.request_handled,
                "the request is no longer pending (" + state + ")");
  }
  return {};
}

}  // namespace

SharingService::SharingService(storage::AccessRepository& access,
                               storage::AccountRepository& accounts, Mailer& mailer,
                               EventPublisher& events, const Clock& clock, AuditLog& audit,
                               SharingOptions options)
    : access_(access),
      accounts_(accounts),
      mailer_(mailer),
      events_(events),
      clock_(clock),
      audit_(audit),
      options_(options) {}

std::int64_t SharingService::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

namespace {

// The account behind a user name as a client sent it. The RainMaker CLI does not
// URL-encode queries, so the `+` of a phone number arrives as a space: user names never
// hold spaces, so a space is read as `+`.
Result<storage::UserRecord> find_user(storage::AccountRepository& accounts, const Codes& c,
                                      std::string_view raw) {
  std::string name(raw);
  std::replace(name.begin(), name.end(), ' ', '+');
  if (!name.empty() && name.find_first_not_of('+') == std::string::npos)
    name.clear();
  if (name.empty())
    return fail(errc::invalid_argument, c.user_name_missing, "user_name is missing");
  auto normal = AccountService::normalize_user_name(name);
  if (!normal) {
    return fail(errc::not_found, c.user_not_found,
                "no user named \"" + name + "\": " + normal.error().context);
  }
  auto user = accounts.get_user_by_name(*normal);
  if (!user && user.error().code == errc::not_found)
    return fail(errc::not_found, c.user_not_found, "no user named \"" + *normal + "\"");
  return user;
}

}  // namespace

Result<rest::ShareCreated> SharingService::share_unaudited(const Principal& who, SharingKind kind,
                                                           const rest::ShareRequest& request) {
  const Codes& c = codes(kind);
  const auto ids = unique_ids(request.ids);
  if (auto ok =
          check_ids(c, ids, kind == SharingKind::node ? options_.max_nodes : options_.max_groups);
      !ok)
    return fail(ok.error());
  if (request.sub_role < 0 || request.sub_role > 4)
    return fail(errc::invalid_argument, c.sub_role_invalid, "sub_role must be 1 to 4");
  // Stored with the request and shown in every listing of it (and a sender may send many).
  if (request.metadata_json.size() > rest::limits::kMaxMetadataBytes) {
    return fail(errc::invalid_argument, rest::request_error::invalid_request_body,
                "metadata is limited to 16 KiB (serialized)");
  }
  if (!request.new_role.empty() && request.new_role != kSecondary) {
    return fail(errc::invalid_argument, c.new_role_invalid,
                "new_role must be \"secondary\" (or absent: the sender leaves)");
  }
  if (!request.new_role.empty() && !request.transfer) {
    return fail(errc::invalid_argument, c.new_role_without_transfer,
                "new_role is only meaningful with transfer");
  }
  if (request.user_name.empty())
    return fail(errc::invalid_argument, c.user_name_missing, "user_name is missing");
  auto target = find_user(accounts_, c, request.user_name);
  if (!target)
    return fail(target.error());
  if (target->user_id == who.user_id)
    return fail(errc::invalid_argument, c.self_sharing, "you cannot share with yourself");
  auto sender = accounts_.get_user(who.user_id);
  if (!sender)
    return fail(errc::unavailable, "cannot read the caller: " + sender.error().context);

  const auto now = now_s();
  storage::SharingRequestRecord record;
  record.request_id = random_alnum(20);
  record.kind = stored(kind);
  record.from_user_id = who.user_id;
  record.to_user_id = target->user_id;
  record.role = request.primary || request.transfer ? kPrimary : kSecondary;
  record.sub_role = request.sub_role;
  record.transfer = request.transfer;
  record.new_role = request.new_role;
  record.metadata = request.metadata_json;
  record.created_at = now;
  record.updated_at = now;
  record.expires_at = now + options_.request_lifetime.count();
  record.items = ids;

  bool applied = false;
  auto written = access_.write([&](storage::AccessStore& s) -> Result<void> {
    bool has_all = true;
    for (const auto& id : ids) {
      if (auto ok = check_caller(s, c, kind, who, id, true); !ok)
        return ok;
      if (kind == SharingKind::group) {
        auto group = s.group(id);
        if (!group)
          return fail(group.error());
        if (*group && !(*group)->parent_group_id.empty()) {
          return fail(errc::conflict, c.derived,
                      "group " + id + " is a sub-group: share its root group instead");
        }
        auto member = group_member(s, id, target->user_id);
        if (!member)
          return fail(member.error());
        has_all = has_all && member->has_value();
      } else {
        auto rel = s.relation(target->user_id, id);
        if (!rel)
          return fail(rel.error());
        has_all = has_all && rel->has_value();
      }
    }
    if (has_all) {
      // The recipient already has access: the change applies now (spec §9.5); the
      // request is kept, accepted, so its id means something.
      auto n = apply(s, record, now);
      if (!n)
        return fail(n.error());
      record.status = "accepted";
      applied = true;
    }
    return s.put_request(record);
  });
  if (!written)
    return fail(written.error());

  log::info(log::Channel::service, "{} sharing request_id={} from={} to={} items={} applied={}",
            c.what, record.request_id, who.user_id, target->user_id, ids.size(), applied);
  events_.publish({request_event(record, applied ? "accepted" : "pending", applied, now)});
  const std::string things = std::string(c.what) + (ids.size() == 1 ? "" : "s");
  if (!applied) {
    std::string body = sender->user_name + " wants to share " + std::to_string(ids.size()) + " " +
                       things + " with you" +
                       (request.transfer ? " (a transfer: you become the primary user)" : "") +
                       ":\n";
    for (const auto& id : ids)
      body += "  " + id + "\n";
    body += "\nRequest id: " + record.request_id + "\nAccept it with:  stratus " +
            (kind == SharingKind::node ? "sharing" : "group sharing") + " accept --id " +
            record.request_id + "\nIt expires in " +
            std::to_string(options_.request_lifetime.count() / 86400) + " days.\n";
    if (auto sent = mailer_.send(MailMessage{target->user_name,
                                             sender->user_name + " shared " + things + " with you",
                                             std::move(body)});
        !sent) {
      log::warn(log::Channel::service, "sharing mail not sent request_id={} error={}",
                record.request_id, sent.error().context);
    }
  }
  const std::string_view family = kind == SharingKind::node ? "Node" : "Group";
  return rest::ShareCreated{
      record.request_id,
      applied ? std::string(family) + " sharing added for the user successfully"
              : std::string(family) + " sharing request added for the user successfully",
      applied};
}

Result<void> SharingService::unshare_unaudited(const Principal& who, SharingKind kind,
                                               const std::vector<std::string>& raw_ids,
                                               std::string_view user_name) {
  const Codes& c = codes(kind);
  const auto ids = unique_ids(raw_ids);
  if (auto ok =
          check_ids(c, ids, kind == SharingKind::node ? options_.max_nodes : options_.max_groups);
      !ok)
    return ok;
  auto target = find_user(accounts_, c, user_name);
  if (!target)
    return fail(target.error());
  const bool self = target->user_id == who.user_id;
  const auto now = now_s();
  std::vector<std::string> affected{target->user_id};  // whose access may have changed
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    affected.resize(1);
    for (const auto& id : ids) {
      if (auto ok = check_caller(s, c, kind, who, id, !self); !ok)
        return ok;
      if (kind == SharingKind::node) {
        auto rel = s.relation(target->user_id, id);
        if (!rel)
          return fail(rel.error());
        if (!*rel)
          continue;
        if (!(*rel)->direct) {
          return fail(errc::conflict, c.derived,
                      "access to node " + id +
                          " comes from a shared group; remove the group share instead");
        }
        const std::string reason = self ? "the user left the node" : "the primary user unshared";
        if (auto r = s.remove_relation(target->user_id, id, reason, now * 1000); !r)
          return fail(r.error());
        if ((*rel)->role != kPrimary)
          continue;
        // Without a primary user nobody may share or remove the others: they go too.
        auto users = s.node_users(id);
        if (!users)
          return fail(users.error());
        const bool primary_left = std::any_of(users->begin(), users->end(), [](const auto& u) {
          return u.direct && u.role == kPrimary;
        });
        if (primary_left)
          continue;
        for (const auto& u : *users) {
          if (!u.direct)
            continue;
          affected.push_back(u.user_id);
          if (auto r =
                  s.remove_relation(u.user_id, id, "the node's last primary user left", now * 1000);
              !r)
            return fail(r.error());
        }
        continue;
      }
      auto member = group_member(s, id, target->user_id);
      if (!member)
        return fail(member.error());
      if (!*member) {
        auto via = group_role(s, target->user_id, id);
        if (!via)
          return fail(via.error());
        if (*via) {
          return fail(errc::conflict, c.derived,
                      "access to group " + id +
                          " comes from its parent group; change the parent's share instead");
        }
        continue;
      }
      if ((*member)->role == kPrimary) {
        auto users = s.group_users(id);
        if (!users)
          return fail(users.error());
        const auto primaries = std::count_if(users->begin(), users->end(),
                                             [](const auto& u) { return u.role == kPrimary; });
        if (primaries <= 1) {
          return fail(errc::conflict, rest::request_error::conflict,
                      "group " + id + " would have no primary user; delete the group instead");
        }
      }
      if (auto r = s.remove_group_user(id, target->user_id); !r)
        return r;
    }
    return {};
  });
  if (!done)
    return done;
  std::vector<EventDraft> events;
  for (const auto& user : affected) {
    events.push_back(EventDraft{rest::EventKind::mapping,
                                ids.size() == 1 ? ids.front() : "",
                                {user},
                                now * 1000,
                                boost::json::serialize(boost::json::object{
                                    {"kind", kind == SharingKind::node ? "node" : "group"},
                                    {"items", rest::strings_json(ids)},
                                    {"role", nullptr}}),
                                true});
  }
  events_.publish(std::move(events));
  return {};
}

Result<std::vector<rest::SharingUsers>> SharingService::users(const Principal& who,
                                                              SharingKind kind,
                                                              std::string_view only_id) {
  const Codes& c = codes(kind);
  auto me = accounts_.get_user(who.user_id);
  if (!me)
    return fail(errc::unavailable, "cannot read the caller: " + me.error().context);
  const std::string my_name = me->user_name;
  std::vector<rest::SharingUsers> out;
  auto r = access_.read([&](storage::AccessStore& s) -> Result<void> {
    std::vector<std::string> ids;
    if (!only_id.empty()) {
      if (auto ok = check_caller(s, c, kind, who, std::string(only_id), false); !ok)
        return ok;
      ids.emplace_back(only_id);
    } else if (kind == SharingKind::node) {
      auto mine = s.user_node_ids(who.user_id);
      if (!mine)
        return fail(mine.error());
      ids = std::move(*mine);
    } else {
      auto groups = s.user_groups(who.user_id, "", 10000);
      if (!groups)
        return fail(groups.error());
      for (const auto& g : *groups)
        ids.push_back(g.group_id);
    }
    for (const auto& id : ids) {
      rest::SharingUsers entry{id, {}, {}};
      std::vector<std::pair<std::string, std::string>> users;  // (name, role)
      bool caller_primary = false;
      if (kind == SharingKind::node) {
        auto list = s.node_users(id);
        if (!list)
          return fail(list.error());
        for (const auto& u : *list) {
          users.emplace_back(u.user_name, u.role);
          if (u.user_id == who.user_id)
            caller_primary = u.role == kPrimary;
        }
      } else {
        auto role = group_role(s, who.user_id, id);
        if (!role)
          return fail(role.error());
        caller_primary = *role && (*role)->role == kPrimary;
        auto list = s.group_users(id);
        if (!list)
          return fail(list.error());
        for (const auto& u : *list)
          users.emplace_back(u.user_name, u.role);
        if (*role && std::none_of(list->begin(), list->end(),
                                  [&](const auto& u) { return u.user_id == who.user_id; }))
          users.emplace_back((*role)->user_name, (*role)->role);  // through a parent group
      }
      for (const auto& [name, role] : users) {
        if (role == kPrimary)
          entry.primary.push_back(name);
        else if (caller_primary || name == my_name)
          entry.secondary.push_back(name);
      }
      out.push_back(std::move(entry));
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  return out;
}

Result<rest::SharingRequestPage> SharingService::requests(const Principal& who, SharingKind kind,
                                                          bool sent, std::string_view request_id,
                                                          std::string_view start_request_id,
                                                          std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, 100);
  const auto now = now_s();
  rest::SharingRequestPage page;
  auto r = access_.read([&](storage::AccessStore& s) -> Result<void> {
    storage::SharingRequestQuery q{
        who.user_id, stored(kind), sent, std::string(request_id), std::string(start_request_id),
        limit};
    auto rows = s.requests(q);
    if (!rows)
      return fail(rows.error());
    if (rows->size() > limit) {
      page.next_request_id = rows->back().request_id;
      page.next_user_name = sent ? rows->back().to_user_name : rows->back().from_user_name;
      rows->pop_back();
    }
    for (auto& row : *rows) {
      rest::SharingRequestInfo info;
      info.request_id = row.request_id;
      info.status = row.status == "pending" && row.expires_at <= now ? "expired" : row.status;
      info.timestamp_s = row.created_at;
      info.user_name = row.to_user_name;
      info.primary_user_name = row.from_user_name;
      info.user_role = row.role;
      info.sub_role = row.sub_role;
      info.transfer = row.transfer;
      info.new_role = row.new_role;
      info.metadata_json = row.metadata;
      if (kind == SharingKind::group) {
        for (const auto& id : row.items) {
          auto g = s.group(id);
          if (!g)
            return fail(g.error());
          info.group_names.push_back(*g ? (*g)->group_name : std::string());
        }
      }
      info.ids = std::move(row.items);
      page.requests.push_back(std::move(info));
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  return page;
}

Result<void> SharingService::answer_unaudited(const Principal& who, SharingKind kind,
                                              const rest::SharingAnswer& answer) {
  const Codes& c = codes(kind);
  if (answer.request_id.empty())
    return fail(errc::invalid_argument, c.request_id_missing, "request_id is missing");
  if (!answer.accept)
    return fail(errc::invalid_argument, c.accept_invalid, "accept (true or false) is missing");
  const auto now = now_s();
  std::optional<EventDraft> event;
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    auto r = s.request(answer.request_id);
    if (!r && r.error().code != errc::not_found)
      return fail(r.error());
    if (!r || r->kind != stored(kind) || r->to_user_id != who.user_id)
      return fail(errc::not_found, c.request_not_found, "sharing request not found");
    if (auto ok = check_pending(c, *r, now); !ok)
      return ok;
    if (!*answer.accept) {
      event = request_event(*r, "declined", false, now);
      return s.set_request_status(r->request_id, "declined", now);
    }
    auto applied = apply(s, *r, now);
    if (!applied)
      return fail(applied.error());
    if (*applied == 0) {
      return fail(errc::conflict, c.request_handled,
                  "the sender no longer holds any " + std::string(c.what) + " of this request");
    }
    log::info(log::Channel::service, "{} sharing accepted request_id={} user_id={} applied={}",
              c.what, r->request_id, who.user_id, *applied);
    event = request_event(*r, "accepted", true, now);
    return s.set_request_status(r->request_id, "accepted", now);
  });
  if (done && event)
    events_.publish({std::move(*event)});
  return done;
}

Result<void> SharingService::cancel_unaudited(const Principal& who, SharingKind kind,
                                              std::string_view request_id) {
  const Codes& c = codes(kind);
  if (request_id.empty())
    return fail(errc::invalid_argument, c.request_id_missing, "request_id is missing");
  const auto now = now_s();
  std::optional<EventDraft> event;
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    auto r = s.request(request_id);
    if (!r && r.error().code != errc::not_found)
      return fail(r.error());
    if (!r || r->kind != stored(kind) || r->from_user_id != who.user_id)
      return fail(errc::not_found, c.request_not_found, "sharing request not found");
    if (auto ok = check_pending(c, *r, now); !ok)
      return ok;
    event = request_event(*r, "cancelled", false, now);
    return s.set_request_status(r->request_id, "cancelled", now);
  });
  if (done && event)
    events_.publish({std::move(*event)});
  return done;
}

// --- audited entry points (docs/adr/0015) ----------------------------------------------

namespace {
std::string_view object_kind(SharingKind kind) {
  return kind == SharingKind::node ? "node" : "group";
}
}  // namespace

Result<rest::ShareCreated> SharingService::share(const Principal& who, SharingKind kind,
                                                 const rest::ShareRequest& request) {
  auto r = share_unaudited(who, kind, request);
  std::string detail = "to=" + request.user_name + (request.primary ? " primary" : "") +
                       (request.transfer ? " transfer" : "") +
                       (r ? " request_id=" + r->request_id : std::string());
  return audited(audit_, who, "sharing.share", std::string(object_kind(kind)),
                 join_list(request.ids), std::move(r), std::move(detail));
}

Result<void> SharingService::unshare(const Principal& who, SharingKind kind,
                                     const std::vector<std::string>& ids,
                                     std::string_view user_name) {
  return audited(audit_, who, "sharing.unshare", std::string(object_kind(kind)), join_list(ids),
                 unshare_unaudited(who, kind, ids, user_name),
                 "user_name=" + std::string(user_name));
}

Result<void> SharingService::answer(const Principal& who, SharingKind kind,
                                    const rest::SharingAnswer& answer) {
  const std::string verb = answer.accept.value_or(false) ? "accept" : "decline";
  return audited(audit_, who, "sharing.request." + verb, "sharing_request", answer.request_id,
                 answer_unaudited(who, kind, answer), "kind=" + std::string(object_kind(kind)));
}

Result<void> SharingService::cancel(const Principal& who, SharingKind kind,
                                    std::string_view request_id) {
  return audited(audit_, who, "sharing.request.cancel", "sharing_request", std::string(request_id),
                 cancel_unaudited(who, kind, request_id), "kind=" + std::string(object_kind(kind)));
}

}  // namespace stratus::service

#include "service/node_service.hpp"

#include <boost/json.hpp>

#include "core/random.hpp"
#include "log/log.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "proto/rest/limits.hpp"
#include "proto/topics.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;

std::int64_t seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

SetOutcome failure(std::string node_id, errc code, int reason, std::string description) {
  return SetOutcome{std::move(node_id), false, {}, Error{code, std::move(description), reason}};
}

constexpr int kNodeNotFound = proto::rest::node_error::node_not_found;

// The caller's relation to a node; a missing one is `node_error::node_not_found`.
Result<storage::UserNode> user_node(storage::NodeRepository& repository, const Principal& who,
                                    std::string_view node_id) {
  return with_reason(repository.get_user_node(who.user_id, node_id), errc::not_found,
                     kNodeNotFound);
}

}  // namespace

NodeService::NodeService(storage::NodeRepository& repository, NodeMessenger& messenger,
                         EventPublisher& events, const Clock& clock,
                         std::chrono::seconds mapping_timeout, AuditLog& audit,
                         std::int64_t default_node_quota)
    : repository_(repository),
      messenger_(messenger),
      events_(events),
      clock_(clock),
      audit_(audit),
      matcher_(default_node_quota),
      mapping_timeout_(mapping_timeout) {}

Result<storage::UserNodePage> NodeService::list(const Principal& who,
                                                std::string_view start_node_id, std::size_t limit,
                                                std::string_view only_node_id) {
  return repository_.list_user_nodes(who.user_id, start_node_id,
                                     std::clamp<std::size_t>(limit, 1, 100), only_node_id);
}

Result<storage::UserNode> NodeService::get(const Principal& who, std::string_view node_id) {
  return user_node(repository_, who, node_id);
}

std::vector<SetOutcome> NodeService::set_params(
    const Principal& who, const std::vector<std::pair<std::string, json::object>>& sets) {
  std::vector<SetOutcome> outcomes;
  outcomes.reserve(sets.size());
  for (const auto& [node_id, payload] : sets) {
    outcomes.push_back(set_one(who, node_id, payload));
    AuditEntry entry = audit_entry(who, "node.params.set", "node", node_id);
    if (outcomes.back().error)
      entry.outcome = outcome_of(*outcomes.back().error);
    entry.detail = json::serialize(payload);
    audit_.record(std::move(entry));
  }
  return outcomes;
}

SetOutcome NodeService::set_one(const Principal& who, const std::string& node_id,
                                const json::object& payload) {
  auto node = user_node(repository_, who, node_id);
  if (!node) {
    if (node.error().code == errc::not_found) {
      return failure(node_id, errc::not_found, kNodeNotFound, "node not found");
    }
    return failure(node_id, errc::unavailable, proto::rest::http_error::server_busy,
                   "storage unavailable, please retry");
  }
  if (!node->node.config) {
    return failure(node_id, errc::not_found, proto::rest::node_error::no_config,
                   "the node has not reported its config yet; nothing was sent");
  }
  auto config = model::parse_node_config(*node->node.config);
  if (!config) {
    return failure(node_id, errc::not_found, proto::rest::node_error::no_config,
                   "the node's config cannot be read: " + config.error().context);
  }
  if (auto valid = model::validate_set(*config, payload); !valid) {
    return failure(node_id, errc::invalid_argument, proto::rest::node_error::invalid_params,
                   valid.error().context);
  }
  const std::string text = json::serialize(payload);
  if (node->node.connected) {
    if (auto sent = messenger_.publish_params_remote(node_id, text); sent) {
      return SetOutcome{node_id, false, "success", std::nullopt};
    }
  }
  // Offline (or the broker is unreachable): keep it in the caller's name, merged with
  // their earlier sets, and send it when the node shows it is subscribed again — if
  // the caller still has access then (storage::NodeWriter::take_desired).
  const auto stored = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto desired = w.desired(node_id, who.user_id);
    if (!desired)
      return fail(desired.error());
    json::object merged;
    if (*desired) {
      boost::system::error_code ec;
      auto v = json::parse(**desired, ec);
      if (!ec && v.is_object())
        merged = std::move(v.as_object());
    }
    model::merge_report(merged, payload);
    return w.put_desired(node_id, who.user_id, json::serialize(merged), unix_ms(clock_.now()));
  });
  if (!stored)
    return failure(node_id, errc::unavailable, proto::rest::http_error::server_busy,
                   "storage unavailable, please retry");
  log::info(log::Channel::service, "params queued for offline node_id={}", node_id);
  return SetOutcome{node_id, true,
                    "node is offline; the params are queued and will be sent when it reconnects",
                    std::nullopt};
}

namespace {

constexpr std::size_t kMaxTags = proto::rest::limits::kMaxTags;
constexpr std::size_t kMaxMetadataBytes = proto::rest::limits::kMaxMetadataBytes;

Result<void> check_tag(std::string_view tag) {
  const auto colon = tag.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == tag.size() ||
      tag.size() > 256) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "invalid tag \"" + std::string(tag.substr(0, 64)) +
                    "\": expected key:value (at most 256 characters)");
  }
  return {};
}

}  // namespace

Result<void> NodeService::edit_tags_metadata(
    const Principal& who, std::string_view node_id,
    const std::function<Result<void>(json::array&, json::value&)>& edit) {
  auto node = user_node(repository_, who, node_id);
  if (!node)
    return fail(node.error());
  if (node->role != "primary") {
    return fail(errc::forbidden, proto::rest::request_error::not_authorized,
                "only the node's primary user may change tags and metadata");
  }
  return repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto current = with_reason(w.tags_and_metadata(node_id), errc::not_found, kNodeNotFound);
    if (!current)
      return fail(current.error());
    boost::system::error_code ec;
    json::value tags = json::parse(current->first, ec);
    if (ec || !tags.is_array())
      tags = json::array();
    json::value metadata = json::parse(current->second, ec);
    if (ec || !metadata.is_object())
      metadata = json::object();
    if (auto r = edit(tags.as_array(), metadata); !r)
      return r;
    if (tags.as_array().size() > kMaxTags) {
      return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                  "a node has at most 64 tags");
    }
    const std::string metadata_text = json::serialize(metadata);
    if (metadata_text.size() > kMaxMetadataBytes) {
      return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                  "metadata is limited to 16 KiB");
    }
    return w.put_tags_and_metadata(node_id, json::serialize(tags), metadata_text);
  });
}

Result<void> NodeService::update_tags_metadata(const Principal& who, std::string_view node_id,
                                               const std::vector<std::string>& add_tags,
                                               const json::value* metadata_patch) {
  // Before the write lock: the edit's duplicate check is quadratic in the list.
  if (add_tags.size() > kMaxTags) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "a node has at most 64 tags");
  }
  for (const auto& tag : add_tags) {
    if (auto r = check_tag(tag); !r)
      return r;
  }
  if (metadata_patch != nullptr && !metadata_patch->is_null() && !metadata_patch->is_object()) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "invalid request body: metadata must be an object or null");
  }
  return edit_tags_metadata(
      who, node_id, [&](json::array& tags, json::value& metadata) -> Result<void> {
        for (const auto& tag : add_tags) {
          const bool present = std::any_of(tags.begin(), tags.end(), [&](const json::value& t) {
            return t.is_string() && t.as_string() == tag;
          });
          if (!present)
            tags.emplace_back(json::string(tag));
        }
        if (metadata_patch != nullptr) {
          if (metadata_patch->is_null()) {
            metadata = json::object();
          } else {
            model::apply_patch(metadata.as_object(), metadata_patch->as_object());
          }
        }
        return {};
      });
}

Result<void> NodeService::remove_tags(const Principal& who, std::string_view node_id,
                                      const std::vector<std::string>& remove) {
  if (remove.size() > kMaxTags) {  // a node has no more (and the edit holds the write lock)
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "a node has at most 64 tags");
  }
  return edit_tags_metadata(who, node_id, [&](json::array& tags, json::value&) -> Result<void> {
    json::array kept;
    for (auto& t : tags) {
      if (!t.is_string() || std::find(remove.begin(), remove.end(),
                                      std::string_view(t.as_string())) == remove.end()) {
        kept.push_back(std::move(t));
      }
    }
    tags = std::move(kept);
    return {};
  });
}

Result<std::int64_t> NodeService::mark_all_disconnected() {
  std::int64_t count = 0;
  const auto now = unix_ms(clock_.now());
  auto r = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto n = w.disconnect_all(now);
    if (!n)
      return fail(n.error());
    count = *n;
    return {};
  });
  if (!r)
    return fail(r.error());
  return count;
}

Result<std::string> NodeService::request_mapping_unaudited(const Principal& who,
                                                           std::string_view node_id,
                                                           std::string_view secret_key) {
  if (!proto::valid_node_id(node_id)) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "invalid request body: node_id is not a valid node id");
  }
  if (secret_key.empty() || secret_key.size() > 64) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "invalid request body: secret_key must be 1-64 characters");
  }
  const auto now = seconds(clock_);
  storage::MappingRequest request{
      random_hex(16), who.user_id, std::string(node_id),          std::string(secret_key),
      "requested",    now,         now + mapping_timeout_.count()};
  std::vector<EventDraft> events;
  auto r = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto before = w.users_of(node_id);
    if (!before)
      return fail(before.error());
    auto s = matcher_.on_user_request(w, request, now);
    if (!s)
      return fail(s.error());
    auto after = w.users_of(node_id);
    if (!after)
      return fail(after.error());
    events = access_change_events(node_id, *before, *after, unix_ms(clock_.now()));
    return {};
  });
  if (!r)
    return fail(r.error());
  events_.publish(std::move(events));
  return request.request_id;
}

Result<void> NodeService::remove_mapping_unaudited(const Principal& who, std::string_view node_id) {
  auto node = user_node(repository_, who, node_id);
  if (!node)
    return fail(node.error());
  if (!node->direct) {
    return fail(errc::conflict, proto::rest::sharing_error::group_derived,
                "your access to the node comes from a shared group; leave the group share "
                "instead (DELETE user/node_group/sharing)");
  }
  storage::AccessRemoved removed;
  std::vector<EventDraft> events;
  auto r = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    const auto now = unix_ms(clock_.now());
    auto before = w.users_of(node_id);
    if (!before)
      return fail(before.error());
    // Whatever the branch below, the events name everyone whose access changed.
    const auto announce = [&]() -> Result<void> {
      auto after = w.users_of(node_id);
      if (!after)
        return fail(after.error());
      events = access_change_events(node_id, *before, *after, now);
      return {};
    };
    auto done =
        w.remove_user(who.user_id, node_id, "the user removed the node (mapping removed)", now);
    if (!done)
      return fail(done.error());
    removed = *done;
    if (node->role != "primary")
      return announce();
    // The last primary user leaving takes everyone with it (rainmaker-cloud.md §1.1):
    // nobody would be left to share or remove the others.
    auto users = w.users_of(node_id);
    if (!users)
      return fail(users.error());
    if (std::none_of(users->begin(), users->end(),
                     [](const auto& u) { return u.second == "primary"; })) {
      auto all = w.remove_all_users(node_id, "the node's last primary user removed it", now);
      if (!all)
        return fail(all.error());
      removed.users += all->users;
      removed.desired_discarded += all->desired_discarded;
      removed.commands_cancelled += all->commands_cancelled;
    }
    return announce();
  });
  if (!r)
    return r;
  events_.publish(std::move(events));
  log::info(log::Channel::service,
            "mapping removed node_id={} user_id={} queued_sets={} commands_cancelled={}", node_id,
            who.user_id, removed.desired_discarded, removed.commands_cancelled);
  return {};
}

Result<std::vector<storage::AlertRecord>> NodeService::alerts(const Principal& who,
                                                              const storage::AlertQuery& query) {
  if (auto node = user_node(repository_, who, query.node_id); !node)
    return fail(node.error());
  return repository_.list_alerts(query);
}

Result<std::string> NodeService::mapping_status(const Principal& who, std::string_view request_id) {
  auto request = repository_.get_mapping_request(request_id);
  if (!request || request->user_id != who.user_id) {
    if (request || request.error().code == errc::not_found) {
      return fail(errc::not_found, proto::rest::mapping_error::request_not_found,
                  "mapping request not found");
    }
    return fail(request.error());
  }
  if (request->status == "requested" && request->expires_at <= seconds(clock_)) {
    bool timed_out = false;
    auto written = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
      auto moved = w.set_mapping_status(request_id, "timedout", seconds(clock_));
      if (!moved)
        return fail(moved.error());
      timed_out = *moved;
      return {};
    });
    if (!written)
      return fail(written.error());
    if (timed_out)
      return std::string("timedout");
    // Decided since it was read (the node's confirmation was committed meanwhile).
    auto decided = repository_.get_mapping_request(request_id);
    if (!decided)
      return fail(decided.error());
    return decided->status;
  }
  return request->status;
}

Result<std::string> NodeService::request_mapping(const Principal& who, std::string_view node_id,
                                                 std::string_view secret_key) {
  auto r = request_mapping_unaudited(who, node_id, secret_key);
  std::string detail = r ? "request_id=" + *r : std::string();
  return audited(audit_, who, "node.mapping.add", "node", std::string(node_id), std::move(r),
                 std::move(detail));
}

Result<void> NodeService::remove_mapping(const Principal& who, std::string_view node_id) {
  return audited(audit_, who, "node.mapping.remove", "node", std::string(node_id),
                 remove_mapping_unaudited(who, node_id));
}

}  // namespace stratus::service

#include "service/command_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "proto/payloads.hpp"
#include "service/node_service.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
using log::Channel;

constexpr std::size_t kRequestIdLength = 22;  // like Espressif's short UUIDs; ≤ 31 bytes
constexpr std::int64_t kMaxTimeoutS = proto::rest::limits::kMaxCommandTimeoutS;
constexpr std::size_t kResendPage = 200;

constexpr std::string_view kRequested = "requested";
constexpr std::string_view kInProgress = "in_progress";
constexpr std::string_view kSuccess = "success";
constexpr std::string_view kFailure = "failure";
constexpr std::string_view kTimedOut = "timed_out";
constexpr std::string_view kOverridden = "overridden";
constexpr std::string_view kCancelled = "cancelled";
constexpr std::string_view kStatuses[] = {kRequested, kInProgress, kSuccess,  kFailure,
                                          kTimedOut,  kOverridden, kCancelled};

bool pending(const storage::CommandRecord& r) {
  return r.status == kRequested || r.status == kInProgress;
}

std::string_view offline_description() {
  return "Node is offline, responses may be delayed";  // the spec's wording (§3.5)
}

// The TLV role byte of a user's relation to a node (spec §3.2): primary, or secondary
// with its sub-role bits.
std::uint8_t relation_role(const storage::UserNode& relation) {
  return relation.role == "primary"
             ? proto::kRolePrimary
             : static_cast<std::uint8_t>(proto::kRoleSecondary |
                                         proto::sub_role_bits(relation.sub_role));
}

proto::CmdRequest tlv_request(const storage::CommandRecord& r) {
  proto::CmdRequest q;
  q.request_id = r.request_id;
  q.role = static_cast<std::uint8_t>(r.role);
  q.timestamp = static_cast<std::uint32_t>(r.request_ms / 1000);
  q.command = static_cast<std::uint16_t>(r.cmd);
  q.data = r.request_data;
  return q;
}

Error invalid(int code, std::string text) {
  return Error{errc::invalid_argument, std::move(text), code};
}

Result<void> check(const NewCommand& c, const CommandOptions& o) {
  using namespace proto::rest::command_error;
  if (c.node_ids.empty())
    return fail(invalid(node_ids_missing, "node_ids is missing or empty"));
  if (c.node_ids.size() > o.max_nodes)
    return fail(invalid(too_many_nodes,
                        "at most " + std::to_string(o.max_nodes) + " node ids per request"));
  std::set<std::string_view> seen;
  for (const auto& id : c.node_ids) {
    if (!seen.insert(id).second)
      return fail(invalid(duplicate_node_ids, "node id " + id + " appears more than once"));
  }
  if (c.cmd < 0 || c.cmd > proto::rest::limits::kMaxCommandId)
    return fail(invalid(invalid_cmd, "cmd must be between 0 and 65535"));
  if (c.data.size() > o.max_data_bytes)
    return fail(invalid(data_too_large,
                        "data is larger than " + std::to_string(o.max_data_bytes) + " bytes"));
  if (c.timeout_s && *c.timeout_s != -1 && (*c.timeout_s < 1 || *c.timeout_s > kMaxTimeoutS))
    return fail(invalid(invalid_timeout, "timeout must be between 1 and 2592000 seconds, or -1"));
  return {};
}

}  // namespace

std::string device_status_description(int status) {
  switch (status) {
    case 0:
      return "success";
    case 1:
      return "command failed";
    case 2:
      return "invalid command or data";
    case 3:
      return "not authorized for this role";
    case 4:
      return "command not found";
    default:
      return "unknown device status " + std::to_string(status);
  }
}

bool CommandCreated::all_sent() const noexcept {
  return std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.sent; });
}

CommandService::CommandService(storage::CommandRepository& commands, storage::NodeRepository& nodes,
                               storage::AccountRepository& accounts, NodeMessenger& messenger,
                               EventPublisher& events, const Clock& clock, MetricsRegistry& metrics,
                               CommandOptions options, AuditLog& audit)
    : commands_(commands),
      nodes_(nodes),
      accounts_(accounts),
      messenger_(messenger),
      events_(events),
      clock_(clock),
      audit_(audit),
      metrics_(metrics),
      options_(options),
      ignored_unknown_(metrics.counter(
          "stratus_command_responses_ignored_total",
          "Command answers from nodes that changed nothing, by reason.", {{"reason", "unknown"}})),
      ignored_final_(metrics.counter("stratus_command_responses_ignored_total",
                                     "Command answers from nodes that changed nothing, by reason.",
                                     {{"reason", "final"}})),
      ignored_revoked_(metrics.counter(
          "stratus_command_responses_ignored_total",
          "Command answers from nodes that changed nothing, by reason.", {{"reason", "revoked"}})) {
  for (const auto status : kStatuses)
    count(status, 0);  // every series exists from the start
}

std::int64_t CommandService::now_ms() const {
  return unix_ms(clock_.now());
}

void CommandService::announce(const std::vector<storage::CommandRecord>& records) {
  if (records.empty())
    return;
  const auto now = now_ms();
  std::vector<EventDraft> events;
  events.reserve(records.size());
  for (const auto& r : records) {
    events.push_back(
        EventDraft{proto::rest::EventKind::command,
                   r.node_id,
                   {r.user_id},
                   now,
                   json::serialize(json::object{{"request_id", r.request_id},
                                                {"cmd", r.cmd},
                                                {"status", r.status},
                                                {"status_description", r.status_description}})});
  }
  events_.publish(std::move(events));
}

void CommandService::count_cancelled(std::int64_t n) {
  count(kCancelled, n);
}

void CommandService::count(std::string_view status, std::int64_t n) {
  metrics_
      .counter("stratus_commands_total", "Command request records entering each status.",
               {{"status", std::string(status)}})
      .inc(static_cast<std::uint64_t>(n));
}

Result<CommandCreated> CommandService::create_unaudited(const Principal& who,
                                                        const NewCommand& command) {
  if (auto ok = check(command, options_); !ok)
    return fail(ok.error());
  auto user = accounts_.get_user(who.user_id);
  if (!user)
    return fail(errc::unavailable, "cannot read the caller: " + user.error().context);

  CommandCreated created;
  created.request_id = random_alnum(kRequestIdLength);
  std::vector<Accepted> accepted;
  std::map<std::string, std::size_t, std::less<>> outcome_of;  // node id → index
  for (const auto& node_id : command.node_ids) {
    outcome_of.emplace(node_id, created.outcomes.size());
    auto& outcome =
        created.outcomes.emplace_back(CommandNodeOutcome{node_id, false, "", std::nullopt});
    std::optional<storage::NodeRecord> node;
    std::uint8_t role = 0;
    if (auto mine = nodes_.get_user_node(who.user_id, node_id)) {
      role = relation_role(*mine);
      node = std::move(mine->node);
    } else if (mine.error().code != errc::not_found) {
      return fail(errc::unavailable, "cannot read node " + node_id + ": " + mine.error().context);
    } else if (who.super_admin) {
      if (auto any = nodes_.get_node(node_id)) {
        node = std::move(*any);
        role = proto::kRoleSuperAdmin;
      } else if (any.error().code != errc::not_found) {
        return fail(errc::unavailable, "cannot read node " + node_id + ": " + any.error().context);
      }
    }
    if (!node) {
      outcome.description = "node not found";
      outcome.error =
          Error{errc::not_found, outcome.description, proto::rest::node_error::node_not_found};
      continue;
    }
    if (!node->info.cmd_resp) {
      outcome.description = "the node does not support cmd-resp (no cmd-resp node attribute)";
      outcome.error = Error{errc::invalid_argument, outcome.description,
                            proto::rest::command_error::not_supported};
      continue;
    }
    accepted.push_back({node_id, role});
  }
  if (accepted.empty()) {
    return fail(*created.outcomes.front().error);
  }

  // Durable before anything is sent or answered: all records of the request (and the
  // overrides) in one transaction.
  const auto now = now_ms();
  std::optional<std::int64_t> expiration;
  const auto timeout_s = command.timeout_s.value_or(options_.default_timeout.count());
  if (timeout_s != -1)
    expiration = now + timeout_s * 1000;
  std::vector<storage::CommandRecord> records;
  std::vector<storage::CommandRecord> overridden_records;
  std::int64_t overridden = 0;
  std::vector<storage::CommandRecord> expired;
  auto stored = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    records.clear();
    overridden_records.clear();
    overridden = 0;
    // Exact override semantics: what is already due times out rather than being overridden.
    auto due = w.expire_due(now);
    if (!due)
      return fail(due.error());
    expired = std::move(*due);
    for (const auto& a : accepted) {
      if (command.override_pending) {
        storage::CommandFilter f;
        f.node_id = a.node_id;
        f.user_id = who.user_id;
        f.cmd = static_cast<int>(command.cmd);
        f.pending_only = true;
        f.limit = 100000;
        auto old = w.list(f);
        if (!old)
          return fail(old.error());
        for (auto& r : *old) {
          r.status = kOverridden;
          r.status_description = "overridden by request " + created.request_id;
          r.response_ms = now;
          if (auto u = w.update(r); !u)
            return u;
          ++overridden;
          overridden_records.push_back(r);
        }
      }
      storage::CommandRecord r;
      r.request_id = created.request_id;
      r.node_id = a.node_id;
      r.user_id = who.user_id;
      r.user_name = user->user_name;
      r.cmd = static_cast<int>(command.cmd);
      r.request_data = command.data;
      r.is_base64 = command.is_base64;
      r.role = a.role;
      r.status = kRequested;
      r.request_ms = now;
      r.expiration_ms = expiration;
      if (auto c = w.create(r); !c)
        return c;
      records.push_back(std::move(r));
    }
    return {};
  });
  if (!stored)
    return fail(errc::unavailable, "cannot store the command request: " + stored.error().context);
  count(kTimedOut, static_cast<std::int64_t>(expired.size()));
  count(kOverridden, overridden);
  count(kRequested, static_cast<std::int64_t>(records.size()));
  announce(expired);
  announce(overridden_records);
  announce(records);

  // Online nodes get it now. Presence is read after the commit: a node that connects
  // in between has its poll handled after its presence, which re-sends these records.
  // Each is claimed (in_progress) before it is published, so a cancel that lands first
  // keeps it off the wire.
  std::vector<storage::CommandRecord> online;
  for (const auto& r : records) {
    if (auto node = nodes_.get_node(r.node_id); node && node->connected)
      online.push_back(r);
  }
  std::vector<storage::CommandRecord> unsent;
  std::size_t sent = 0;
  auto claimed = claim(online);
  if (!claimed) {
    log::warn(Channel::service, "request_id={} not sent (it stays queued): {}", created.request_id,
              claimed.error().message());
  }
  for (const auto& r : claimed ? *claimed : std::vector<storage::CommandRecord>{}) {
    auto& outcome = created.outcomes[outcome_of.at(r.node_id)];
    if (messenger_.publish_to_node(r.node_id, proto::encode_request(tlv_request(r)))) {
      outcome.sent = true;
      outcome.description = kInProgress;
      ++sent;
    } else {
      unsent.push_back(r);
    }
  }
  for (auto& outcome : created.outcomes) {
    if (outcome.sent || outcome.error)
      continue;
    outcome.description = offline_description();
    outcome.error =
        Error{errc::unavailable, outcome.description, proto::rest::command_error::node_offline};
  }
  release(unsent);
  log::info(Channel::service, "command request_id={} cmd={} nodes={} sent={}", created.request_id,
            command.cmd, records.size(), sent);
  return created;
}

// requested → in_progress, unless the record moved on meanwhile (a fast answer, a cancel,
// an override); records already in progress are checked, not written. What comes back is
// what may be published: a cancel after this finds the record in progress, as after a send.
Result<std::vector<storage::CommandRecord>> CommandService::claim(
    const std::vector<storage::CommandRecord>& records) {
  std::vector<storage::CommandRecord> claimed;
  std::vector<storage::CommandRecord> changed;
  if (records.empty())
    return claimed;
  const auto now = now_ms();
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    claimed.clear();
    changed.clear();
    for (const auto& record : records) {
      auto current = w.get(record.request_id, record.node_id);
      if (!current)
        return fail(current.error());
      if (!pending(*current) || (current->expiration_ms && *current->expiration_ms <= now))
        continue;
      if (current->status == kRequested) {
        current->status = kInProgress;
        if (auto u = w.update(*current); !u)
          return u;
        changed.push_back(*current);
      }
      claimed.push_back(std::move(*current));
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  count(kInProgress, static_cast<std::int64_t>(changed.size()));
  announce(changed);
  return claimed;
}

// in_progress → requested for claimed records whose publish failed (the broker away), so
// their state says what happened; records in progress before their claim (re-sends) and
// records that moved on meanwhile are left alone. The next poll sends them either way.
void CommandService::release(const std::vector<storage::CommandRecord>& unsent) {
  std::vector<storage::CommandRecord> changed;
  if (unsent.empty())
    return;
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    changed.clear();
    for (const auto& record : unsent) {
      auto current = w.get(record.request_id, record.node_id);
      if (!current)
        return fail(current.error());
      if (current->status != kInProgress)
        continue;
      current->status = kRequested;
      if (auto u = w.update(*current); !u)
        return u;
      changed.push_back(std::move(*current));
    }
    return {};
  });
  if (!r) {
    log::warn(Channel::service, "{} unsent command records stay in_progress: {}", unsent.size(),
              r.error().message());
    return;
  }
  count(kRequested, static_cast<std::int64_t>(changed.size()));
  announce(changed);
}

Result<CommandPage> CommandService::list(const Principal& who, const CommandQuery& query) {
  if (query.request_id.empty() && query.node_id.empty()) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "request_id or node_id is required");
  }
  if (!query.status.empty() &&
      std::find(std::begin(kStatuses), std::end(kStatuses), query.status) == std::end(kStatuses)) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "unknown status " + query.status);
  }
  if (query.limit < 1 || query.limit > 100)
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "num_records must be between 1 and 100");
  // Times become milliseconds below: out-of-range values are refused, never wrapped.
  for (const auto& [name, value] :
       {std::pair{"start_time", query.start_time_s}, std::pair{"end_time", query.end_time_s}}) {
    if (value && (*value < 0 || *value > proto::rest::limits::kMaxUnixSeconds)) {
      return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                  std::string(name) + " must be between 0 and " +
                      std::to_string(proto::rest::limits::kMaxUnixSeconds) + " (Unix seconds)");
    }
  }
  if (query.start_id < 0)
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "start_id must not be negative");
  // Reads are exact between sweeps: anything due is marked first (a cheap read when not).
  if (auto e = expire_due(); !e)
    return fail(errc::unavailable, e.error().context);
  storage::CommandFilter f;
  f.request_id = query.request_id;
  f.node_id = query.node_id;
  f.status = query.status;
  if (!who.super_admin)
    f.user_id = who.user_id;
  if (query.start_time_s)
    f.from_ms = *query.start_time_s * 1000;
  if (query.end_time_s)
    f.until_ms = *query.end_time_s * 1000 + 999;
  f.after_id = query.start_id;
  f.limit = query.limit + 1;
  auto rows = commands_.list(f);
  if (!rows)
    return fail(errc::unavailable, rows.error().context);
  CommandPage page;
  page.requests = std::move(*rows);
  if (page.requests.size() > query.limit) {
    page.requests.pop_back();
    page.next_id = page.requests.back().id;
  }
  return page;
}

Result<std::int64_t> CommandService::cancel_unaudited(const Principal& who,
                                                      std::string_view request_id,
                                                      std::string_view node_id) {
  const auto now = now_ms();
  std::vector<storage::CommandRecord> cancelled_records;
  std::vector<storage::CommandRecord> expired;
  bool visible = false;
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    cancelled_records.clear();
    visible = false;
    auto due = w.expire_due(now);  // a request already due times out, not cancelled
    if (!due)
      return fail(due.error());
    expired = std::move(*due);
    storage::CommandFilter f;
    f.request_id = std::string(request_id);
    f.node_id = std::string(node_id);
    if (!who.super_admin)
      f.user_id = who.user_id;
    f.limit = 1000;
    auto rows = w.list(f);
    if (!rows)
      return fail(rows.error());
    visible = !rows->empty();
    for (auto& row : *rows) {
      if (!pending(row))
        continue;
      row.status = kCancelled;
      row.status_description = "cancelled by the user";
      row.response_ms = now;
      if (auto u = w.update(row); !u)
        return u;
      cancelled_records.push_back(row);
    }
    return {};
  });
  if (!r)
    return fail(errc::unavailable, r.error().context);
  const auto cancelled = static_cast<std::int64_t>(cancelled_records.size());
  count(kTimedOut, static_cast<std::int64_t>(expired.size()));
  count(kCancelled, cancelled);
  announce(expired);
  announce(cancelled_records);
  if (!visible)
    return fail(errc::not_found, proto::rest::command_error::request_not_found,
                "command request not found");
  if (cancelled == 0) {
    return fail(errc::conflict, proto::rest::command_error::not_pending,
                "the command request is no longer pending");
  }
  log::info(Channel::service, "command request_id={} cancelled for {} nodes", request_id,
            cancelled);
  return cancelled;
}

std::uint8_t CommandService::role_byte(std::string_view user_id, std::string_view node_id) {
  auto user = accounts_.get_user(user_id);
  if (!user)
    return user.error().code == errc::not_found ? std::uint8_t{0} : kRoleUnknown;
  if (user->disabled)
    return 0;  // it keeps its relations, but nothing runs for it meanwhile
  if (auto mine = nodes_.get_user_node(user_id, node_id)) {
    return relation_role(*mine);
  } else if (mine.error().code != errc::not_found) {
    return kRoleUnknown;
  }
  return user->super_admin ? proto::kRoleSuperAdmin : std::uint8_t{0};
}

void CommandService::on_poll(std::string_view node_id) {
  const auto now = now_ms();
  storage::CommandFilter f;
  f.node_id = std::string(node_id);
  f.pending_only = true;
  f.unexpired_at_ms = now;
  f.limit = kResendPage;
  // The requester's role now, per user: a record is re-sent only while its requester
  // still holds the role it was sent with (issue 13).
  std::map<std::string, std::uint8_t, std::less<>> roles;
  while (true) {
    auto rows = commands_.list(f);
    if (!rows) {
      log::error(Channel::service, "pending commands of node_id={} not read: {}", node_id,
                 rows.error().message());
      return;
    }
    std::vector<storage::CommandRecord> due;
    std::vector<storage::CommandRecord> revoked;
    bool broker_down = false;
    for (const auto& r : *rows) {
      auto role = roles.find(r.user_id);
      if (role == roles.end())
        role = roles.emplace(r.user_id, role_byte(r.user_id, node_id)).first;
      if (role->second == kRoleUnknown) {
        broker_down = true;  // storage failed: retry on the next poll, send nothing now
        break;
      }
      if (role->second != static_cast<std::uint8_t>(r.role)) {
        revoked.push_back(r);
        continue;
      }
      due.push_back(r);
    }
    // Claimed first: what was cancelled since the read above is not sent.
    auto claimed = claim(due);
    if (!claimed) {
      log::warn(Channel::service, "pending commands of node_id={} not re-sent: {}", node_id,
                claimed.error().message());
      broker_down = true;
    }
    std::size_t sent = 0;
    std::vector<storage::CommandRecord> unsent;
    for (const auto& r : claimed ? *claimed : std::vector<storage::CommandRecord>{}) {
      if (!unsent.empty()) {
        unsent.push_back(r);
        continue;
      }
      if (auto p = messenger_.publish_to_node(r.node_id, proto::encode_request(tlv_request(r)));
          !p) {
        log::warn(Channel::service, "command request_id={} not re-sent to node_id={}: {}",
                  r.request_id, node_id, p.error().message());
        broker_down = true;
        unsent.push_back(r);
        continue;
      }
      ++sent;
    }
    if (sent > 0)
      log::info(Channel::service, "re-sent {} pending commands to node_id={}", sent, node_id);
    // Only those that were waiting go back to requested; re-sends stay in progress.
    std::erase_if(unsent, [&](const storage::CommandRecord& u) {
      return std::none_of(rows->begin(), rows->end(), [&](const storage::CommandRecord& r) {
        return r.id == u.id && r.status == kRequested;
      });
    });
    release(unsent);
    if (auto c = cancel_revoked(revoked); !c) {
      log::warn(Channel::service,
                "commands of node_id={} whose requester lost access not "
                "cancelled (they stay unsent): {}",
                node_id, c.error().message());
    }
    if (broker_down || rows->size() < kResendPage)
      return;
    f.after_id = rows->back().id;
  }
}

// Pending records whose requester no longer holds the role they were sent with.
Result<std::size_t> CommandService::cancel_revoked(
    const std::vector<storage::CommandRecord>& records, std::optional<int> device_status) {
  if (records.empty())
    return std::size_t{0};
  const auto now = now_ms();
  std::vector<storage::CommandRecord> changed;
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    changed.clear();
    for (const auto& record : records) {
      auto current = w.get(record.request_id, record.node_id);
      if (!current)
        return fail(current.error());
      if (!pending(*current))
        continue;
      current->status = kCancelled;
      current->status_description =
          "cancelled: the requester no longer has the access it was sent with";
      current->response_ms = now;
      if (device_status)
        current->device_status = *device_status;
      if (auto u = w.update(*current); !u)
        return u;
      changed.push_back(std::move(*current));
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  count(kCancelled, static_cast<std::int64_t>(changed.size()));
  announce(changed);
  log::info(Channel::service, "{} command requests cancelled: requester lost access",
            changed.size());
  return changed.size();
}

namespace {

// The params a node says it applied, answering command 1 (set params) with status 0 and
// `{"status":"success","params":{…}}` (spec §3.3), as JSON object text; else nullopt.
std::optional<std::string> applied_params(int cmd, int device_status, std::string_view data) {
  if (cmd != proto::kCmdSetParams || device_status != 0 || data.empty())
    return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  const auto* status = v.as_object().if_contains("status");
  const auto* params = v.as_object().if_contains("params");
  if (status == nullptr || !status->is_string() || status->as_string() != "success" ||
      params == nullptr || !params->is_object() || params->as_object().empty() ||
      !proto::all_numbers_finite(*params)) {
    return std::nullopt;
  }
  return json::serialize(*params);
}

}  // namespace

std::optional<std::string> CommandService::on_response(std::string_view node_id,
                                                       const proto::CmdResponse& response) {
  const auto now = now_ms();
  // Queued work re-checks its requester (issue 13): an answer is kept only while its
  // requester still has access to the node (any role: the node has run the command, and
  // a role changed since, say a transfer, does not make the answer another's). A direct
  // removal cancels the user's commands when it commits; a group change or a disabled
  // account does not, and is caught here: the command is cancelled and the answer not
  // kept. When the command or the requester's access cannot be read, the answer is not
  // kept either; the command stays pending (re-sent at the next poll, or timing out).
  // What the node says it applied is merged all the same: it is the node's state.
  {
    auto sent = commands_.get(response.request_id, node_id);
    if (!sent && sent.error().code != errc::not_found) {
      log::warn(Channel::service, "answer to request_id={} from node_id={} not kept: {}",
                response.request_id, node_id, sent.error().message());
      return std::nullopt;
    }
    const bool expired = sent && sent->expiration_ms && *sent->expiration_ms <= now;
    if (sent && pending(*sent) && !expired) {
      const auto role = role_byte(sent->user_id, node_id);
      if (role == kRoleUnknown) {
        log::warn(Channel::service,
                  "answer to request_id={} from node_id={} not kept: its requester's access "
                  "could not be read",
                  sent->request_id, node_id);
        return applied_params(sent->cmd, response.status, response.data);
      }
      if (role == 0) {
        // The answer's device status marks the record answered, so that a redelivery
        // (QoS 1) is not merged a second time by the late-answer path below.
        auto cancelled = cancel_revoked({*sent}, response.status);
        if (!cancelled) {
          log::warn(Channel::service,
                    "command request_id={} of a requester who lost access not cancelled: {}",
                    sent->request_id, cancelled.error().message());
          return applied_params(sent->cmd, response.status, response.data);
        }
        if (*cancelled > 0) {
          ignored_revoked_.inc();
          return applied_params(sent->cmd, response.status, response.data);
        }
        // It ended meanwhile (a removal's cancel, a timeout): the path below takes the
        // answer as it takes any answer to an ended record, merging it once.
      }
    }
  }
  enum class Outcome { stored, unknown, final, expired } outcome = Outcome::unknown;
  bool first_late_answer = false;  // a final record's first answer: its params are merged
  storage::CommandRecord record;
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    auto found = w.get(response.request_id, node_id);
    if (!found) {
      if (found.error().code == errc::not_found) {
        outcome = Outcome::unknown;
        return {};
      }
      return fail(found.error());
    }
    record = std::move(*found);
    if (!pending(record)) {
      outcome = Outcome::final;
      // Ended without an answer (cancelled, overridden, timed out): this one is the node's
      // first, and what it applied is its state. Its device status is kept, so that a
      // redelivery of the same answer (QoS 1) is not merged twice; the record's status
      // and description stay.
      if (record.device_status || record.status == kSuccess || record.status == kFailure)
        return {};
      first_late_answer = true;
      record.device_status = response.status;
      return w.update(record);
    }
    if (record.expiration_ms && *record.expiration_ms <= now) {
      // Too late: the sweep would have marked it before this answer arrived. Its device
      // status marks it answered (a redelivery is not merged again).
      record.status = kTimedOut;
      record.status_description = "timed out";
      record.device_status = response.status;
      outcome = Outcome::expired;
    } else {
      const int status = response.status;
      record.status = status == 0 ? kSuccess : kFailure;
      record.device_status = status;
      record.status_description = device_status_description(status);
      if (!response.data.empty())
        record.response_data = response.data;
      outcome = Outcome::stored;
    }
    record.response_ms = now;
    return w.update(record);
  });
  if (!r) {
    log::error(Channel::service, "answer to request_id={} from node_id={} not stored: {}",
               response.request_id, node_id, r.error().message());
    return std::nullopt;
  }
  switch (outcome) {
    case Outcome::unknown:
      ignored_unknown_.inc();
      log::debug(Channel::service, "answer for unknown request_id={} from node_id={} ignored",
                 response.request_id, node_id);
      return std::nullopt;
    case Outcome::final:
    case Outcome::expired:
      if (outcome == Outcome::expired) {
        count(kTimedOut);
        announce({record});
      }
      ignored_final_.inc();
      log::debug(Channel::service, "late answer to request_id={} ({}) from node_id={} ignored",
                 response.request_id, record.status, node_id);
      // What the node says it applied is its state (it does not report those params
      // again, spec §3.3), as on the paths above; once per record.
      if (outcome == Outcome::expired || first_late_answer)
        return applied_params(record.cmd, response.status, response.data);
      return std::nullopt;
    case Outcome::stored:
      break;
  }
  count(record.status);
  announce({record});
  log::info(Channel::service, "command request_id={} node_id={} {} device_status={}",
            record.request_id, node_id, record.status, response.status);
  // Set params (spec §3.3): the node does not re-report what it changed this way.
  if (record.status != kSuccess || !record.response_data)
    return std::nullopt;
  return applied_params(record.cmd, 0, *record.response_data);
}

Result<std::int64_t> CommandService::expire_due() {
  // Most sweeps find nothing: a read then, not a write transaction.
  auto due = commands_.any_due(now_ms());
  if (!due)
    return fail(due.error());
  if (!*due)
    return std::int64_t{0};
  std::vector<storage::CommandRecord> expired;
  auto r = commands_.write([&](storage::CommandWriter& w) -> Result<void> {
    auto due_now = w.expire_due(now_ms());
    if (!due_now)
      return fail(due_now.error());
    expired = std::move(*due_now);
    return {};
  });
  if (!r)
    return fail(r.error());
  const auto n = static_cast<std::int64_t>(expired.size());
  count(kTimedOut, n);
  announce(expired);
  if (n > 0)
    log::info(Channel::service, "{} command requests timed out", n);
  return n;
}

// --- audited entry points (docs/adr/0015) ----------------------------------------------

Result<CommandCreated> CommandService::create(const Principal& who, const NewCommand& command) {
  auto r = create_unaudited(who, command);
  // One entry per node asked, with that node's own outcome; one for a refused request.
  const std::string detail = "cmd=" + std::to_string(command.cmd) +
                             " data_bytes=" + std::to_string(command.data.size()) +
                             (r ? " request_id=" + r->request_id : std::string());
  if (!r) {
    AuditEntry e = audit_entry(who, "node.command.request", "node", join_list(command.node_ids));
    e.outcome = outcome_of(r.error());
    e.detail = detail;
    audit_.record(std::move(e));
    return r;
  }
  for (const auto& outcome : r->outcomes) {
    AuditEntry e = audit_entry(who, "node.command.request", "node", outcome.node_id);
    if (outcome.error)
      e.outcome = outcome_of(*outcome.error);
    e.detail = detail;
    audit_.record(std::move(e));
  }
  return r;
}

Result<std::int64_t> CommandService::cancel(const Principal& who, std::string_view request_id,
                                            std::string_view node_id) {
  return audited(audit_, who, "node.command.cancel", "command_request", std::string(request_id),
                 cancel_unaudited(who, request_id, node_id),
                 node_id.empty() ? std::string() : "node_id=" + std::string(node_id));
}

}  // namespace stratus::service

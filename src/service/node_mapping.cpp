#include "service/node_mapping.hpp"

#include <algorithm>

#include "auth/secrets.hpp"
#include "log/log.hpp"
#include "service/node_quota.hpp"

namespace stratus::service {

Result<storage::AccessRemoved> MappingMatcher::on_node_report(storage::NodeWriter& w,
                                                              std::string_view node_id,
                                                              const MappingReported& report,
                                                              std::int64_t now_at) const {
  storage::AccessRemoved removed;
  const auto done = [&](Result<void> r) -> Result<storage::AccessRemoved> {
    if (!r)
      return fail(r.error());
    return removed;
  };
  if (report.reset || report.user_id == kResetUserId) {
    auto r = w.remove_all_users(node_id, "the node was reset (user-node mapping with reset)",
                                now_at * 1000);
    if (!r)
      return fail(r.error());
    removed = *r;
    log::info(log::Channel::service,
              "node reset its users node_id={} users={} queued_sets={} commands_cancelled={}",
              node_id, removed.users, removed.desired_discarded, removed.commands_cancelled);
  }
  if (report.user_id == kResetUserId)
    return done(w.remove_node_mapping_report(node_id));
  auto pending = w.pending_mapping_requests(node_id, now_at);
  if (!pending)
    return fail(pending.error());
  for (const auto& request : *pending) {
    if (request.user_id == report.user_id &&
        auth::constant_time_equal(request.secret_key, report.secret_key)) {
      // A user disabled since it asked gets no new node (docs/adr/0036).
      auto active = w.user_active(request.user_id);
      if (!active)
        return fail(active.error());
      if (!*active) {
        log::info(log::Channel::service, "mapping discarded: user disabled node_id={} user_id={}",
                  node_id, request.user_id);
        if (auto r = w.set_mapping_status(request.request_id, "discarded", now_at); !r)
          return fail(r.error());
        return done(w.remove_node_mapping_report(node_id));
      }
      if (auto q = check_node_quota(w, request.user_id, node_id, default_node_quota_); !q) {
        if (q.error().code != errc::forbidden)
          return fail(q.error());
        log::info(log::Channel::service,
                  "mapping discarded: node quota reached node_id={} user_id={}", node_id,
                  request.user_id);
        if (auto r = w.set_mapping_status(request.request_id, "discarded", now_at); !r)
          return fail(r.error());
        return done(w.remove_node_mapping_report(node_id));
      }
      if (auto r = w.add_user(request.user_id, node_id, "primary", now_at); !r)
        return fail(r.error());
      if (auto r = w.set_mapping_status(request.request_id, "confirmed", now_at); !r)
        return fail(r.error());
      log::info(log::Channel::service, "mapping confirmed node_id={} user_id={}", node_id,
                request.user_id);
      return done(w.remove_node_mapping_report(node_id));
    }
  }
  return done(w.put_node_mapping_report(node_id, report.user_id, report.secret_key, now_at));
}

Result<std::string> MappingMatcher::on_user_request(storage::NodeWriter& w,
                                                    const storage::MappingRequest& request,
                                                    std::int64_t now_at) const {
  if (auto q = check_node_quota(w, request.user_id, request.node_id, default_node_quota_); !q)
    return fail(q.error());
  if (auto r = w.put_mapping_request(request); !r)
    return fail(r.error());
  // A node's report counts for as long as a request does (`nodes.mapping_timeout_s`)
  // before the request: a report kept longer, say from before the node changed hands,
  // would otherwise map whoever still knows its old secret.
  const auto timeout = std::max<std::int64_t>(request.expires_at - request.created_at, 0);
  auto node_report = w.node_mapping_report(request.node_id, request.created_at - timeout);
  if (!node_report)
    return fail(node_report.error());
  const auto& report = *node_report;
  if (report && report->first == request.user_id &&
      auth::constant_time_equal(report->second, request.secret_key)) {
    if (auto r = w.ensure_node(request.node_id, now_at); !r)
      return fail(r.error());
    if (auto r = w.add_user(request.user_id, request.node_id, "primary", now_at); !r) {
      return fail(r.error());
    }
    if (auto r = w.set_mapping_status(request.request_id, "confirmed", now_at); !r) {
      return fail(r.error());
    }
    if (auto r = w.remove_node_mapping_report(request.node_id); !r)
      return fail(r.error());
    return std::string("confirmed");
  }
  return std::string("requested");
}

}  // namespace stratus::service

#pragma once
/// @file
/// Node sharing and group sharing (spec rainmaker.md §9.4–9.5; rainmaker-cloud.md §1,
/// §2.6; docs/adr/0009): a primary user shares nodes or groups with another user by a
/// request the recipient accepts or declines; the sender may cancel it; it expires
/// after `SharingOptions::request_lifetime`. Sharing with a user who already has access
/// to everything named applies at once. `transfer` moves the sender's primary role.
///
/// Authorization is checked at every use: accepting re-checks that the sender is still a
/// primary user of each node (or group), and applies only what they still hold. Failures
/// carry the codes of proto::rest::sharing_error (nodes) or group_error (groups); a node
/// the caller has no relation to fails exactly like an unknown node
/// (`node_error::node_not_found`), a group like an unknown group.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/rest/sharing.hpp"
#include "service/account_service.hpp"
#include "service/events.hpp"
#include "service/mailer.hpp"
#include "storage/access_repository.hpp"
#include "storage/account_repository.hpp"

namespace stratus::service {

/// Limits of sharing (rainmaker-cloud.md §1.2, §2.5).
struct SharingOptions {
  std::chrono::seconds request_lifetime = std::chrono::hours(24 * 7);  ///< the CLI assumes 7 days
  std::size_t max_nodes = 100;  ///< nodes per share or unshare
  std::size_t max_groups = 10;  ///< groups per share or unshare
};

/// Thread-safe; calls block (database, mail). Call from the blocking pool.
class SharingService {
 public:
  /// Every request created, answered or cancelled is published to `events` as a
  /// `sharing_request` event for its sender and recipient (data `{"request_id","kind",
  /// "status","items"}`); when access changes (an applied share, an acceptance, an
  /// unshare) the event says so (`access_changed`), so the users' streams re-read it.
  /// Shares, unshares, answers and cancellations are recorded in `audit`
  /// (`sharing.*`, docs/adr/0015).
  SharingService(storage::AccessRepository& access, storage::AccountRepository& accounts,
                 Mailer& mailer, EventPublisher& events, const Clock& clock, AuditLog& audit,
                 SharingOptions options = {});

  /// `PUT …/sharing`: shares `request.ids` with `request.user_name`. Returns the request
  /// id and whether it applied at once. The recipient is mailed about a pending request
  /// (a mail failure is logged; the request stands). Errors: missing ids, too many, a
  /// missing or unknown user name, self-sharing, `sub_role` not 0–4, a bad `new_role`
  /// (invalid_argument / not_found with the kind's code); an id the caller cannot see
  /// (not_found); a node or group the caller is not a primary user of (forbidden).
  Result<proto::rest::ShareCreated> share(const Principal& who, proto::rest::SharingKind kind,
                                          const proto::rest::ShareRequest& request);

  /// `DELETE …/sharing?nodes|groups=a,b&user_name=`: a primary user removes another
  /// user's direct access; anyone may name themselves to leave. Removing the last primary
  /// user of a node removes every user of it. A user without access is skipped. Errors:
  /// as `share`; `sharing_error::group_derived` (conflict) when the access comes from a
  /// shared group.
  Result<void> unshare(const Principal& who, proto::rest::SharingKind kind,
                       const std::vector<std::string>& ids, std::string_view user_name);

  /// `GET …/sharing[?node_id=|group_id=]`: who has access to the caller's nodes (or
  /// groups), or to `only_id`. Secondary users are listed only to a primary caller (a
  /// secondary caller sees itself). Errors: not_found for an `only_id` the caller cannot
  /// see.
  Result<std::vector<proto::rest::SharingUsers>> users(const Principal& who,
                                                       proto::rest::SharingKind kind,
                                                       std::string_view only_id);

  /// `GET …/sharing/requests?primary_user=&request_id=&start_request_id=`: requests sent
  /// by the caller (`sent`) or addressed to it, newest first, `limit` per page (1–100).
  Result<proto::rest::SharingRequestPage> requests(const Principal& who,
                                                   proto::rest::SharingKind kind, bool sent,
                                                   std::string_view request_id,
                                                   std::string_view start_request_id,
                                                   std::size_t limit);

  /// `PUT …/sharing/requests {"accept","request_id"}` by the recipient. Errors: a missing
  /// id or `accept` (invalid_argument); not the caller's or unknown (not_found); declined
  /// (`request_declined`) or otherwise no longer pending, or the sender holds none of it
  /// any more (`request_handled`, conflict).
  Result<void> answer(const Principal& who, proto::rest::SharingKind kind,
                      const proto::rest::SharingAnswer& answer);

  /// `DELETE …/sharing/requests?request_id=` by the sender. Errors as `answer`.
  Result<void> cancel(const Principal& who, proto::rest::SharingKind kind,
                      std::string_view request_id);

 private:
  Result<proto::rest::ShareCreated> share_unaudited(const Principal& who,
                                                    proto::rest::SharingKind kind,
                                                    const proto::rest::ShareRequest& request);
  Result<void> unshare_unaudited(const Principal& who, proto::rest::SharingKind kind,
                                 const std::vector<std::string>& ids, std::string_view user_name);
  Result<void> answer_unaudited(const Principal& who, proto::rest::SharingKind kind,
                                const proto::rest::SharingAnswer& answer);
  Result<void> cancel_unaudited(const Principal& who, proto::rest::SharingKind kind,
                                std::string_view request_id);
  std::int64_t now_s() const;

  storage::AccessRepository& access_;
  storage::AccountRepository& accounts_;
  Mailer& mailer_;
  EventPublisher& events_;
  const Clock& clock_;
  AuditLog& audit_;
  SharingOptions options_;
};

}  // namespace stratus::service

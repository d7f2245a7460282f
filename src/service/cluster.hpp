#pragma once
/// @file
/// The service layer's ports for running as one of several stratusd on one database
/// and one broker (issue 23, docs/adr/0021-several-instances.md):
/// - `Leadership`, "may this instance run the sweeps now?": every instance runs the
///   same background loops; those that act on shared rows without claiming them
///   (webhook delivery, the OTA rollout, daylight automations, the command and
///   retention sweeps) act only on the instance holding the leader lease;
/// - `ChangeNotices`, "tell the other instances that a row they keep in memory
///   changed": webhooks and automations are loaded into memory where they run.
/// Cheap to include.

#include <string_view>

namespace stratus::service {

/// Whether this instance is the leader now. Implementations are thread-safe and never
/// block: `is_leader` reads a flag that a lease keeper maintains elsewhere.
class Leadership {
 public:
  virtual ~Leadership() = default;
  /// True while this instance may run the sweeps. A loop asks before each run; a
  /// lease lost in the middle of one is noticed at the next (the sweeps tolerate being
  /// run twice, ADR 0021 §Leader).
  [[nodiscard]] virtual bool is_leader() const = 0;
};

/// The only instance of an install (SQLite, or one stratusd on PostgreSQL): always the
/// leader.
class SoleInstance final : public Leadership {
 public:
  [[nodiscard]] bool is_leader() const override { return true; }
};

/// The `SoleInstance` that services use when their options name no `Leadership`.
[[nodiscard]] inline const Leadership& sole_instance() {
  static const SoleInstance instance;
  return instance;
}

/// What other instances may keep in memory and must reload when it changes.
enum class Cached {
  webhook,     ///< a webhook's subscription (`WebhookService`)
  automation,  ///< an automation in the engine (`AutomationService`)
};

/// Tells the other instances of a cluster that a row they may keep in memory changed
/// (created, updated, removed or disabled); each reloads it from the database.
/// Implementations are thread-safe and never block on I/O: a notice that cannot be sent
/// is dropped and counted; an instance that missed one reloads everything at its next
/// start (ADR 0021 §Caches).
class ChangeNotices {
 public:
  virtual ~ChangeNotices() = default;
  /// `id`: the webhook or automation id. Called after the change is committed.
  virtual void changed(Cached what, std::string_view id) = 0;
};

/// The account service's rate limits (ADR 0003), as the instances of a cluster share them.
enum class RateLimit {
  login_failures_per_user,  ///< keyed by user name
  attempts_per_address,     ///< keyed by client address
  codes_per_user,           ///< keyed by user name
};

/// Tells the other instances of a cluster that a rate-limited attempt was counted (or a
/// key forgotten, `reset`), so that N instances allow what one would, not N times it.
/// Implementations are thread-safe and never block on I/O; a count that cannot be sent
/// is dropped (the limits are then per instance for that attempt).
class RateShare {
 public:
  virtual ~RateShare() = default;
  virtual void counted(RateLimit limit, std::string_view key, bool reset) = 0;
};

}  // namespace stratus::service

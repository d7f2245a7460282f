#pragma once
/// @file
/// One stratusd's place in a cluster of instances on one PostgreSQL database (issue 23,
/// docs/adr/0021-several-instances.md): an instance slot, and the leader lease that
/// decides which instance runs the sweeps. Both are PostgreSQL session advisory locks
/// held on a connection of their own, so the server releases them the moment that
/// connection ends: a crashed (`kill -9`) instance frees its slot and its lease with
/// its TCP connection, and a survivor takes the lease at its next try.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "storage/postgres/connection.hpp"

namespace stratus::storage::postgres {

/// The advisory lock key of the leader lease ("STRATUS" and 2).
inline constexpr std::int64_t kLeaderLock = 0x5354524154555302;
/// The advisory lock key of instance slot n is `kSlotLock + n` ("STRATUS", 3 and n).
inline constexpr std::int64_t kSlotLock = 0x5354524154550300;
/// Instances one database may serve at once (the event-id stride, ADR 0021).
inline constexpr unsigned kMaxInstances = 16;

/// Thread-safety: `slot` and `is_leader` from any thread; `start` and `stop` by the
/// owner. Metric: gauge `stratus_cluster_leader` (1 while this instance leads).
class ClusterLease {
 public:
  /// Connects to `url` and takes the lowest free instance slot. Errors: as
  /// `Connection::open`; errc::resource_exhausted when `kMaxInstances` instances hold
  /// every slot. `metrics` must outlive the lease. `on_change`, if set, is called on
  /// the lease thread when the lease is taken (true) or lost (false, with why), and
  /// when the slot could not be taken again after a lost connection.
  using OnChange = std::function<void(bool leader, const std::string& why)>;
  static Result<std::unique_ptr<ClusterLease>> open(std::string_view url,
                                                    const OpenOptions& options,
                                                    std::chrono::milliseconds check,
                                                    MetricsRegistry& metrics,
                                                    OnChange on_change = {});
  ~ClusterLease();
  ClusterLease(const ClusterLease&) = delete;
  ClusterLease& operator=(const ClusterLease&) = delete;

  /// This instance's slot, 0 ≤ slot < kMaxInstances: event ids are ≡ slot modulo
  /// kMaxInstances.
  [[nodiscard]] unsigned slot() const { return slot_; }
  /// True while this instance holds the leader lease (as of the last check, at most
  /// `check` ago). Never blocks.
  [[nodiscard]] bool is_leader() const { return leader_.load(std::memory_order_acquire); }

  /// Whether this instance is fit to lead, asked by the lease thread at every check
  /// (e.g. its broker connections are up: a leader that hears no node reports runs no
  /// automations and reaches no node, docs/adr/0021). An unfit instance does not take the
  /// lease, and a leader unfit for longer than `grace` releases it, so that a fit one
  /// takes it (a short blip does not move it). `fit` must be thread-safe and never block.
  /// Call before `start`; unset: always fit.
  void set_fitness(std::function<bool()> fit, std::chrono::milliseconds grace);

  /// Tries for the lease now, then every `check` on a thread of its own; the leader
  /// checks every `check` that its connection (and so its lease) is still there. A
  /// connection lost drops the lease at once; once back, the slot is taken again.
  void start();
  /// Stops trying and releases the lease and the slot (another instance takes the
  /// lease at its next try). Idempotent.
  void stop();

 private:
  ClusterLease(std::unique_ptr<Connection> connection, unsigned slot,
               std::chrono::milliseconds check, MetricsRegistry& metrics, OnChange on_change);
  void run();
  void check_once();
  void set_leader(bool leader, const std::string& why);

  std::unique_ptr<Connection> connection_;  // the lease thread's only, after start
  unsigned slot_;
  std::chrono::milliseconds check_;
  Gauge& leader_gauge_;
  OnChange on_change_;
  std::function<bool()> fit_;
  std::chrono::milliseconds unfit_grace_{0};
  std::optional<std::chrono::steady_clock::time_point> unfit_since_;  // the lease thread's
  std::atomic<bool> leader_{false};
  bool slot_held_ = true;  // false after a lost connection until taken again

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stratus::storage::postgres

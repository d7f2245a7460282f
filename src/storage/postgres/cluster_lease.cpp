#include "storage/postgres/cluster_lease.hpp"

#include "core/thread_name.hpp"

namespace stratus::storage::postgres {
namespace {

// 1 when the session advisory lock `key` was taken (or is already held by this session).
Result<bool> try_lock(sql::Connection& c, std::int64_t key) {
  auto taken = c.query_one(
      "SELECT CASE WHEN pg_try_advisory_lock(?1) THEN 1 ELSE 0 END", {"no answer"},
      [](const sql::Statement& s) { return s.integer(0); }, key);
  if (!taken)
    return fail(taken.error());
  return *taken == 1;
}

}  // namespace

Result<std::unique_ptr<ClusterLease>> ClusterLease::open(std::string_view url,
                                                         const OpenOptions& options,
                                                         std::chrono::milliseconds check,
                                                         MetricsRegistry& metrics,
                                                         OnChange on_change) {
  auto connection = Connection::open(url, options);
  if (!connection)
    return fail(connection.error());
  for (unsigned slot = 0; slot < kMaxInstances; ++slot) {
    auto taken = try_lock(**connection, kSlotLock + slot);
    if (!taken)
      return fail(taken.error());
    if (*taken) {
      return std::unique_ptr<ClusterLease>(
          new ClusterLease(std::move(*connection), slot, check, metrics, std::move(on_change)));
    }
  }
  return fail(errc::resource_exhausted,
              std::to_string(kMaxInstances) + " instances already use this database");
}

ClusterLease::ClusterLease(std::unique_ptr<Connection> connection, unsigned slot,
                           std::chrono::milliseconds check, MetricsRegistry& metrics,
                           OnChange on_change)
    : connection_(std::move(connection)),
      slot_(slot),
      check_(check),
      leader_gauge_(
          metrics.gauge("stratus_cluster_leader",
                        "1 while this instance holds the leader lease (runs the sweeps).")),
      on_change_(std::move(on_change)) {}

ClusterLease::~ClusterLease() {
  stop();
}

void ClusterLease::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] {
    core::name_this_thread("cluster-lease");
    run();
  });
}

void ClusterLease::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (connection_ && leader_.load()) {
    // Released now rather than when the connection closes: the same thing, sooner.
    (void)connection_->query_one(
        "SELECT CASE WHEN pg_advisory_unlock(?1) THEN 1 ELSE 0 END", {"no answer"},
        [](const sql::Statement& s) { return s.integer(0); }, kLeaderLock);
    set_leader(false, "stopping");
  }
  connection_.reset();  // the slot goes with the session
}

void ClusterLease::set_leader(bool leader, const std::string& why) {
  if (leader_.exchange(leader, std::memory_order_acq_rel) == leader)
    return;
  leader_gauge_.set(leader ? 1 : 0);
  if (on_change_)
    on_change_(leader, why);
}

void ClusterLease::set_fitness(std::function<bool()> fit, std::chrono::milliseconds grace) {
  fit_ = std::move(fit);
  unfit_grace_ = grace;
}

void ClusterLease::check_once() {
  if (!slot_held_) {
    // The session that held the slot is gone (and with it the lease): take both again
    // on the new one. Another instance may have taken the slot meanwhile; then this one
    // goes on with it (event ids may repeat across the two, ADR 0021) and says so.
    auto taken = try_lock(*connection_, kSlotLock + slot_);
    if (!taken)
      return;
    slot_held_ = true;
    if (!*taken && on_change_)
      on_change_(false,
                 "instance slot " + std::to_string(slot_) + " was taken by another instance");
  }
  const bool fit = !fit_ || fit_();
  if (fit)
    unfit_since_.reset();
  else if (!unfit_since_)
    unfit_since_ = std::chrono::steady_clock::now();
  if (leader_.load(std::memory_order_acquire)) {
    if (auto alive = connection_->ping(); !alive) {
      slot_held_ = false;
      set_leader(false, "lease connection lost: " + alive.error().message());
      return;
    }
    if (!fit && std::chrono::steady_clock::now() - *unfit_since_ > unfit_grace_) {
      auto released = connection_->query_one(
          "SELECT CASE WHEN pg_advisory_unlock(?1) THEN 1 ELSE 0 END", {"no answer"},
          [](const sql::Statement& s) { return s.integer(0); }, kLeaderLock);
      if (!released)
        slot_held_ = false;  // the session may be gone, and the lease with it
      set_leader(false, "unfit to lead (released the lease for another instance)");
    }
    return;
  }
  if (!fit)
    return;
  auto taken = try_lock(*connection_, kLeaderLock);
  if (!taken) {
    slot_held_ = false;  // a failed statement may mean a new session next time
    return;
  }
  if (*taken)
    set_leader(true, "took the leader lease");
}

void ClusterLease::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    check_once();
    lock.lock();
    wake_.wait_for(lock, check_, [this] { return stopping_; });
  }
}

}  // namespace stratus::storage::postgres

#pragma once
/// @file
/// `QueuedAuditLog`: the `AuditLog` that stratusd uses (docs/adr/0015). `record` stamps
/// and bounds the entry and puts it on an in-memory queue; one writer thread appends
/// queued entries to the `AuditRepository` in batches (one transaction per batch), so an
/// HTTP or MQTT thread never waits for a database commit. Measured in
/// bench/audit/audit_bench.cpp: a synchronous SQLite insert costs a commit per entry,
/// the queue a mutex and a notify.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "service/audit.hpp"
#include "storage/audit_repository.hpp"

namespace stratus::service {

/// Tunables of the queue (not in config: the defaults fit any deployment).
struct AuditLogOptions {
  std::size_t max_queue = 10000;  ///< entries waiting; above it `record` waits (bounded)
  std::size_t max_batch = 256;    ///< entries per transaction
  /// How long `record` waits for room on a full queue before it drops the entry (logged
  /// at error level with its fields and counted in `dropped()`).
  std::chrono::milliseconds enqueue_timeout{200};
};

/// Thread-safe. `start` launches the writer; `stop` (or the destructor) writes what is
/// queued and joins it. Entries recorded before `start` wait on the queue; after `stop`
/// they are written synchronously by the caller (late shutdown paths still get audited).
class QueuedAuditLog final : public AuditLog {
 public:
  /// `repository` and `clock` must outlive this object.
  QueuedAuditLog(storage::AuditRepository& repository, const Clock& clock,
                 AuditLogOptions options = {});
  ~QueuedAuditLog() override;
  QueuedAuditLog(const QueuedAuditLog&) = delete;
  QueuedAuditLog& operator=(const QueuedAuditLog&) = delete;

  /// Stamps `at_ms` (when 0) from the clock, cuts over-long fields (`kMaxAuditDetailBytes`,
  /// `kMaxAuditFieldBytes`) and queues the entry. Returns in microseconds unless the queue
  /// is full (then waits up to `enqueue_timeout`).
  void record(AuditEntry entry) noexcept override;

  /// Starts the writer thread (once).
  void start();
  /// Writes everything queued, then stops the writer. Idempotent.
  void stop();
  /// Waits until every entry recorded before this call has been written (or failed), up
  /// to `timeout`. True when the queue drained. Readers call it so an admin sees the
  /// entries of requests that already answered (read-your-writes on this instance).
  bool flush(std::chrono::milliseconds timeout) noexcept override;

  /// Entries dropped because the queue stayed full.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(); }
  /// Entries whose batch the repository refused (logged at error level, not retried).
  [[nodiscard]] std::uint64_t failed() const noexcept { return failed_.load(); }
  /// Entries written.
  [[nodiscard]] std::uint64_t written() const noexcept { return written_.load(); }

 private:
  void run();
  void write_batch(std::deque<storage::AuditRecord>& batch);

  storage::AuditRepository& repository_;
  const Clock& clock_;
  AuditLogOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable room_or_done_;  // space on the queue, or a batch finished
  std::deque<storage::AuditRecord> queue_;
  std::uint64_t enqueued_ = 0;   // entries ever queued (under mutex_)
  std::uint64_t completed_ = 0;  // entries written or failed (under mutex_)
  bool running_ = false;
  bool stopping_ = false;
  bool writer_done_ = false;  // stop() joined the writer: record() writes synchronously
  std::thread writer_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> written_{0};
};

}  // namespace stratus::service

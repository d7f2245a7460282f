#include "service/audit_log.hpp"

#include <utility>

#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "service/account_service.hpp"

namespace stratus::service {
namespace {

using log::Channel;

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence; marks the cut.
void bound(std::string& text, std::size_t max) {
  if (text.size() <= max)
    return;
  std::size_t end = max - 3;  // room for "…" (3 bytes)
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
  text += "\xE2\x80\xA6";
}

storage::AuditRecord to_record(AuditEntry e) {
  for (std::string* field :
       {&e.actor_id, &e.action, &e.object_kind, &e.object_id, &e.remote_address, &e.outcome})
    bound(*field, kMaxAuditFieldBytes);
  bound(e.detail, kMaxAuditDetailBytes);
  return storage::AuditRecord{0,
                              std::string(to_string(e.actor_kind)),
                              std::move(e.actor_id),
                              std::move(e.action),
                              std::move(e.object_kind),
                              std::move(e.object_id),
                              std::move(e.remote_address),
                              std::move(e.outcome),
                              std::move(e.detail),
                              e.at_ms};
}

void log_lost(const storage::AuditRecord& r, std::string_view why) {
  log::error(Channel::service,
             "audit entry lost ({}) actor={}:{} action={} object={}:{} remote={} outcome={} "
             "at_ms={} detail={}",
             why, r.actor_kind, r.actor_id, r.action, r.object_kind, r.object_id, r.remote_address,
             r.outcome, r.at_ms, r.detail);
}

}  // namespace

std::string_view to_string(ActorKind kind) noexcept {
  switch (kind) {
    case ActorKind::user:
      return "user";
    case ActorKind::admin:
      return "admin";
    case ActorKind::node:
      return "node";
    case ActorKind::system:
      return "system";
  }
  return "system";
}

std::string outcome_of(const Error& error) {
  if (error.reason != 0)
    return "error:" + std::to_string(error.reason);
  return "error:" + std::string(to_string(error.code));
}

AuditEntry audit_entry(const Principal& who, std::string action, std::string object_kind,
                       std::string object_id) {
  AuditEntry e;
  e.actor_kind = who.super_admin ? ActorKind::admin : ActorKind::user;
  e.actor_id = who.user_id;
  e.action = std::move(action);
  e.object_kind = std::move(object_kind);
  e.object_id = std::move(object_id);
  e.remote_address = who.remote_address;
  return e;
}

QueuedAuditLog::QueuedAuditLog(storage::AuditRepository& repository, const Clock& clock,
                               AuditLogOptions options)
    : repository_(repository), clock_(clock), options_(options) {
  if (options_.max_queue == 0)
    options_.max_queue = 1;
  if (options_.max_batch == 0)
    options_.max_batch = 1;
}

QueuedAuditLog::~QueuedAuditLog() {
  stop();
}

void QueuedAuditLog::start() {
  std::lock_guard lock(mutex_);
  if (running_ || stopping_)
    return;
  running_ = true;
  writer_ = std::thread([this] {
    core::name_this_thread("audit");
    run();
  });
}

void QueuedAuditLog::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  wake_writer_.notify_all();
  if (writer_.joinable())
    writer_.join();
  // Never started (or a tool that only reads): write what was queued here.
  std::deque<storage::AuditRecord> rest;
  {
    std::lock_guard lock(mutex_);
    writer_done_ = true;
    rest.swap(queue_);
  }
  while (!rest.empty()) {
    std::deque<storage::AuditRecord> batch;
    while (!rest.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(rest.front()));
      rest.pop_front();
    }
    write_batch(batch);
  }
  room_or_done_.notify_all();
}

void QueuedAuditLog::record(AuditEntry entry) noexcept {
  try {
    if (entry.at_ms == 0) {
      entry.at_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
              .count();
    }
    storage::AuditRecord record = to_record(std::move(entry));
    std::unique_lock lock(mutex_);
    if (writer_done_) {
      // After stop: nobody drains the queue any more, so write it here.
      lock.unlock();
      std::deque<storage::AuditRecord> one;
      one.push_back(std::move(record));
      write_batch(one);
      return;
    }
    if (!room_or_done_.wait_for(lock, options_.enqueue_timeout,
                                [&] { return queue_.size() < options_.max_queue; })) {
      lock.unlock();
      dropped_.fetch_add(1);
      log_lost(record, "queue full");
      return;
    }
    queue_.push_back(std::move(record));
    ++enqueued_;
    lock.unlock();
    wake_writer_.notify_one();
  } catch (...) {
    // Out of memory or a logging failure: the caller's operation goes on regardless.
    dropped_.fetch_add(1);
  }
}

bool QueuedAuditLog::flush(std::chrono::milliseconds timeout) noexcept {
  try {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = enqueued_;
    if (!running_ || stopping_)
      return completed_ >= target;
    return room_or_done_.wait_for(lock, timeout, [&] { return completed_ >= target; });
  } catch (...) {
    return false;
  }
}

void QueuedAuditLog::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_)
      return;
    std::deque<storage::AuditRecord> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const std::size_t n = batch.size();
    lock.unlock();
    room_or_done_.notify_all();  // room on the queue
    write_batch(batch);
    lock.lock();
    completed_ += n;
    room_or_done_.notify_all();  // flushers
  }
}

void QueuedAuditLog::write_batch(std::deque<storage::AuditRecord>& batch) {
  if (batch.empty())
    return;
  std::vector<storage::AuditRecord> rows(std::make_move_iterator(batch.begin()),
                                         std::make_move_iterator(batch.end()));
  auto done = repository_.append(rows);
  if (done) {
    written_.fetch_add(rows.size());
    return;
  }
  failed_.fetch_add(rows.size());
  log::error(Channel::service, "audit batch of {} entries not stored: {}", rows.size(),
             done.error().message());
  for (const auto& r : rows)
    log_lost(r, "storage");
}

}  // namespace stratus::service

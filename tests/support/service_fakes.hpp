#pragma once
/// @file
/// Stand-ins for the service layer's outbound ports in tests that do not look at what
/// goes out (`NoMail`, `NoMessenger`) or look only at the mail (`RecordingMailer`).
/// Header-only (tests/support does not link `service`; the tests that use it do).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

#include "service/audit.hpp"
#include "service/mailer.hpp"
#include "service/node_messenger.hpp"

namespace stratus::test {

/// A mailer that accepts every message and keeps none. Thread-safe (stateless).
class NoMail final : public service::Mailer {
 public:
  Result<void> send(const service::MailMessage&) override { return {}; }
};

/// A messenger that accepts every message and sends none. Thread-safe (stateless).
class NoMessenger final : public service::NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_ota_url(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view, std::string_view) override { return {}; }
};

/// An audit log that keeps every entry in memory, in order (tests that check what was
/// audited read `entries()`; the others just pass it). Thread-safe.
class RecordingAuditLog final : public service::AuditLog {
 public:
  void record(service::AuditEntry entry) noexcept override {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  /// A copy of every entry so far.
  std::vector<service::AuditEntry> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  /// Entries whose action is `action`.
  std::vector<service::AuditEntry> with_action(std::string_view action) const {
    std::lock_guard lock(mutex_);
    std::vector<service::AuditEntry> out;
    for (const auto& e : entries_)
      if (e.action == action)
        out.push_back(e);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<service::AuditEntry> entries_;
};

/// A mailer that keeps every message, in order. Thread-safe.
class RecordingMailer final : public service::Mailer {
 public:
  Result<void> send(const service::MailMessage& message) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(message);
    changed_.notify_all();
    return {};
  }
  /// Waits until `count` messages were sent or `timeout` passed; returns them all.
  std::vector<service::MailMessage> wait_for(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return sent_.size() >= count; });
    return sent_;
  }
  /// What was sent so far.
  std::vector<service::MailMessage> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<service::MailMessage> sent_;
};

}  // namespace stratus::test

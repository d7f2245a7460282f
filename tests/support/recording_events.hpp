#pragma once
/// @file
/// An `EventPublisher` for tests of services: keeps every published event, in order.
/// Header-only (tests/support does not link `service`; the tests that use it do).

#include <mutex>
#include <vector>

#include "service/events.hpp"

namespace stratus::test {

/// Thread-safe.
class RecordingEvents final : public service::EventPublisher {
 public:
  void publish(std::vector<service::EventDraft> events) override {
    std::lock_guard lock(mutex_);
    for (auto& e : events)
      events_.push_back(std::move(e));
  }
  /// A copy of everything published so far.
  [[nodiscard]] std::vector<service::EventDraft> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  /// The events of `kind` published so far.
  [[nodiscard]] std::vector<service::EventDraft> of(proto::rest::EventKind kind) const {
    std::lock_guard lock(mutex_);
    std::vector<service::EventDraft> out;
    for (const auto& e : events_) {
      if (e.kind == kind)
        out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<service::EventDraft> events_;
};

}  // namespace stratus::test

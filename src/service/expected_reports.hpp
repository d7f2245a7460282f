#pragma once
/// @file
/// Interactive reports (docs/adr/0026): the nodes that were just sent a set and whose next
/// params report somebody is waiting for. The ingest writer applies such a report ahead
/// of the bulk queue, so a user's switch answers in milliseconds while a fleet floods
/// telemetry.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/clock.hpp"
#include "core/strings.hpp"
#include "service/node_messenger.hpp"

namespace stratus::service {

/// Limits (config section `nodes`).
struct ExpectedReportsOptions {
  /// A set's answer is expected for this long after the set was sent; a node that does
  /// not report within it is forgotten (`nodes.ingest_interactive_window_ms`).
  std::chrono::milliseconds window{2000};
  /// Nodes expected at once at most; sets beyond it are not expedited (an automation
  /// switching a whole fleet is bulk traffic, not a user waiting).
  std::size_t limit = 10000;
};

/// The set of nodes whose next params report is interactive. Thread-safe: `expect` is
/// called on whichever thread sends a set, `take` by the ingest's submitters, `pending`
/// by its writer. `take` and `pending` cost one atomic load while nothing is expected,
/// so bulk ingest pays nothing for the feature.
class ExpectedReports {
 public:
  ExpectedReports(const Clock& clock, ExpectedReportsOptions options)
      : clock_(clock), options_(options) {}

  /// `node_id` was sent a set now: its next params report within `window` is expected.
  /// Expecting a node again renews its window. Ignored past `limit` nodes.
  void expect(std::string_view node_id);
  /// True, once, if `node_id` is expected and its window has not passed: the report at
  /// hand is the awaited one, and the node is no longer expected.
  bool take(std::string_view node_id);
  /// True if any node is expected (windows that passed are forgotten first).
  bool pending();
  /// Nodes expected now, windows that passed included until the next `pending`.
  [[nodiscard]] std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  void forget_expired(TimePoint now);  // mutex held

  const Clock& clock_;
  ExpectedReportsOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, TimePoint, StringHash, std::equal_to<>> deadlines_;
  /// (deadline, node) in the order they were set: what `forget_expired` walks. A renewed
  /// or taken node leaves a stale entry, skipped when its deadline differs from the map's.
  std::deque<std::pair<TimePoint, std::string>> order_;
  std::atomic<std::size_t> count_{0};
};

/// A `NodeMessenger` that marks every node it sends a set (`params/remote`) to as
/// expected, then sends through `inner`. The mark comes first: the node's answer may
/// arrive before the publish returns. In a cluster, `share` (if set) tells the other
/// instances too, before the publish, since the answer may arrive at any of them
/// (`link::ClusterRelay::expected`). Other publishes pass through unmarked. Thread-safe
/// as `inner` and `share` are. Both references must outlive it.
class ExpectingMessenger final : public NodeMessenger {
 public:
  ExpectingMessenger(NodeMessenger& inner, ExpectedReports& expected,
                     std::function<void(std::string_view node_id)> share = {})
      : inner_(inner), expected_(expected), share_(std::move(share)) {}

  Result<void> publish_params_remote(std::string_view node_id, std::string_view payload) override {
    expected_.expect(node_id);
    if (share_)
      share_(node_id);
    return inner_.publish_params_remote(node_id, payload);
  }
  Result<void> publish_to_node(std::string_view node_id, std::string_view bytes) override {
    return inner_.publish_to_node(node_id, bytes);
  }
  Result<void> publish_ota_url(std::string_view node_id, std::string_view payload) override {
    return inner_.publish_ota_url(node_id, payload);
  }

 private:
  NodeMessenger& inner_;
  ExpectedReports& expected_;
  std::function<void(std::string_view)> share_;
};

}  // namespace stratus::service

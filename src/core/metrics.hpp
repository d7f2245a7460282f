#pragma once
/// @file
/// Process metrics (counters, gauges, histograms) rendered in the Prometheus text
/// exposition format 0.0.4 for `GET /metrics`. Pure: no I/O.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratus {

/// Label pairs of one time series, e.g. {{"route","/healthz"},{"status","200"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  /// Adds `n` (default 1).
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  /// The current count.
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  /// Replaces the value.
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  /// Adds `d` (may be negative).
  void add(std::int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  /// The current value.
  [[nodiscard]] std::int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> value_{0};
};

/// Observations counted by upper bound: a Prometheus histogram (`<name>_bucket{le="…"}`
/// cumulative, `le="+Inf"`, `<name>_sum`, `<name>_count`). A value lands in the first bucket
/// whose bound it does not exceed (`le`: less than or equal); NaN is ignored. Thread-safe,
/// lock-free: `observe` is a short search over the bounds and two relaxed atomic additions,
/// cheap enough for a hot path; a reader may see one observation's count before its sum.
class Histogram {
 public:
  /// `bounds`: the buckets' upper bounds, finite and strictly increasing (asserted: they
  /// are fixed in code); the `+Inf` bucket is implied.
  explicit Histogram(std::vector<double> bounds);
  /// Counts `value` (in the histogram's unit, seconds for latencies).
  void observe(double value) noexcept;

  /// What the histogram held at one moment: `counts[i]` observations in bucket `i` alone
  /// (not cumulative), `counts.back()` the ones above every bound.
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;
    double sum = 0;
    /// The sum of `counts`.
    [[nodiscard]] std::uint64_t count() const noexcept;
  };
  /// The current counts and sum.
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

/// Upper bounds, in seconds, for the latencies of a pipeline stage that should take well
/// under a millisecond and matters once it takes tens: 0.25 ms to 10 s.
inline const std::vector<double>& latency_bounds_seconds() {
  static const std::vector<double> bounds{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,    0.1,    0.25,  0.5,    1,     2.5,  10};
  return bounds;
}

/// Owns every metric of a process. Registration returns a reference that stays
/// valid for the registry's lifetime, so hot paths look a series up once and then
/// only increment. Thread-safe: registration and rendering take a mutex;
/// increments do not.
class MetricsRegistry {
 public:
  /// The counter `name{labels}`, created on first use. `name` must be a valid
  /// Prometheus metric name (asserted); `help` is kept from the first call.
  Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels = {});

  /// The gauge `name{labels}`, created on first use.
  Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});

  /// The histogram `name{labels}` with upper bounds `bounds` (see `Histogram`), created on
  /// first use; a later call for the same series returns it, whatever its `bounds`.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const MetricLabels& labels = {});

  /// A gauge whose value is computed at render time (e.g. uptime). `read` must
  /// be thread-safe and cheap.
  void callback_gauge(std::string_view name, std::string_view help, std::function<double()> read);

  /// A counter whose value is computed at render time (e.g. CPU seconds); `read` must be
  /// thread-safe, cheap and never decrease.
  void callback_counter(std::string_view name, std::string_view help, std::function<double()> read);

  /// All series in Prometheus text format, families sorted by name.
  [[nodiscard]] std::string render_prometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;                                          // "counter" | "gauge" | "histogram"
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::function<double()> read;
  };
  Family& family(std::string_view name, std::string_view help, std::string_view type);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

/// Registers the process metrics of the Prometheus client conventions, read from the
/// kernel at render time: `process_cpu_seconds_total` (user + system CPU of every thread,
/// getrusage) and `process_resident_memory_bytes` (/proc/self/statm; 0 where that file is
/// missing). Call once per registry.
void register_process_metrics(MetricsRegistry& registry);

}  // namespace stratus

#pragma once
/// @file
/// Latency statistics shared by `stratus-bench` and `stratus-tsdata-bench`: percentiles
/// of a sample, rounding for readable result files. Pure; thread-safe.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <vector>

namespace stratus::bench {

/// Percentiles of a sample of latencies, in milliseconds.
struct LatencyStats {
  std::size_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

/// Nearest-rank percentiles of `samples_ms` (sorted in place). All zero when empty.
LatencyStats latency_stats(std::vector<double>& samples_ms);

/// `stats` as a JSON object {count, p50_ms, p90_ms, p99_ms, max_ms, mean_ms}, values
/// rounded to 0.01 ms.
boost::json::object to_json(const LatencyStats& stats);

/// `value` rounded to `digits` decimals, for readable result files.
double rounded(double value, int digits = 2);

/// Milliseconds between two steady-clock instants.
double ms_between(std::chrono::steady_clock::time_point from,
                  std::chrono::steady_clock::time_point to);

}  // namespace stratus::bench

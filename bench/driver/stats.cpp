#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace stratus::bench {

LatencyStats latency_stats(std::vector<double>& samples_ms) {
  LatencyStats s;
  if (samples_ms.empty()) {
    return s;
  }
  std::sort(samples_ms.begin(), samples_ms.end());
  const auto rank = [&](double p) {
    const auto n = static_cast<double>(samples_ms.size());
    const auto i = static_cast<std::size_t>(std::max(1.0, std::ceil(p * n))) - 1;
    return samples_ms[std::min(i, samples_ms.size() - 1)];
  };
  s.count = samples_ms.size();
  s.p50_ms = rank(0.50);
  s.p90_ms = rank(0.90);
  s.p99_ms = rank(0.99);
  s.max_ms = samples_ms.back();
  s.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) /
              static_cast<double>(samples_ms.size());
  return s;
}

double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

boost::json::object to_json(const LatencyStats& s) {
  return {{"count", s.count},
          {"p50_ms", rounded(s.p50_ms)},
          {"p90_ms", rounded(s.p90_ms)},
          {"p99_ms", rounded(s.p99_ms)},
          {"max_ms", rounded(s.max_ms)},
          {"mean_ms", rounded(s.mean_ms)}};
}

double ms_between(std::chrono::steady_clock::time_point from,
                  std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace stratus::bench

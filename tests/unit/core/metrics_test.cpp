// Proves that metrics render in the Prometheus text format with escaped labels, and that a
// histogram counts each value in the first bucket whose bound it does not exceed.
// How: registers counters/gauges/histograms, updates them, compares the rendered text.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace stratus {
namespace {

TEST(Metrics, RendersCountersWithLabelsSortedByFamily) {
  MetricsRegistry registry;
  registry.counter("b_total", "B things", {{"route", "/x"}, {"status", "200"}}).inc(3);
  registry.counter("a_total", "A things").inc();
  const std::string text = registry.render_prometheus();
  EXPECT_EQ(text,
            "# HELP a_total A things\n# TYPE a_total counter\na_total 1\n"
            "# HELP b_total B things\n# TYPE b_total counter\n"
            "b_total{route=\"/x\",status=\"200\"} 3\n");
}

TEST(Metrics, SameSeriesIsTheSameObject) {
  MetricsRegistry registry;
  Counter& a = registry.counter("c_total", "c", {{"k", "v"}});
  Counter& b = registry.counter("c_total", "c", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &registry.counter("c_total", "c", {{"k", "w"}}));
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.gauge("g", "gauge", {{"path", "a\"b\\c\nd"}}).set(-2);
  EXPECT_NE(registry.render_prometheus().find("g{path=\"a\\\"b\\\\c\\nd\"} -2\n"),
            std::string::npos);
}

TEST(Metrics, CallbackGaugeIsReadAtRenderTime) {
  MetricsRegistry registry;
  double v = 1.5;
  registry.callback_gauge("up_seconds", "uptime", [&] { return v; });
  v = 2.25;
  EXPECT_NE(registry.render_prometheus().find("up_seconds 2.250\n"), std::string::npos);
}

TEST(Metrics, CallbackCounterIsACounter) {
  MetricsRegistry registry;
  registry.callback_counter("work_seconds_total", "work", [] { return 0.5; });
  EXPECT_NE(registry.render_prometheus().find(
                "# TYPE work_seconds_total counter\nwork_seconds_total 0.500\n"),
            std::string::npos);
}

TEST(Metrics, HistogramRendersCumulativeBucketsSumAndCount) {
  MetricsRegistry registry;
  Histogram& h =
      registry.histogram("wait_seconds", "Waits.", {0.001, 0.005, 0.25}, {{"stage", "queue"}});
  h.observe(0.0005);
  h.observe(0.001);  // on a bound: that bucket (le is "less than or equal")
  h.observe(0.003);
  h.observe(7);  // above every bound: only +Inf
  EXPECT_EQ(registry.render_prometheus(),
            "# HELP wait_seconds Waits.\n# TYPE wait_seconds histogram\n"
            "wait_seconds_bucket{stage=\"queue\",le=\"0.001\"} 2\n"
            "wait_seconds_bucket{stage=\"queue\",le=\"0.005\"} 3\n"
            "wait_seconds_bucket{stage=\"queue\",le=\"0.25\"} 3\n"
            "wait_seconds_bucket{stage=\"queue\",le=\"+Inf\"} 4\n"
            "wait_seconds_sum{stage=\"queue\"} 7.0045\n"
            "wait_seconds_count{stage=\"queue\"} 4\n");
}

TEST(Metrics, HistogramWithoutLabelsAndEdgeValues) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("size_bytes", "Sizes.", {1, 2});
  h.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  h.observe(-3);                                        // below the first bound: the first bucket
  h.observe(std::numeric_limits<double>::infinity());
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{1, 0, 1}));
  EXPECT_EQ(s.count(), 2U);
  const auto text = registry.render_prometheus();
  EXPECT_NE(text.find("size_bytes_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("size_bytes_bucket{le=\"+Inf\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("size_bytes_sum +Inf\n"), std::string::npos) << text;
  EXPECT_EQ(&h, &registry.histogram("size_bytes", "Sizes.", {5}));  // the same series
}

TEST(Metrics, HistogramCountsEveryObservationFromManyThreads) {
  Histogram h(latency_bounds_seconds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i)
        h.observe(0.0001 * (t + 1));  // 0.1–0.4 ms: the first two buckets
    });
  for (auto& t : threads)
    t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count(), 40000U);
  EXPECT_EQ(s.counts[0], 20000U);  // 0.1, 0.2 ms ≤ 0.25 ms
  EXPECT_EQ(s.counts[1], 20000U);  // 0.3, 0.4 ms ≤ 0.5 ms
  EXPECT_NEAR(s.sum, 10000 * (0.0001 + 0.0002 + 0.0003 + 0.0004), 1e-9);
}

TEST(Metrics, ProcessMetricsReadThisProcess) {
  MetricsRegistry registry;
  register_process_metrics(registry);
  // Burn a little CPU so the counter is above zero whatever the clock granularity.
  volatile std::uint64_t x = 0;
  for (std::uint64_t i = 0; i < 20'000'000; ++i)
    x = x + i;
  const auto page = registry.render_prometheus();
  const auto value = [&](std::string_view name) {
    // The sample line, not the `# HELP`/`# TYPE` lines that also name the metric.
    const auto at = page.find('\n' + std::string(name) + ' ');
    EXPECT_NE(at, std::string::npos) << name;
    return at == std::string::npos ? -1.0 : std::stod(page.substr(at + name.size() + 2));
  };
  EXPECT_GT(value("process_cpu_seconds_total"), 0.0);
  // A test binary holds more than a megabyte and less than a terabyte.
  EXPECT_GT(value("process_resident_memory_bytes"), 1e6);
  EXPECT_LT(value("process_resident_memory_bytes"), 1e12);
}

}  // namespace
}  // namespace stratus

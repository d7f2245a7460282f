// Proves that metrics render in the Prometheus text format with escaped labels.
// How: registers counters/gauges, increments them, compares the rendered text.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

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

// Proves that metrics render in the Prometheus text format with escaped labels.
// How: registers counters/gauges, increments them, compares the rendered text.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace stratus

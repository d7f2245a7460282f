#include "core/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/assert.hpp"

namespace stratus {
namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty())
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0))
      return false;
  }
  return true;
}

// Label values are escaped as the exposition format requires: \\, \" and \n.
std::string render_labels(const MetricLabels& labels) {
  if (labels.empty())
    return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0)
      out += ',';
    out += labels[i].first;
    out += "=\"";
    for (const char c : labels[i].second) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

// A bound or a sum as the exposition format writes floats: the shortest form that reads
// back the same (0.005, not 0.0050000000000000001), as `std::to_chars` gives it.
std::string render_double(double v) {
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[32];  // a double's shortest form takes at most 24 characters
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// `labels` (rendered, possibly empty) with one more pair appended.
std::string with_label(const std::string& labels, std::string_view key, const std::string& value) {
  std::string pair = std::string(key) + "=\"" + value + '"';
  if (labels.empty())
    return '{' + pair + '}';
  return labels.substr(0, labels.size() - 1) + ',' + pair + '}';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    STRATUS_ASSERT(std::isfinite(bounds_[i]), "histogram bounds are finite");
    STRATUS_ASSERT(i == 0 || bounds_[i - 1] < bounds_[i], "histogram bounds increase");
  }
}

void Histogram::observe(double value) noexcept {
  if (std::isnan(value))
    return;
  const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(at)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i < s.counts.size(); ++i)
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::uint64_t Histogram::Snapshot::count() const noexcept {
  std::uint64_t n = 0;
  for (const auto c : counts)
    n += c;
  return n;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 std::string_view type) {
  STRATUS_ASSERT(valid_metric_name(name), "metric names are fixed in code");
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
    it->second.type = std::string(type);
  }
  STRATUS_ASSERT(it->second.type == type, "one metric name, one type");
  return it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "counter").counters[render_labels(labels)];
  if (!slot)
    slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "gauge").gauges[render_labels(labels)];
  if (!slot)
    slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds, const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "histogram").histograms[render_labels(labels)];
  if (!slot)
    slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void MetricsRegistry::callback_gauge(std::string_view name, std::string_view help,
                                     std::function<double()> read) {
  std::lock_guard lock(mutex_);
  family(name, help, "gauge").read = std::move(read);
}

void MetricsRegistry::callback_counter(std::string_view name, std::string_view help,
                                       std::function<double()> read) {
  std::lock_guard lock(mutex_);
  family(name, help, "counter").read = std::move(read);
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(families_.size() * 128);
  for (const auto& [name, fam] : families_) {
    out += "# HELP " + name + ' ' + fam.help + '\n';
    out += "# TYPE " + name + ' ' + fam.type + '\n';
    for (const auto& [labels, c] : fam.counters) {
      out += name + labels + ' ' + std::to_string(c->value()) + '\n';
    }
    for (const auto& [labels, g] : fam.gauges) {
      out += name + labels + ' ' + std::to_string(g->value()) + '\n';
    }
    for (const auto& [labels, h] : fam.histograms) {
      const auto s = h->snapshot();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < s.counts.size(); ++i) {
        cumulative += s.counts[i];
        const std::string le = i < s.bounds.size() ? render_double(s.bounds[i]) : "+Inf";
        out += name + "_bucket" + with_label(labels, "le", le) + ' ' + std::to_string(cumulative) +
               '\n';
      }
      out += name + "_sum" + labels + ' ' + render_double(s.sum) + '\n';
      out += name + "_count" + labels + ' ' + std::to_string(cumulative) + '\n';
    }
    if (fam.read) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", fam.read());
      out += name + ' ' + buf + '\n';
    }
  }
  return out;
}

void register_process_metrics(MetricsRegistry& registry) {
  registry.callback_counter(
      "process_cpu_seconds_total", "User and system CPU time of the process, in seconds.", [] {
        rusage usage{};
        if (::getrusage(RUSAGE_SELF, &usage) != 0)
          return 0.0;
        const auto seconds = [](const timeval& t) {
          return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
        };
        return seconds(usage.ru_utime) + seconds(usage.ru_stime);
      });
  registry.callback_gauge("process_resident_memory_bytes", "Resident memory of the process.", [] {
    // /proc/self/statm: size resident shared text lib data dt, in pages.
    std::ifstream statm("/proc/self/statm");
    long long size = 0;
    long long resident = 0;
    if (!(statm >> size >> resident))
      return 0.0;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  });
}

}  // namespace stratus

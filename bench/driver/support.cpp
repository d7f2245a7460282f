#include "support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

namespace stratus::bench {
namespace {

// The newest verification code mailed to `user` in `<data_dir>/outbox`, or "".
std::string outbox_code(const std::filesystem::path& data_dir, const std::string& user) {
  std::filesystem::file_time_type newest{};
  std::string code;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(data_dir / "outbox", ec)) {
    const std::string text = read_text(f.path());
    if (text.find("To: " + user + "\n") == std::string::npos) {
      continue;
    }
    constexpr std::string_view kMarker = "Verification code: ";
    const auto at = text.find(kMarker);
    if (at != std::string::npos && (code.empty() || f.last_write_time() >= newest)) {
      newest = f.last_write_time();
      code = text.substr(at + kMarker.size(), 6);
    }
  }
  return code;
}

}  // namespace

Result<client::Session> open_session(const Target& target) {
  client::SessionOptions options;
  options.url = target.server;
  options.ca_file = target.ca_file;
  return client::Session::open(options);
}

Result<client::Session> bench_session(const Target& target) {
  auto session = open_session(target);
  if (!session) {
    return fail(std::move(session).error());
  }
  if (auto in = session->login(target.user, target.password); in) {
    return session;
  }
  // Not known yet (or not verified): sign up with the code from the outbox, then log in.
  if (auto up = session->sign_up(target.user, target.password); !up) {
    return fail(up.error().code, "sign-up of " + target.user + ": " + up.error().context);
  }
  const auto code = outbox_code(target.data_dir, target.user);
  if (code.empty()) {
    return fail(errc::not_found,
                "no verification code for " + target.user + " in " + target.data_dir + "/outbox");
  }
  if (auto ok = session->confirm_sign_up(target.user, code); !ok) {
    return fail(std::move(ok).error());
  }
  if (auto in = session->login(target.user, target.password); !in) {
    return fail(std::move(in).error());
  }
  return session;
}

std::optional<double> metric_value(std::string_view page, std::string_view series) {
  std::size_t at = 0;
  while ((at = page.find(series, at)) != std::string_view::npos) {
    const bool line_start = at == 0 || page[at - 1] == '\n';
    const auto after = at + series.size();
    if (line_start && after < page.size() && page[after] == ' ') {
      const auto end = page.find('\n', after);
      const std::string number(page.substr(
          after + 1, end == std::string_view::npos ? std::string_view::npos : end - after - 1));
      try {
        return std::stod(number);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    at = after;
  }
  return std::nullopt;
}

std::vector<std::pair<double, double>> metric_histogram(std::string_view page,
                                                        std::string_view name) {
  std::vector<std::pair<double, double>> buckets;
  const std::string prefix = std::string(name) + "_bucket{le=\"";
  for (std::size_t at = page.find(prefix); at != std::string_view::npos;
       at = page.find(prefix, at + 1)) {
    if (at != 0 && page[at - 1] != '\n')
      continue;
    const auto le_at = at + prefix.size();
    const auto end = std::min(page.find('\n', le_at), page.size());
    const auto quote = page.find("\"} ", le_at);
    if (quote == std::string_view::npos || quote > end)
      continue;
    const std::string le(page.substr(le_at, quote - le_at));
    const std::string count(page.substr(quote + 3, end - quote - 3));
    try {
      buckets.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le),
                           std::stod(count));
    } catch (const std::exception&) {
      return {};
    }
  }
  return buckets;
}

boost::json::object histogram_window(std::string_view before, std::string_view after,
                                     std::string_view name) {
  const auto b0 = metric_histogram(before, name);
  const auto b1 = metric_histogram(after, name);
  if (b1.empty() || b0.size() != b1.size())
    return {{"count", 0}};
  const double count = b1.back().second - b0.back().second;
  if (count <= 0)
    return {{"count", 0}};
  const auto cumulative = [&](std::size_t i) { return b1[i].second - b0[i].second; };
  // The bound under which a share `q` of the window's observations fell, in ms.
  const auto quantile_le = [&](double q) -> boost::json::value {
    for (std::size_t i = 0; i < b1.size(); ++i) {
      if (cumulative(i) >= q * count)
        return std::isinf(b1[i].first) ? boost::json::value("+Inf")
                                       : boost::json::value(b1[i].first * 1000);
    }
    return "+Inf";
  };
  const auto share_over = [&](double bound) {
    for (std::size_t i = 0; i < b1.size(); ++i) {
      if (b1[i].first == bound)
        return std::round((count - cumulative(i)) / count * 1e4) / 1e4;
    }
    return -1.0;
  };
  const std::string sum_series = std::string(name) + "_sum";
  const double sum =
      metric_value(after, sum_series).value_or(0) - metric_value(before, sum_series).value_or(0);
  return {{"count", count},
          {"mean_ms", std::round(sum / count * 1e5) / 100},
          {"p50_le_ms", quantile_le(0.5)},
          {"p99_le_ms", quantile_le(0.99)},
          {"over_5ms", share_over(0.005)},
          {"over_10ms", share_over(0.01)},
          {"over_25ms", share_over(0.025)}};
}

Result<std::string> scrape_metrics(client::Session& session) {
  return session.metrics();
}

std::filesystem::path node_dir(const std::filesystem::path& dir, std::size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "node-%05zu", i);
  return dir / name;
}

Result<std::vector<sim::SwarmNode>> load_swarm_nodes(const std::filesystem::path& dir,
                                                     std::size_t count, const Target& target) {
  std::vector<sim::SwarmNode> nodes;
  nodes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto creds = cli::load_node_credentials(node_dir(dir, i));
    if (!creds) {
      return fail(std::move(creds).error());
    }
    nodes.push_back({creds->node_id, target.mqtt_host,
                     target.mqtt_port != 0 ? target.mqtt_port : creds->mqtt_port,
                     creds->ca_file().string(), creds->cert_file().string(),
                     creds->key_file().string()});
  }
  return nodes;
}

pid_t server_pid(const std::string& data_dir) {
  const std::string text = read_text(std::filesystem::path(data_dir) / "runtime.json");
  constexpr std::string_view kKey = "\"pid\":";
  const auto at = text.find(kKey);
  if (at == std::string::npos) {
    return 0;
  }
  return static_cast<pid_t>(std::strtol(text.c_str() + at + kKey.size(), nullptr, 10));
}

}  // namespace stratus::bench

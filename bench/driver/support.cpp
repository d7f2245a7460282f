#include "support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>

namespace stratus::bench {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

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

std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6));
    }
  }
  return 0;
}

namespace {

// utime + stime of a /proc/<pid>/stat text, in seconds; 0 if it does not parse.
double stat_cpu_seconds(const std::string& stat) {
  // Fields after the command name (which may hold blanks) start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) {
    return 0;
  }
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // state is field 3; utime and stime are fields 14 and 15 (proc(5)).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stoull(field);
    } else if (i == 15) {
      stime = std::stoull(field);
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

double cpu_seconds(pid_t pid) {
  return stat_cpu_seconds(read_text("/proc/" + std::to_string(pid) + "/stat"));
}

std::map<std::string, double> cpu_seconds_by_command() {
  std::map<std::string, double> by_command;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() ||
        !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const std::string stat = read_text(entry.path() / "stat");
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
      continue;  // the process ended while being read
    }
    std::string command = stat.substr(open + 1, close - open - 1);
    if (const auto slash = command.find('/'); slash != std::string::npos) {
      command.resize(slash);
    }
    by_command[command] += stat_cpu_seconds(stat);
  }
  return by_command;
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

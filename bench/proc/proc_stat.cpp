#include "proc_stat.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace stratus::bench {
std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// utime + stime of a /proc/<pid>/stat text whose command name ends at `close` (the last
// ')': the name may hold blanks and parentheses), in seconds; 0 if it does not parse.
double stat_cpu_seconds(const std::string& stat, std::size_t close) {
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

double cpu_seconds(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  return stat_cpu_seconds(stat, stat.rfind(')'));
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
    by_command[command] += stat_cpu_seconds(stat, close);
  }
  return by_command;
}

MachineTicks machine_ticks() {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest time is
  // already counted in user and nice).
  std::istringstream in(read_text("/proc/stat"));
  std::string label;
  in >> label;
  MachineTicks t;
  if (label != "cpu") {
    return t;
  }
  for (int i = 0; i < 8; ++i) {
    std::uint64_t v = 0;
    if (!(in >> v)) {
      return {};
    }
    t.total += v;
    if (i == 7) {
      t.steal = v;
    }
  }
  return t;
}

double steal_percent(const MachineTicks& from, const MachineTicks& to) {
  if (to.total <= from.total || to.steal < from.steal) {
    return 0;
  }
  return 100.0 * static_cast<double>(to.steal - from.steal) /
         static_cast<double>(to.total - from.total);
}

}  // namespace stratus::bench

#include "node_cli/detail/context.hpp"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "core/assert.hpp"

namespace stratus::node_cli::detail {

namespace {
std::atomic<bool> g_stop{false};  // set by SIGINT/SIGTERM while a StopSignals lives
}  // namespace

StopSignals::StopSignals() {
  g_stop = false;
  ::signal(SIGINT, [](int) { g_stop = true; });
  ::signal(SIGTERM, [](int) { g_stop = true; });
}

StopSignals::~StopSignals() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
}

const std::atomic<bool>* StopSignals::flag() const noexcept {
  return &g_stop;
}

void Context::on(CLI::App& command, std::function<int()> handler) {
  command.callback([this, h = std::move(handler)] { chosen_ = h; });
}

int Context::run_chosen() {
  STRATUS_ASSERT(chosen_, "run_chosen without a parsed command");
  return chosen_();
}

int Context::error(const std::string& message) {
  env_.err << "error: " << message << "\n";
  return 1;
}

int Context::error(const Error& e) {
  std::string line = e.context;
  if (e.reason != 0) {
    line += " (code " + std::to_string(e.reason) + ")";
  }
  return error(line);
}

std::optional<std::string> Context::password() {
  if (auto p = env_.getenv("STRATUS_PASSWORD"); p && !p->empty()) {
    return *p;
  }
  if (!env_.read_secret) {
    return std::nullopt;
  }
  return env_.read_secret("Password: ");
}

}  // namespace stratus::node_cli::detail

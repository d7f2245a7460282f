#include "sim/console.hpp"

#include <boost/json/parse.hpp>
#include <system_error>
#include <vector>

#include "core/strings.hpp"

namespace stratus::sim {
namespace {

// Console lines are trimmed of these (not \v or \f).
constexpr std::string_view kBlanks = " \t\r\n";

// Splits off the first blank-separated word.
std::string_view next_word(std::string_view& s) {
  s = trim(s, kBlanks);
  const auto end = s.find_first_of(" \t");
  const auto word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : trim(s.substr(end), kBlanks);
  return word;
}

}  // namespace

std::string_view console_help() noexcept {
  return "add-user <user_id> <secret_key>  map this node to a user (from: stratus test --addnode)\n"
         "set <Device>.<Param> <value>     change a param locally, e.g. set Light.Power true\n"
         "alert <text>                     raise an alert\n"
         "reboot                           reconnect as a new boot\n"
         "status                           connection, counters and params\n"
         "quit                             stop the node\n";
}

Result<ConsoleCommand> parse_console_line(std::string_view line) {
  std::string_view rest = line;
  const auto verb = next_word(rest);
  ConsoleCommand c;
  if (verb.empty()) {
    return fail(errc::invalid_argument, "empty line; type help");
  }
  if (verb == "add-user") {
    const auto user = next_word(rest);
    const auto secret = next_word(rest);
    if (user.empty() || secret.empty() || !rest.empty()) {
      return fail(errc::invalid_argument, "usage: add-user <user_id> <secret_key>");
    }
    c.kind = ConsoleCommand::Kind::add_user;
    c.first = user;
    c.second = secret;
    return c;
  }
  if (verb == "set") {
    const auto target = next_word(rest);
    const auto dot = target.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == target.size() || rest.empty()) {
      return fail(errc::invalid_argument, "usage: set <Device>.<Param> <value>");
    }
    c.kind = ConsoleCommand::Kind::set;
    c.first = target.substr(0, dot);
    c.second = target.substr(dot + 1);
    std::error_code ec;
    auto parsed = boost::json::parse(rest, ec);
    c.value = ec ? boost::json::value(boost::json::string(rest)) : std::move(parsed);
    return c;
  }
  if (verb == "alert") {
    if (rest.empty()) {
      return fail(errc::invalid_argument, "usage: alert <text>");
    }
    c.kind = ConsoleCommand::Kind::alert;
    c.first = rest;
    return c;
  }
  const std::pair<std::string_view, ConsoleCommand::Kind> bare[] = {
      {"reboot", ConsoleCommand::Kind::reboot}, {"status", ConsoleCommand::Kind::status},
      {"help", ConsoleCommand::Kind::help},     {"quit", ConsoleCommand::Kind::quit},
      {"exit", ConsoleCommand::Kind::quit},
  };
  for (const auto& [name, kind] : bare) {
    if (verb == name) {
      if (!rest.empty()) {
        return fail(errc::invalid_argument, "usage: " + std::string(name));
      }
      c.kind = kind;
      return c;
    }
  }
  return fail(errc::invalid_argument, "unknown command \"" + std::string(verb) + "\"; type help");
}

}  // namespace stratus::sim

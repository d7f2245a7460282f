#pragma once
/// @file
/// The line console of a virtual node (`stratus-node run`), modelled on the firmware's
/// console commands: parsing only, so it is tested without a terminal.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::sim {

/// One console command.
struct ConsoleCommand {
  enum class Kind {
    add_user,  ///< `add-user <user_id> <secret_key>`: start user-node mapping (spec §1.3)
    set,       ///< `set <Device>.<Param> <value>`: a local change, reported
    alert,     ///< `alert <text>`: raise an alert
    reboot,    ///< `reboot`: reconnect as a new boot
    status,    ///< `status`: print connection, counters and params
    help,      ///< `help`
    quit,      ///< `quit` / `exit`: stop the node
  };
  Kind kind = Kind::help;
  std::string first;         ///< user id (add_user), device (set), alert text (alert)
  std::string second;        ///< secret key (add_user), param (set)
  boost::json::value value;  ///< set: the value, parsed as JSON, else taken as a string
};

/// Parses one console line (leading and trailing blanks ignored). A `set` value is read as
/// JSON (`true`, `42`, `21.5`, `"text"`, `{"a":1}`); anything that is not JSON is taken as
/// a string (`set Light.Name Desk lamp`). Errors: invalid_argument with a usage line for
/// an empty line, an unknown command or missing arguments.
Result<ConsoleCommand> parse_console_line(std::string_view line);

/// The help text listing every command, one per line.
std::string_view console_help() noexcept;

}  // namespace stratus::sim

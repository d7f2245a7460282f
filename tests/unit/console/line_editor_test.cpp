// TAB completion of the console's line (console/line_editor.hpp, issue 21 item 3): command
// names first, then the command's `key=` names and the ids the map holds, `key=<id>` after
// an `=`, `start`/`stop` after `capture`, command names after `help`. How: `complete` on
// literal lines; the words come from the real command table.
#include "console/line_editor.hpp"

#include <gtest/gtest.h>

#include "console/commands.hpp"

namespace stratus::console {
namespace {

using List = std::vector<std::string>;

CompletionWords words() {
  CompletionWords w;
  w.commands = Console::command_names();
  for (const auto& c : w.commands)
    w.keys[c] = Console::command_keys(c);
  w.ids = {"1000", "1001", "gw-1", "sink0"};
  return w;
}

TEST(Completion, CompletesCommandNamesFirst) {
  EXPECT_EQ(
      complete(words(), "", "scratchpad_u"),
      (List{"scratchpad_update", "scratchpad_update_only_nodes", "scratchpad_update_only_sink",
            "scratchpad_upload", "scratchpad_upload_to_sink"}));
  EXPECT_EQ(complete(words(), "  ", "gatew"), (List{"gateway_configuration", "gateways"}));
  EXPECT_EQ(complete(words(), "help ", "set_s"), (List{"set_sink", "set_sink_config"}));
  EXPECT_TRUE(complete(words(), "", "zzz").empty());
}

TEST(Completion, CompletesKeysAndIdsOfTheCommand) {
  EXPECT_EQ(complete(words(), "send_data ", "dest"),
            (List{"destination_address=", "destination_endpoint="}));
  EXPECT_EQ(complete(words(), "set_gateway ", "g"), (List{"gw-1", "gw_id="}));
  EXPECT_EQ(complete(words(), "track_data_packets ", "source_address=10"),
            (List{"source_address=1000", "source_address=1001"}));
  EXPECT_EQ(complete(words(), "capture ", "st"), (List{"start", "stop"}));
  EXPECT_EQ(complete(words(), "ping ", "t"), (List{"timeout="}));
  EXPECT_EQ(complete(words(), "frobnicate ", "s"), (List{"sink0"}));
}

}  // namespace
}  // namespace stratus::console

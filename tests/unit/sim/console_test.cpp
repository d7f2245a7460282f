// Proves that the virtual node's console understands the firmware-style commands and
// refuses malformed ones with a usage line. How: parse lines and compare.
#include "sim/console.hpp"

#include <gtest/gtest.h>

namespace stratus::sim {
namespace {

TEST(Console, ParsesEveryCommand) {
  auto c = parse_console_line("  add-user 2e31002c secret-9  ");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, ConsoleCommand::Kind::add_user);
  EXPECT_EQ(c->first, "2e31002c");
  EXPECT_EQ(c->second, "secret-9");

  c = parse_console_line("set Light.Brightness 40");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, ConsoleCommand::Kind::set);
  EXPECT_EQ(c->first, "Light");
  EXPECT_EQ(c->second, "Brightness");
  EXPECT_EQ(c->value, 40);

  c = parse_console_line("set Light.Name Desk lamp");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->value, "Desk lamp") << "non-JSON is a string";
  c = parse_console_line("set Temperature Sensor.Temperature 3");
  EXPECT_FALSE(c.has_value()) << "device names with blanks cannot be typed; no guessing";

  c = parse_console_line("alert door open");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, ConsoleCommand::Kind::alert);
  EXPECT_EQ(c->first, "door open");

  EXPECT_EQ(parse_console_line("reboot")->kind, ConsoleCommand::Kind::reboot);
  EXPECT_EQ(parse_console_line("status")->kind, ConsoleCommand::Kind::status);
  EXPECT_EQ(parse_console_line("exit")->kind, ConsoleCommand::Kind::quit);
}

TEST(Console, RefusesMalformedLines) {
  for (const auto* line :
       {"", "   ", "add-user onlyone", "add-user a b c", "set Light 1", "set .Power 1",
        "set Light. 1", "set Light.Power", "alert", "reboot now", "toast"}) {
    const auto c = parse_console_line(line);
    ASSERT_FALSE(c.has_value()) << line;
    EXPECT_EQ(c.error().code, errc::invalid_argument);
    EXPECT_FALSE(c.error().context.empty());
  }
}

}  // namespace
}  // namespace stratus::sim

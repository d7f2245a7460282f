// Proves the stratus-node command's parsing and the failures that need no server: help,
// usage errors (exit 2), missing credentials for run and swarm, claim without a password;
// and that `image build` writes an image whose header says what was asked.
// How: node_cli::run with string streams and an injected environment (no terminal).
#include "node_cli/app.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "proto/esp_image.hpp"
#include "support/temp_dir.hpp"

namespace stratus::node_cli {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run_node_cli(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  Environment env(out, err);
  env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  args.insert(args.begin(), "stratus-node");
  const int status = run(args, env);
  return {status, out.str(), err.str()};
}

TEST(NodeCliApp, HelpAndUsageErrors) {
  auto help = run_node_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command : {"claim", "run", "swarm"})
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  EXPECT_EQ(run_node_cli({}).status, 2);
  EXPECT_EQ(run_node_cli({"bogus"}).status, 2);
  EXPECT_EQ(run_node_cli({"claim"}).status, 2);  // --user_name missing
  EXPECT_EQ(run_node_cli({"swarm", "--count", "0", "--creds-dir", "x"}).status, 2);
}

TEST(NodeCliApp, FailuresPrintOneErrorLine) {
  auto run_missing = run_node_cli({"run", "--creds", "/nonexistent"});
  EXPECT_EQ(run_missing.status, 1);
  EXPECT_EQ(run_missing.err.rfind("error: missing /nonexistent/node.info", 0), 0u)
      << run_missing.err;

  auto swarm = run_node_cli({"swarm", "--creds-dir", "/nonexistent", "--count", "2"});
  EXPECT_EQ(swarm.status, 1);
  EXPECT_EQ(swarm.err,
            "error: no credentials in /nonexistent/node-00000; pass --user_name (and --server) "
            "to claim them\n");

  // Local control and on-network challenge-response: one protocomm_httpd in firmware.
  auto both = run_node_cli({"run", "--creds", "/nonexistent", "--local-ctrl-bind", "127.0.0.1:0",
                            "--chal-resp-bind", "127.0.0.1:0"});
  EXPECT_EQ(both.status, 1);
  EXPECT_EQ(both.err,
            "error: --local-ctrl-bind and --chal-resp-bind exclude each other, as in firmware\n");
  auto bad_bind = run_node_cli({"run", "--creds", "/nonexistent", "--local-ctrl-bind", "8080"});
  EXPECT_EQ(bad_bind.err, "error: --local-ctrl-bind: expected HOST:PORT, got \"8080\"\n");
  auto sec2 = run_node_cli({"run", "--creds", "/nonexistent", "--chal-resp-bind", "127.0.0.1:0",
                            "--chal-resp-sec", "2"});
  EXPECT_EQ(sec2.err, "error: --chal-resp-sec 2 needs --chal-resp-pop\n");
  EXPECT_EQ(run_node_cli({"run", "--creds", "x", "--local-ctrl-sec", "3"}).status, 2);

  auto claim = run_node_cli({"claim", "--user_name", "u", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(claim.status, 1);
  EXPECT_EQ(claim.err, "error: no password: set STRATUS_PASSWORD or run on a terminal\n");
}

TEST(NodeCliApp, ImageBuildWritesAnImageVirtualNodesRead) {
  test::TempDir dir;
  const auto file = dir.path() / "fw.bin";
  auto built =
      run_node_cli({"image", "build", "--version", "1.2.0", "--project", "light", "--chip",
                    "esp32s3", "--size", "40000", "--secure-version", "2", "-o", file.string()});
  ASSERT_EQ(built.status, 0) << built.err;
  EXPECT_NE(built.out.find("wrote " + file.string()), std::string::npos) << built.out;
  const auto bytes = test::read_file(file);
  EXPECT_GE(bytes.size(), 39'000U);
  EXPECT_LE(bytes.size(), 40'016U);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  auto info = proto::parse_esp_image_header({data, bytes.size()});
  ASSERT_TRUE(info.has_value()) << info.error().context;
  EXPECT_EQ(info->version, "1.2.0");
  EXPECT_EQ(info->project_name, "light");
  EXPECT_EQ(info->chip_id, 0x09);
  EXPECT_EQ(info->secure_version, 2U);
  proto::EspImageChecker checker(1U << 24U);
  EXPECT_TRUE(checker.feed({data, bytes.size()}).has_value());
  EXPECT_TRUE(checker.finish().has_value());

  auto bad_chip = run_node_cli({"image", "build", "--version", "1", "--project", "p", "--chip",
                                "esp99", "-o", file.string()});
  EXPECT_EQ(bad_chip.status, 1);
  EXPECT_EQ(bad_chip.err, "error: unknown chip \"esp99\" (esp32, esp32s3, esp32c3, ...)\n");
  auto long_version = run_node_cli(
      {"image", "build", "--version", std::string(40, 'v'), "--project", "p", "-o", file.string()});
  EXPECT_EQ(long_version.status, 1);
  EXPECT_EQ(run_node_cli({"image", "build", "--version", "1"}).status, 2);
}

}  // namespace
}  // namespace stratus::node_cli

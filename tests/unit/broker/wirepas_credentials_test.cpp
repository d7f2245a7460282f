// Proves the Wirepas credentials file is written whole, private, in the plugin's line
// format, and that a malformed entry writes nothing (docs/adr/0018).
#include "broker/wirepas_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace stratus::broker {
namespace {

class WirepasCredentialsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stratus-wirepas-cred-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "wirepas_credentials";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string read() const {
    std::ifstream in(file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path dir_;
  std::filesystem::path file_;
};

const std::string kSalt(32, 'a');
const std::string kMac(64, '0');

TEST_F(WirepasCredentialsFile, OneLinePerCredentialAfterAComment) {
  ASSERT_TRUE(write_wirepas_credentials(
      file_, {{"gateway", "gw-1", kSalt, kMac}, {"operator", "console", kSalt, kMac}}));
  EXPECT_EQ(read(),
            "# Wirepas gateways and operators (role name salt HMAC-SHA-256), written by "
            "stratusd.\n"
            "gateway gw-1 " +
                kSalt + " " + kMac + "\noperator console " + kSalt + " " + kMac + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(file_.string() + ".tmp"));
}

TEST_F(WirepasCredentialsFile, AMalformedEntryWritesNothing) {
  ASSERT_TRUE(write_wirepas_credentials(file_, {{"gateway", "gw-1", kSalt, kMac}}));
  const std::string before = read();
  for (const WirepasBrokerCredential& bad : std::initializer_list<WirepasBrokerCredential>{
           {"admin", "gw-2", kSalt, kMac},
           {"gateway", "gw 2", kSalt, kMac},
           {"gateway", "gw/2", kSalt, kMac},
           {"gateway", "", kSalt, kMac},
           {"gateway", "gw-2", "A" + kSalt.substr(1), kMac},
           {"gateway", "gw-2", kSalt, kMac.substr(1)}}) {
    const auto written = write_wirepas_credentials(file_, {{"operator", "ok", kSalt, kMac}, bad});
    ASSERT_FALSE(written) << bad.role << " " << bad.name;
    EXPECT_EQ(written.error().code, errc::invalid_argument);
    EXPECT_EQ(read(), before);
  }
}

TEST_F(WirepasCredentialsFile, AnUnwritableDirectoryIsUnavailable) {
  const auto written = write_wirepas_credentials(dir_ / "missing" / "file", {});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, errc::unavailable);
}

}  // namespace
}  // namespace stratus::broker

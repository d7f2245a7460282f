// Proves the profile store: the configuration directory rule (XDG_CONFIG_HOME,
// else HOME/.config), the built-in local profile, add/switch/list surviving a
// reopen, private modes (dir 0700, files 0600), per-profile tokens, and clear
// errors for bad names, URLs and damaged files.
// How: a temp dir as XDG_CONFIG_HOME through an injected getenv.
#include "cli/profiles.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

TEST(ConfigDir, XdgFirstThenHome) {
  EXPECT_EQ(*config_dir(env_of({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})), "/x/stratus");
  EXPECT_EQ(*config_dir(env_of({{"XDG_CONFIG_HOME", "relative"}, {"HOME", "/h"}})),
            "/h/.config/stratus");
  EXPECT_EQ(*config_dir(env_of({{"HOME", "/h"}})), "/h/.config/stratus");
  EXPECT_FALSE(config_dir(env_of({})));
}

TEST(ProfileNames, Valid) {
  for (const auto* ok : {"local", "prod-1", "a.b_c", "X"})
    EXPECT_TRUE(valid_profile_name(ok)) << ok;
  for (const auto* bad : {"", ".hidden", "a/b", "a b", "é"})
    EXPECT_FALSE(valid_profile_name(bad)) << bad;
  EXPECT_FALSE(valid_profile_name(std::string(65, 'a')));
}

TEST(ProfileStore, StartsWithTheLocalProfileAndCreatesNothing) {
  test::TempDir dir;
  auto store = ProfileStore::open(dir.path() / "stratus");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->current_name(), "local");
  const auto all = store->list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].url, "http://127.0.0.1:8080");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "stratus"));
  auto missing = store->get("prod");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_NE(missing.error().context.find("stratus profile add prod"), std::string::npos);
}

TEST(ProfileStore, AddSwitchAndReopen) {
  test::TempDir dir;
  const auto root = dir.path() / "stratus";
  const auto ca = dir.path() / "ca.pem";
  std::ofstream(ca) << "pem";
  {
    auto store = ProfileStore::open(root);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(Profile{"prod", "https://cloud.example:8443/v1/", ca.string()}));
    ASSERT_TRUE(store->switch_to("prod"));
    ASSERT_TRUE(store->add(Profile{"local", "http://127.0.0.1:9090", ""}));
  }
  EXPECT_EQ(mode_of(root), 0700u);
  EXPECT_EQ(mode_of(root / "profiles.json"), 0600u);
  auto store = ProfileStore::open(root);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->current_name(), "prod");
  const auto prod = store->get("prod");
  ASSERT_TRUE(prod);
  EXPECT_EQ(prod->url, "https://cloud.example:8443");
  EXPECT_EQ(prod->ca_file, ca.string());
  EXPECT_EQ(store->get("local")->url, "http://127.0.0.1:9090");
  ASSERT_EQ(store->list().size(), 2u);
  EXPECT_EQ(store->list()[0].name, "local");
}

TEST(ProfileStore, RefusesBadInput) {
  test::TempDir dir;
  auto store = ProfileStore::open(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->add(Profile{"a b", "http://h", ""}).error().code, errc::invalid_argument);
  EXPECT_EQ(store->add(Profile{"p", "h:80", ""}).error().code, errc::invalid_argument);
  EXPECT_EQ(store->add(Profile{"p", "http://h", "/no/such/ca.pem"}).error().code,
            errc::invalid_argument);
  EXPECT_EQ(store->switch_to("nope").error().code, errc::not_found);
}

TEST(ProfileStore, DamagedFilesAreNamed) {
  test::TempDir dir;
  std::ofstream(dir.path() / "profiles.json") << "{not json";
  auto store = ProfileStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().context.find("profiles.json"), std::string::npos);
}

TEST(ProfileStore, TokensPerProfile) {
  test::TempDir dir;
  auto store = ProfileStore::open(dir.path() / "stratus");
  ASSERT_TRUE(store);
  EXPECT_FALSE(*store->load_tokens("local"));
  ASSERT_TRUE(store->save_tokens("local", client::Tokens{"id", "access", "refresh"}));
  EXPECT_EQ(mode_of(dir.path() / "stratus" / "tokens"), 0700u);
  EXPECT_EQ(mode_of(store->tokens_path("local")), 0600u);
  auto loaded = store->load_tokens("local");
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->id_token, "id");
  EXPECT_EQ((*loaded)->access_token, "access");
  EXPECT_EQ((*loaded)->refresh_token, "refresh");
  EXPECT_FALSE(*store->load_tokens("other"));
  ASSERT_TRUE(store->remove_tokens("local"));
  EXPECT_FALSE(*store->load_tokens("local"));
  EXPECT_TRUE(store->remove_tokens("local"));  // idempotent

  std::ofstream(store->tokens_path("bad")) << "garbage";
  auto bad = store->load_tokens("bad");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().context.find("stratus login"), std::string::npos);
}

}  // namespace
}  // namespace stratus::cli

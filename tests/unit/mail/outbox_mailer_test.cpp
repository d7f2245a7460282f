// Proves that the outbox mailer writes one complete 0600 file per message with a
// unique name, and refuses header injection. How: real files in a temp dir, a manual clock.
#include "mail/outbox_mailer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace stratus::mail {
namespace {

using namespace std::chrono_literals;

// Tue, 2024-01-02 03:04:05 UTC.
const auto kStart = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} + 3h + 4min + 5s;

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    out.push_back(entry.path());
  return out;
}

// "20240102T030405Z-<8 lower-case hex>.txt" (std::regex trips a GCC 12 -Werror false positive).
bool is_message_name(const std::string& name) {
  const std::string prefix = "20240102T030405Z-";
  if (name.size() != prefix.size() + 8 + 4 || name.rfind(prefix, 0) != 0)
    return false;
  if (name.substr(name.size() - 4) != ".txt")
    return false;
  const std::string hex = name.substr(prefix.size(), 8);
  return hex.find_first_not_of("0123456789abcdef") == std::string::npos;
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777U;
}

TEST(OutboxMailer, WritesOneFileWithHeadersAndBody) {
  test::TempDir tmp;
  ManualClock clock(kStart);
  const auto outbox = tmp.path() / "outbox";
  OutboxMailer mailer(outbox, clock);

  const auto sent = mailer.send({"alice@example.com", "Your code", "Code: 123456\nBye"});
  ASSERT_TRUE(sent.has_value()) << sent.error().message();

  EXPECT_EQ(mode_of(outbox), 0700U);
  const auto files = files_in(outbox);
  ASSERT_EQ(files.size(), 1U);
  EXPECT_TRUE(is_message_name(files[0].filename().string())) << files[0];
  EXPECT_EQ(mode_of(files[0]), 0600U);
  EXPECT_EQ(test::read_file(files[0]),
            "To: alice@example.com\n"
            "Subject: Your code\n"
            "Date: 2024-01-02T03:04:05Z\n"
            "\n"
            "Code: 123456\nBye\n");
}

TEST(OutboxMailer, ManyMessagesFromManyThreadsGetUniqueNames) {
  test::TempDir tmp;
  ManualClock clock(kStart);  // same second for all: only the random suffix differs
  OutboxMailer mailer(tmp.path(), clock);

  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&mailer, t] {
      for (int i = 0; i < per_thread; ++i) {
        const auto r = mailer.send({"+15551234567", "s", "body " + std::to_string(t * 1000 + i)});
        EXPECT_TRUE(r.has_value()) << r.error().message();
      }
    });
  }
  for (auto& w : workers)
    w.join();

  std::set<std::string> names;
  std::set<std::string> bodies;
  for (const auto& f : files_in(tmp.path())) {
    EXPECT_EQ(f.extension(), ".txt") << "left-over temp file " << f;
    names.insert(f.filename().string());
    const auto content = test::read_file(f);
    bodies.insert(content.substr(content.find("\n\n") + 2));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(threads * per_thread));
  EXPECT_EQ(bodies.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(OutboxMailer, HeaderInjectionIsRejectedAndNothingIsWritten) {
  test::TempDir tmp;
  ManualClock clock(kStart);
  OutboxMailer mailer(tmp.path(), clock);

  const auto bad_to = mailer.send({"a@example.com\r\nBcc: evil@example.com", "s", "b"});
  ASSERT_FALSE(bad_to.has_value());
  EXPECT_EQ(bad_to.error().code, errc::invalid_argument);

  const auto bad_subject = mailer.send({"a@example.com", "hi\nBcc: evil@example.com", "b"});
  ASSERT_FALSE(bad_subject.has_value());
  EXPECT_EQ(bad_subject.error().code, errc::invalid_argument);

  EXPECT_TRUE(files_in(tmp.path()).empty());
}

}  // namespace
}  // namespace stratus::mail

// Proves that name_this_thread names only the calling thread, as the kernel reports it in
// /proc/self/task/<tid>/comm, and cuts a long name to the 15 bytes Linux keeps; and that
// set_this_thread_nice changes only the calling thread's nice value, as the kernel reports
// it in /proc/self/task/<tid>/stat, and refuses values outside 0-19. How: a thread names
// itself (or lowers its priority) and reads its own entry; the main thread's is read before
// and after.
#include "core/thread_name.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace stratus::core {
namespace {

std::string comm_of(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// Field 19 of /proc/self/task/<tid>/stat: the nice value. The fields after the name,
// which is in parentheses and may hold spaces, are counted from its closing one.
int nice_of(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 19 && fields >> field; ++i) {
  }
  return std::stoi(field);
}

long this_tid() {
  return syscall(SYS_gettid);
}

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const auto main_tid = this_tid();
  const auto main_before = comm_of(main_tid);
  std::string seen;
  std::thread([&] {
    name_this_thread("ingest-writer");
    seen = comm_of(this_tid());
  }).join();
  EXPECT_EQ(seen, "ingest-writer");
  EXPECT_EQ(comm_of(main_tid), main_before);
}

TEST(ThreadName, CutsToFifteenBytes) {
  std::string seen;
  std::thread([&] {
    name_this_thread("a-name-much-longer-than-fifteen");
    seen = comm_of(this_tid());
  }).join();
  EXPECT_EQ(seen, "a-name-much-lon");
  EXPECT_EQ(seen.size(), 15u);
}

TEST(ThreadNice, LowersTheCallingThreadOnly) {
  const auto main_tid = this_tid();
  const int main_before = nice_of(main_tid);
  ASSERT_EQ(this_thread_nice(), main_before);
  if (main_before > 12)
    GTEST_SKIP() << "the test process already runs at nice " << main_before;
  int seen = -100;
  int reported = -100;
  Result<void> set;
  std::thread([&] {
    set = set_this_thread_nice(main_before + 7);
    seen = nice_of(this_tid());
    reported = this_thread_nice();
  }).join();
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(seen, main_before + 7);
  EXPECT_EQ(reported, main_before + 7);
  EXPECT_EQ(nice_of(main_tid), main_before);
}

TEST(ThreadNice, RefusesValuesOutsideZeroToNineteen) {
  for (const int nice : {-1, 20, -20}) {
    std::thread([&] {
      const int before = this_thread_nice();
      const auto set = set_this_thread_nice(nice);
      ASSERT_FALSE(set) << nice;
      EXPECT_EQ(set.error().code, errc::invalid_argument);
      EXPECT_EQ(this_thread_nice(), before) << "a refused value changes nothing";
    }).join();
  }
}

// The thread's CPU clock counts its own work only: a second thread that sleeps uses almost
// none of it, while the calling thread's grows by at least what it burned.
TEST(ThreadCpu, CountsTheCallingThreadsWorkOnly) {
  const double before = this_thread_cpu_seconds();
  double sleeper = -1;
  std::thread([&] {
    const double start = this_thread_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sleeper = this_thread_cpu_seconds() - start;
  }).join();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  volatile std::uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until)
    x = x + 1;
  const double used = this_thread_cpu_seconds() - before;
  EXPECT_GE(sleeper, 0.0);
  EXPECT_LT(sleeper, 0.010) << "sleeping used CPU";
  // At least a part of 30 ms spinning, whatever else the machine runs; at most its wall time.
  EXPECT_GT(used, 0.001);
  EXPECT_LT(used, 5.0);
}

}  // namespace
}  // namespace stratus::core

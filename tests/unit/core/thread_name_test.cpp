// Proves that name_this_thread names only the calling thread, as the kernel reports it in
// /proc/self/task/<tid>/comm, and cuts a long name to the 15 bytes Linux keeps. How: a
// thread names itself and reads its own comm; the main thread's name is read before and
// after.
#include "core/thread_name.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
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

}  // namespace
}  // namespace stratus::core

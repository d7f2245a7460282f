// mqtt::Client (libmosquitto, one network thread) against a real mosquitto: a tracked
// publish calls back once the broker has acknowledged it, and a No Local subscription
// does not bring back the connection's own messages while another connection's arrive
// (what the cluster relay relies on, docs/adr/0029).
// How: a mosquitto on a free loopback port; callbacks dispatched inline onto the network
// thread and recorded under a mutex; the test thread waits with deadlines.
#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "broker/ports.hpp"
#include "mqtt/client.hpp"
#include "support/temp_dir.hpp"
#include "system/mosquitto_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

// What one client saw, guarded for the network thread and the test thread.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  bool up = false;
  std::vector<std::string> payloads;  // received, in order
  int left = 0;                       // tracked publishes acknowledged

  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, pred);
  }
  template <class F>
  void update(F f) {
    {
      std::lock_guard lock(mutex);
      f();
    }
    changed.notify_all();
  }
};

std::unique_ptr<mqtt::Client> client(std::uint16_t port, const std::string& id, Seen& seen) {
  mqtt::ClientOptions o;
  o.port = port;
  o.client_id = id;
  auto c = mqtt::make_mosquitto_client(o, [](std::function<void()> f) { f(); });
  c->on_connection([&seen](bool up, const std::string&) { seen.update([&] { seen.up = up; }); });
  c->on_message([&seen](const mqtt::Message& m) {
    seen.update([&] { seen.payloads.push_back(m.payload); });
  });
  return c;
}

TEST(MqttClientSystemTest, TrackedPublishesCallBackAndNoLocalLeavesOutOwnMessages) {
  ::signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  auto port = broker::pick_free_port("127.0.0.1");
  ASSERT_TRUE(port.has_value()) << port.error().message();
  MosquittoProcess broker(dir.path(), *port, "allow_anonymous true\n");
  ASSERT_TRUE(broker.start()) << broker.log();

  Seen a_seen, b_seen;
  auto a = client(*port, "relay-a", a_seen);
  auto b = client(*port, "relay-b", b_seen);
  a->subscribe("relay/+", 1, mqtt::SubscribeOptions{.no_local = true});
  b->subscribe("relay/+", 1);  // the default: its own messages come back
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(b->start());
  ASSERT_TRUE(a_seen.wait([&] { return a_seen.up; }));
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.up; }));
  // Each SUBSCRIBE went out before any PUBLISH on its connection: a PUBACK on each means
  // the broker has handled both subscriptions.
  ASSERT_TRUE(a->publish_tracked("sync/a", "", 1, [&] { a_seen.update([&] { ++a_seen.left; }); }));
  ASSERT_TRUE(b->publish_tracked("sync/b", "", 1, [&] { b_seen.update([&] { ++b_seen.left; }); }));
  ASSERT_TRUE(a_seen.wait([&] { return a_seen.left == 1; }));
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.left == 1; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a->publish_tracked("relay/a", "from a " + std::to_string(i), 1,
                                   [&] { a_seen.update([&] { ++a_seen.left; }); }));
  }
  ASSERT_TRUE(a_seen.wait([&] { return a_seen.left == 4; })) << "every PUBACK called back";
  ASSERT_TRUE(
      b->publish_tracked("relay/b", "from b", 1, [&] { b_seen.update([&] { ++b_seen.left; }); }));
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.left == 2; }));

  // The broker routed a's three before b's one (acknowledged first), so once a has b's
  // message, its own would have come before it.
  ASSERT_TRUE(a_seen.wait([&] { return !a_seen.payloads.empty(); }));
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.payloads.size() == 4; }));
  {
    std::lock_guard lock(a_seen.mutex);
    EXPECT_EQ(a_seen.payloads, (std::vector<std::string>{"from b"}));
  }
  {
    std::lock_guard lock(b_seen.mutex);
    EXPECT_EQ(b_seen.payloads,
              (std::vector<std::string>{"from a 0", "from a 1", "from a 2", "from b"}))
        << "without No Local, b's own message came back";
  }
  a->stop();
  b->stop();
}

}  // namespace
}  // namespace stratus::test

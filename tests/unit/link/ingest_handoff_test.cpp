// The ingest handoff end to end below the broker (docs/adr/0025): the plugin's sender
// (src/broker/plugin/ingest_handoff_sender.cpp, compiled into this test) against
// stratusd's receiver over a real Unix socket, feeding the real NodeLink and ingest
// writer on SQLite. Proves: messages arrive in order and are committed; the sender keeps
// everything until it is acknowledged as committed, and sends it again to a restarted
// receiver; resent messages of a session are skipped; a wrong secret, a connection that
// does not start with a hello, and broken framing are refused with nothing stored; the
// sender's buffer bound drops and counts; a handoff link subscribes to no node topics; a
// frame acknowledged while it is being resent is completed before it leaves the buffer;
// an offer the full ingest queue refuses is not counted, so the handoff can keep it; so
// is an OTA status the full OTA queue refuses.
// Also the same frames as a batch on a partitioned instance's topic (docs/adr/0027):
// handled in order, a broken frame ends the batch.
// How: one thread pumps the sender (as mosquitto's tick would) until a condition holds,
// bounded by a deadline.
#include "link/ingest_handoff.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <functional>
#include <thread>

#include "broker/plugin/ingest_handoff_sender.hpp"
#include "core/clock.hpp"
#include "proto/ingest_handoff.hpp"
#include "proto/topic_rules.hpp"
#include "proto/topics.hpp"
#include "server/file_ota_image_store.hpp"
#include "service/command_service.hpp"
#include "service/event_hub.hpp"
#include "service/ota_service.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/ota_repository.hpp"
#include "support/recording_events.hpp"
#include "support/recording_mqtt_client.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::link {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using broker::IngestHandoffOptions;
using broker::IngestHandoffSender;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

class IngestHandoffTest : public ::testing::Test {
 protected:
  IngestHandoffTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        nodes_(db_),
        command_repository_(db_),
        commands_(command_repository_, nodes_, accounts_, messenger_, events_, clock_, metrics_, {},
                  audit_),
        ingest_(nodes_, messenger_, commands_, events_, clock_, metrics_,
                service::IngestOptions{100000, 500, 1ms}),
        link_(client_, ingest_, clock_, metrics_, 256 * 1024, proto::kDefaultMaxTsRecords, nullptr,
              {}, true) {
    ingest_.start();
  }
  ~IngestHandoffTest() override { ingest_.stop(); }

  std::unique_ptr<IngestHandoffReceiver> receiver(std::string secret = std::string(kSecret)) {
    auto r = std::make_unique<IngestHandoffReceiver>(
        IngestHandoffReceiverOptions{.socket_path = socket_, .secret = std::move(secret)}, link_,
        ingest_, metrics_);
    EXPECT_TRUE(r->start());
    return r;
  }

  IngestHandoffSender sender(std::size_t max_pending = std::size_t{64} << 20,
                             std::uint64_t session = 42) {
    IngestHandoffOptions o;
    o.socket_path = socket_.string();
    o.secret = std::string(kSecret);
    o.session = session;
    o.max_pending_bytes = max_pending;
    o.reconnect_interval = 5ms;
    return IngestHandoffSender(std::move(o));
  }

  // Pumps `s` every millisecond until `done` holds; false after 10 s.
  static bool pump_until(IngestHandoffSender& s, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      s.pump(std::chrono::steady_clock::now());
      if (done())
        return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }

  static bool wait_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  std::optional<std::string> params(const std::string& node) {
    std::optional<std::string> out;
    EXPECT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      auto p = w.params(node);
      if (!p)
        return fail(p.error());
      out = *p;
      return {};
    }));
    return out;
  }

  // A client connection to the receiver's socket, as the plugin opens it; -1 (and a test
  // failure) when it cannot connect.
  int raw_connection() const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket_.c_str(), sizeof(a.sun_path) - 1);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
      ADD_FAILURE() << "cannot connect to " << socket_;
      if (fd >= 0)
        ::close(fd);
      return -1;
    }
    return fd;
  }

  static void send_all(int fd, const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  std::uint64_t counter(std::string_view name) { return metrics_.counter(name, "").value(); }

  test::TempDir dir_;
  std::filesystem::path socket_ = dir_.path() / "ingest.sock";
  ManualClock clock_;
  test::RecordingAuditLog audit_;
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlCommandRepository command_repository_;
  test::NoMessenger messenger_;
  test::RecordingEvents events_;
  service::CommandService commands_;
  service::NodeIngest ingest_;
  test::RecordingClient client_;
  NodeLink link_;
};

TEST_F(IngestHandoffTest, ALinkFedByTheHandoffSubscribesToNoNodeTopics) {
  EXPECT_EQ(client_.filters, (std::vector<std::string>{std::string(proto::kPresenceTopicFilter)}));
}

// Partitioned node traffic (docs/adr/0027): the plugin sends an instance its nodes'
// messages as handoff `message` frames in one PUBLISH on its batch topic; the link
// subscribes that topic alone and handles each frame as the message it carries, in order.
TEST_F(IngestHandoffTest, ABatchOnThePartitionTopicIsHandledFrameByFrameInOrder) {
  test::RecordingClient batch_client;
  NodeLinkCluster cluster;
  cluster.share_group = "stratus";
  cluster.batch_topic = proto::cluster_batch_topic("stratusd-a");
  NodeLink batch_link(batch_client, ingest_, clock_, metrics_, 256, proto::kDefaultMaxTsRecords,
                      nullptr, std::move(cluster), false);
  EXPECT_EQ(batch_client.filters,
            (std::vector<std::string>{"stratus-batch/stratusd-a",
                                      std::string(proto::kPresenceTopicFilter)}));

  // 200 reports of one node in one batch, both topic forms, larger together than the
  // link's 256-byte payload limit (which applies to each message, not to the batch).
  std::string batch;
  for (int i = 1; i <= 200; ++i) {
    const std::string topic =
        i % 2 == 0 ? "node/n1/params/local" : "$aws/rules/esp_set_params/node/n1/params/local";
    ASSERT_TRUE(proto::append_handoff_message(
        batch, 0, topic, R"({"Light":{"Brightness":)" + std::to_string(i) + "}}"));
  }
  batch_link.on_message({"stratus-batch/stratusd-a", batch, 1, false});
  ASSERT_TRUE(wait_until([&] {
    const auto p = params("n1");
    return p && p->find(R"("Brightness":200)") != std::string::npos;
  })) << params("n1").value_or("(none)");

  // A batch whose third frame is cut short: the two before it stand, the rest is dropped
  // and counted; the same bytes on another topic are not a batch.
  std::string broken;
  ASSERT_TRUE(proto::append_handoff_message(broken, 0, "node/n2/params/local",
                                            R"({"Light":{"Brightness":1}})"));
  ASSERT_TRUE(proto::append_handoff_message(broken, 0, "node/n2/params/local",
                                            R"({"Light":{"Brightness":2}})"));
  std::string third;
  ASSERT_TRUE(proto::append_handoff_message(third, 0, "node/n2/params/local",
                                            R"({"Light":{"Brightness":3}})"));
  broken += third.substr(0, third.size() - 1);
  const auto malformed = [&] {
    return metrics_.counter("stratus_link_dropped_total", "", {{"reason", "malformed"}}).value();
  };
  const auto malformed_before = malformed();
  batch_link.on_message({"stratus-batch/stratusd-a", broken, 1, false});
  EXPECT_EQ(malformed(), malformed_before + 1);
  ASSERT_TRUE(wait_until([&] {
    const auto p = params("n2");
    return p && p->find(R"("Brightness":2)") != std::string::npos;
  })) << params("n2").value_or("(none)");
  std::string other;
  ASSERT_TRUE(proto::append_handoff_message(other, 0, "node/n3/params/local", "{}"));
  const auto unknown = [&] {
    return metrics_.counter("stratus_link_dropped_total", "", {{"reason", "unknown_topic"}})
        .value();
  };
  const auto unknown_before = unknown();
  batch_link.on_message({"stratus-batch/stratusd-b", other, 1, false});
  EXPECT_EQ(unknown(), unknown_before + 1);
  ASSERT_TRUE(ingest_.flush(5s));
  EXPECT_NE(params("n2").value_or("").find(R"("Brightness":2)"), std::string::npos);
}

TEST_F(IngestHandoffTest, DeliversInOrderAndForgetsOnlyWhatIsCommitted) {
  auto r = receiver();
  auto s = sender();
  // 2 000 reports of one node, both topic forms; the last one wins.
  for (int i = 1; i <= 2000; ++i) {
    const std::string topic =
        i % 2 == 0 ? "node/n1/params/local" : "$aws/rules/esp_set_params/node/n1/params/local";
    ASSERT_TRUE(s.enqueue(topic, R"({"Light":{"Brightness":)" + std::to_string(i) + "}}"));
  }
  ASSERT_GT(s.unacknowledged_bytes(), 0u);
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "only the owner may connect";
  ASSERT_TRUE(pump_until(s, [&] { return s.unacknowledged_bytes() == 0; }));
  // Acknowledged means committed: the value is readable now, with no flush.
  const auto p = params("n1");
  ASSERT_TRUE(p);
  EXPECT_EQ(json::parse(*p).at("Light").at("Brightness").as_int64(), 2000);
  EXPECT_EQ(counter("stratus_handoff_messages_total"), 2000u);
  EXPECT_TRUE(r->connected());
  EXPECT_EQ(s.dropped(), 0u);
}

TEST_F(IngestHandoffTest, KeepsMessagesWhileStratusdIsAwayAndSendsThemToTheNextOne) {
  auto s = sender();
  // No receiver yet: connecting fails, the messages wait.
  ASSERT_TRUE(s.enqueue("node/n2/params/local", R"({"Light":{"Power":true}})"));
  s.pump(std::chrono::steady_clock::now());
  EXPECT_FALSE(s.connected());
  EXPECT_GT(s.unacknowledged_bytes(), 0u);

  auto first = receiver();
  ASSERT_TRUE(pump_until(s, [&] { return s.unacknowledged_bytes() == 0; }));
  EXPECT_EQ(params("n2"), R"({"Light":{"Power":true}})");

  // stratusd stops; what arrives meanwhile is kept and goes to the next stratusd.
  first->stop();
  first.reset();
  ASSERT_TRUE(s.enqueue("node/n2/params/local", R"({"Light":{"Power":false}})"));
  ASSERT_TRUE(pump_until(s, [&] { return !s.connected(); }));
  EXPECT_GT(s.unacknowledged_bytes(), 0u);
  auto second = receiver();
  ASSERT_TRUE(pump_until(s, [&] { return s.unacknowledged_bytes() == 0; }));
  EXPECT_EQ(params("n2"), R"({"Light":{"Power":false}})");
}

TEST_F(IngestHandoffTest, SkipsWhatASessionSendsAgainAfterAReconnect) {
  auto r = receiver();
  // The plugin's side of a connection that broke before the ack arrived: sequences 1-3,
  // then the same three again on a new connection, then 4.
  std::string first;
  proto::append_handoff_hello(first, 9, kSecret);
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    ASSERT_TRUE(proto::append_handoff_message(first, seq, "node/n3/alert",
                                              R"({"msg":"a)" + std::to_string(seq) + "\"}"));
  }
  int fd = raw_connection();
  ASSERT_GE(fd, 0);
  send_all(fd, first);
  ASSERT_TRUE(wait_until([&] { return counter("stratus_handoff_messages_total") == 3; }));
  ::close(fd);
  std::string again = first;
  ASSERT_TRUE(proto::append_handoff_message(again, 4, "node/n3/alert", R"({"msg":"a4"})"));
  fd = raw_connection();
  ASSERT_GE(fd, 0);
  send_all(fd, again);
  ASSERT_TRUE(wait_until([&] { return counter("stratus_handoff_messages_total") == 4; }));
  EXPECT_EQ(counter("stratus_handoff_duplicates_total"), 3u);
  // The acks, cumulative, reach 4.
  std::string in;
  std::uint64_t acked = 0;
  while (acked < 4) {
    char buf[64];
    const auto n = ::recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0);
    in.append(buf, static_cast<std::size_t>(n));
    for (auto d = proto::next_handoff_frame(in); d.status == proto::HandoffDecode::Status::frame;
         d = proto::next_handoff_frame(in)) {
      ASSERT_EQ(d.frame.kind, proto::HandoffKind::ack);
      acked = *proto::parse_handoff_ack(d.frame.body);
      in.erase(0, d.frame.size);
    }
  }
  ::close(fd);
  ASSERT_TRUE(ingest_.flush(5s));
  // One alert per message, none twice.
  EXPECT_EQ(events_.of(proto::rest::EventKind::alert).size(), 4u);
}

TEST_F(IngestHandoffTest, RefusesAWrongSecretAndStoresNothing) {
  auto r = receiver("another secret entirely, not the plugin's one");
  auto s = sender();
  ASSERT_TRUE(s.enqueue("node/n4/params/local", R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(pump_until(s, [&] { return counter("stratus_handoff_refused_total") >= 1; }));
  EXPECT_FALSE(r->connected());
  EXPECT_GT(s.unacknowledged_bytes(), 0u);  // kept for a stratusd that accepts it
  ASSERT_TRUE(ingest_.flush(5s));
  EXPECT_EQ(params("n4"), std::nullopt);
  EXPECT_EQ(counter("stratus_handoff_messages_total"), 0u);
}

TEST_F(IngestHandoffTest, ClosesConnectionsThatBreakTheFraming) {
  auto r = receiver();
  auto attempt = [&](const std::string& bytes) {
    const int fd = raw_connection();
    ASSERT_GE(fd, 0);
    send_all(fd, bytes);
    if (HasFatalFailure()) {
      ::close(fd);
      return;
    }
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0);  // closed by the receiver
    ::close(fd);
  };
  std::string message;
  ASSERT_TRUE(proto::append_handoff_message(message, 1, "node/n5/params/local", "{}"));
  attempt(message);  // no hello first
  std::string hello;
  proto::append_handoff_hello(hello, 1, kSecret);
  attempt(hello + std::string("\xFF\xFF\xFF\x7F\x02", 5));  // a length beyond the limit
  attempt(hello + std::string("\x00\x00\x00\x00\x09", 5));  // an unknown kind
  attempt(hello + hello);                                   // a second hello
  std::string short_message = hello + std::string("\x03\x00\x00\x00\x02xyz", 8);
  attempt(short_message);  // a message body shorter than its fixed fields
  EXPECT_EQ(counter("stratus_handoff_refused_total"), 5u);
  EXPECT_EQ(counter("stratus_handoff_messages_total"), 0u);
  ASSERT_TRUE(ingest_.flush(5s));
  EXPECT_EQ(params("n5"), std::nullopt);
}

TEST_F(IngestHandoffTest, AFullIngestQueueHoldsMessagesInThePluginInsteadOfDroppingThem) {
  // A writer that has not started yet and a queue of 100: 500 reports must all arrive.
  service::NodeIngest slow(nodes_, messenger_, commands_, events_, clock_, metrics_,
                           service::IngestOptions{100, 50, 1ms});
  test::RecordingClient client;
  NodeLink link(client, slow, clock_, metrics_, 256 * 1024, proto::kDefaultMaxTsRecords, nullptr,
                {}, true);
  IngestHandoffReceiver r({.socket_path = socket_, .secret = std::string(kSecret)}, link, slow,
                          metrics_);
  ASSERT_TRUE(r.start());
  auto s = sender();
  for (int i = 1; i <= 500; ++i) {
    ASSERT_TRUE(s.enqueue("node/n7/alert", R"({"msg":")" + std::to_string(i) + "\"}"));
  }
  ASSERT_TRUE(pump_until(s, [&] {
    return counter("stratus_handoff_messages_total") >= 36;  // 100 - 64 kept for others
  }));
  for (int i = 0; i < 50; ++i) {
    s.pump(std::chrono::steady_clock::now());
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(counter("stratus_handoff_messages_total"), 36u) << "no more than the queue takes";
  EXPECT_GT(s.unacknowledged_bytes(), 0u);
  slow.start();
  ASSERT_TRUE(pump_until(s, [&] { return s.unacknowledged_bytes() == 0; }));
  slow.stop();
  EXPECT_EQ(counter("stratus_handoff_messages_total"), 500u);
  EXPECT_EQ(metrics_.counter("stratus_link_dropped_total", "", {{"reason", "queue_full"}}).value(),
            0u);
  EXPECT_EQ(events_.of(proto::rest::EventKind::alert).size(), 500u);
  r.stop();
}

// What the handoff offers the link when the ingest queue has filled from elsewhere (the
// presence events come over MQTT into the same queue) is not taken and not counted as
// dropped: the receiver keeps it and acknowledges nothing past it. The MQTT path drops
// and counts it, as before.
TEST_F(IngestHandoffTest, AnOfferToAFullQueueIsRefusedUncountedSoTheHandoffCanKeepIt) {
  service::NodeIngest stopped(nodes_, messenger_, commands_, events_, clock_, metrics_,
                              service::IngestOptions{3, 3, 1ms});
  test::RecordingClient client;
  NodeLink link(client, stopped, clock_, metrics_, 256 * 1024, proto::kDefaultMaxTsRecords, nullptr,
                {}, true);
  auto& full = metrics_.counter("stratus_link_dropped_total", "", {{"reason", "queue_full"}});
  const auto alert = [](int i) {
    return mqtt::Message{"node/n9/alert", R"({"msg":")" + std::to_string(i) + R"("})", 1, false};
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(link.offer(alert(i)));
  EXPECT_FALSE(link.offer(alert(3))) << "the queue holds 3";
  EXPECT_EQ(full.value(), 0u) << "an offer refused is not a drop";
  EXPECT_TRUE(link.offer({"node/n9/alert", "not json", 1, false})) << "malformed: handled";
  link.on_message(alert(4));
  EXPECT_EQ(full.value(), 1u) << "over MQTT it is dropped and counted";
}

// OTA messages go to the OTA service's own queue. Acknowledged once queued, a status the
// full queue dropped would be lost although the handoff still had it: the offer is
// refused, uncounted, as for the ingest queue.
TEST_F(IngestHandoffTest, AnOtaMessageTheFullOtaQueueRefusesIsNotTakenSoTheHandoffKeepsIt) {
  storage::sql::SqlAccessRepository access(db_);
  storage::sql::SqlOtaRepository repository(db_);
  server::FileOtaImageStore store((dir_.path() / "ota").string());
  service::EventHub hub(service::node_access_lookup(access), clock_, metrics_, {});
  service::OtaOptions options;
  options.queue_limit = 1;
  // Not started: nothing drains its queue.
  service::OtaService ota(repository, access, store, messenger_, hub, nullptr, clock_, metrics_,
                          options, audit_);
  test::RecordingClient client;
  NodeLink link(client, ingest_, clock_, metrics_, 256 * 1024, proto::kDefaultMaxTsRecords, &ota,
                {}, true);
  auto& link_full = metrics_.counter("stratus_link_dropped_total", "", {{"reason", "queue_full"}});
  auto& ota_full = metrics_.counter("stratus_ota_dropped_total", "", {{"reason", "queue_full"}});
  const mqtt::Message status{"node/n9/otastatus", R"({"ota_job_id":"j1","status":"in-progress"})",
                             1, false};
  EXPECT_TRUE(link.offer(status));
  EXPECT_FALSE(link.offer(status)) << "the OTA queue holds 1";
  EXPECT_EQ(link_full.value(), 0u) << "an offer refused is not a drop";
  EXPECT_EQ(ota_full.value(), 0u);
  link.on_message(status);
  EXPECT_EQ(link_full.value(), 1u) << "over MQTT it is dropped and counted";
}

// stratusd may acknowledge a message the plugin is still resending (it took it on an
// earlier connection). A frame half written must then still be completed: dropping it at
// the ack cut the stream's framing, and the buffer's offsets ran past each other.
TEST_F(IngestHandoffTest, AnAckAheadOfAResendLetsTheFrameHalfSentFinish) {
  // A stratusd of our own, which reads only when told to.
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, socket_.c_str(), sizeof(a.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  // Three frames of 600 KiB: 1.8 MiB, more than a socket buffer holds.
  auto s = sender();
  const std::string big(600 * 1024, 'p');
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(s.enqueue("node/n8/params/local", big));
  s.pump(std::chrono::steady_clock::now());  // connects, writes what the socket takes
  const int fd = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(fd, 0);
  std::string stream;
  // Reads what the sender writes meanwhile; true once `until` holds, false after 10 s.
  const auto read_while_pumping = [&](const std::function<bool()>& until) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (until())
        return true;
      s.pump(std::chrono::steady_clock::now());
      char chunk[65536];
      const auto n = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n > 0)
        stream.append(chunk, static_cast<std::size_t>(n));
      else
        std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  // Into the second frame, then every message acknowledged before the rest is read.
  ASSERT_TRUE(read_while_pumping([&] { return stream.size() > 800 * 1024; }));
  std::string ack;
  proto::append_handoff_ack(ack, 3);
  send_all(fd, ack);

  // Everything the sender still sends must complete whole frames, all three messages.
  EXPECT_TRUE(read_while_pumping([&] { return s.unacknowledged_bytes() == 0; }));
  char tail[65536];
  for (ssize_t n; (n = ::recv(fd, tail, sizeof(tail), MSG_DONTWAIT)) > 0;)
    stream.append(tail, static_cast<std::size_t>(n));
  std::vector<std::uint64_t> sequences;
  std::string_view rest = stream;
  auto d = proto::next_handoff_frame(rest);
  ASSERT_EQ(d.status, proto::HandoffDecode::Status::frame);
  EXPECT_EQ(d.frame.kind, proto::HandoffKind::hello);
  rest.remove_prefix(d.frame.size);
  for (d = proto::next_handoff_frame(rest); d.status == proto::HandoffDecode::Status::frame;
       d = proto::next_handoff_frame(rest)) {
    ASSERT_EQ(d.frame.kind, proto::HandoffKind::message);
    const auto m = proto::parse_handoff_message(d.frame.body);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload.size(), big.size());
    sequences.push_back(m->sequence);
    rest.remove_prefix(d.frame.size);
  }
  EXPECT_TRUE(rest.empty()) << rest.size() << " bytes of a frame cut short";
  EXPECT_EQ(sequences, (std::vector<std::uint64_t>{1, 2, 3}));
  ::close(fd);
  ::close(listener);
}

TEST_F(IngestHandoffTest, TheSendersBoundDropsAndCounts) {
  auto s = sender(200);
  EXPECT_TRUE(s.enqueue("node/n6/params/local", std::string(100, 'x')));
  EXPECT_FALSE(s.enqueue("node/n6/params/local", std::string(100, 'x')));
  EXPECT_EQ(s.dropped(), 1u);
  EXPECT_EQ(s.next_sequence(), 2u);  // a dropped message takes no sequence
  auto r = receiver();
  ASSERT_TRUE(pump_until(s, [&] { return s.unacknowledged_bytes() == 0; }));
  EXPECT_TRUE(s.enqueue("node/n6/params/local", std::string(100, 'x')));  // room again
}

}  // namespace
}  // namespace stratus::link

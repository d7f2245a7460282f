// The console's gateway commands (issue 21 items 3-4; spec wirepas.md §3.3) against a
// simulated gateway (sim::WirepasGateway, sans-I/O) behind a `Link` that plays the broker:
// what the console publishes reaches the gateway, what the gateway publishes reaches the
// console (retained events included). Listings, the configuration table with an
// unconfigured sink, app config set and refused for a stale sequence, a downlink echoed,
// ping answered by every node with a hop histogram, scratchpad status, clearing an
// offline gateway, JSON output, and the failures: unknown commands, bad arguments, no
// selection, no answer in time.
#include "console/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "console/capture.hpp"
#include "sim/wirepas_gateway.hpp"
#include "support/temp_dir.hpp"

namespace stratus::console {
namespace {

using namespace std::chrono_literals;

// The broker between the console and one simulated gateway.
class SimLink : public Link {
 public:
  explicit SimLink(std::unique_ptr<sim::WirepasGateway> gw) : gw_(std::move(gw)) {
    for (auto& p : gw_->on_connected(Clock::now()))
      queue_.push_back(std::move(p));
  }
  void attach(Console* console) { console_ = console; }
  // The gateway's published statuses are withheld from then on (a gateway gone silent).
  void mute() { muted_ = true; }
  int publishes = 0;

  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retain) override {
    ++publishes;
    if (topic.starts_with("gw-event/")) {  // a backend's own event (a cleared status)
      queue_.push_back({std::string(topic), std::string(payload), qos, retain});
      return {};
    }
    if (!muted_) {
      for (auto& p : gw_->on_message(topic, payload, Clock::now()))
        queue_.push_back(std::move(p));
    }
    return {};
  }

  void pump(Clock::time_point until, const std::function<bool()>& done) override {
    while (!done()) {
      if (!muted_) {
        for (auto& p : gw_->tick(Clock::now()))
          queue_.push_back(std::move(p));
      }
      while (!queue_.empty()) {
        auto p = std::move(queue_.front());
        queue_.pop_front();
        console_->on_message(p.topic, p.payload);
        if (done())
          return;
      }
      if (Clock::now() >= until)
        return;
      std::this_thread::sleep_for(5ms);
    }
  }

  void deliver(const std::string& topic, const std::string& payload) {
    console_->on_message(topic, payload);
  }
  // Queued as if the broker had it: delivered at the next pump.
  void inject(const std::string& topic, const std::string& payload) {
    queue_.push_back({topic, payload, 0, false});
  }

 private:
  std::unique_ptr<sim::WirepasGateway> gw_;
  std::deque<sim::WirepasPublish> queue_;
  Console* console_ = nullptr;
  bool muted_ = false;
};

std::unique_ptr<sim::WirepasGateway> gateway(std::chrono::milliseconds data_interval = 0ms,
                                             std::uint32_t max_scratchpad_size = 1024 * 1024) {
  sim::WirepasGatewayOptions o;
  o.gw_id = "gw-1";
  o.max_scratchpad_size = max_scratchpad_size;
  o.data_interval = data_interval;  // 0: no application traffic, only what the test asks for
  o.per_hop = 1ms;
  sim::WirepasSinkModel sink;
  sink.sink_id = "sink0";
  sink.diag_interval_s = 0;
  for (std::uint32_t i = 0; i < 6; ++i)
    sink.nodes.push_back(sim::WirepasNodeModel{1000 + i, static_cast<std::uint8_t>(1 + i % 3)});
  sim::WirepasSinkModel spare;
  spare.sink_id = "sink1";
  spare.configured = false;
  auto gw = sim::WirepasGateway::create(o, {sink, spare});
  EXPECT_TRUE(gw) << gw.error().context;
  return std::move(*gw);
}

class ConsoleCommandsTest : public ::testing::Test {
 protected:
  explicit ConsoleCommandsTest(bool json = false, std::chrono::milliseconds data_interval = 0ms,
                               std::uint32_t max_scratchpad_size = 1024 * 1024)
      : link_(gateway(data_interval, max_scratchpad_size)) {
    ConsoleOptions o;
    o.ask = [this](const std::string& question) -> std::optional<std::string> {
      questions_.push_back(question);
      if (answers_.empty())
        return std::nullopt;
      auto a = answers_.front();
      answers_.pop_front();
      return a;
    };
    o.json = json;
    o.silence_timeout = 300ms;
    o.request_timeout = 2s;
    o.settings_lines = {"mqtt_hostname: broker", "mqtt_password: ********"};
    console_ = std::make_unique<Console>(link_, o, out_);
    link_.attach(console_.get());
    link_.pump(Link::Clock::now(), [] { return false; });  // the retained status
  }

  // Runs `line`; returns its output.
  std::string run(const std::string& line, bool expect_ok = true) {
    out_.str("");
    const bool ok = console_->run(line);
    EXPECT_EQ(ok, expect_ok) << line << "\n" << out_.str();
    return out_.str();
  }

  SimLink link_;
  std::ostringstream out_;
  std::unique_ptr<Console> console_;
  std::deque<std::string> answers_;     // what the "user" types at menus
  std::vector<std::string> questions_;  // what the menus asked
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ConsoleCommandsTest, ListsWhatTheStatusSaid) {
  auto out = run("gateways");
  EXPECT_TRUE(has(out, "Printing all encountered gateways of MQTT broker")) << out;
  EXPECT_TRUE(has(out, "gw-1             ( sink0 sink1 ) online since ")) << out;
  out = run("sinks");
  EXPECT_TRUE(has(out, "sink0 ( gw-1 )\nsink1 ( gw-1 )")) << out;
  out = run("networks");
  EXPECT_TRUE(has(out, "Printing all encountered networks of MQTT\n1193046\n")) << out;
  EXPECT_EQ(run("ls"), out);
  EXPECT_TRUE(has(run("list gateways"), "gw-1 "));
  out = run("selection");
  EXPECT_EQ(out, "sink : None\ngateway : None\nnetwork : None\n");
  EXPECT_TRUE(has(run("help"), "gateway_configuration"));
  EXPECT_EQ(run("settings"), "mqtt_hostname: broker\nmqtt_password: ********\n");
}

TEST_F(ConsoleCommandsTest, ConfigurationTableShowsAnUnconfiguredSinkWithoutFailing) {
  const auto out = run("gateway_configuration");
  EXPECT_TRUE(has(out, "Requesting configuration for gateway 'gw-1'..")) << out;
  EXPECT_TRUE(has(out, "Sink: sink0\n  nw address            1193046\n")) << out;
  EXPECT_TRUE(has(out, "Sink: sink1\n  nw address            -\n")) << out;
  EXPECT_TRUE(has(out, "  started               yes")) << out;
}

TEST_F(ConsoleCommandsTest, AppConfigIsSetThenRefusedForAStaleSequence) {
  run("set_app_config app_config_seq=2 app_config_data=0102", false);  // no sink selected
  run("set_gateway gw-1");
  run("set_sink sink0");
  EXPECT_TRUE(has(console_->prompt(), "| stratus-console:gw-1:sink0 > "));
  auto out = run("set_app_config app_config_seq=5 app_config_data=cafe app_config_diag=30");
  EXPECT_TRUE(has(out, "Command Ok.")) << out;
  out = run("set_app_config 5 beef", false);  // positional, the same sequence again
  EXPECT_TRUE(has(out, "Command FAIL. Invalid sequence number.")) << out;
  out = run("set_app_config app_config_seq=6 app_config_data=xyz", false);
  EXPECT_TRUE(has(out, "Check app config data parameter")) << out;
  // The change reached the map through the gateway's configuration messages.
  run("gateway_configuration");
  const auto& sink = console_->map().gateways().at("gw-1").sinks.at("sink0");
  EXPECT_EQ(sink.config.app_config().seq(), 5u);
  EXPECT_EQ(sink.config.app_config().app_config_data(), "\xca\xfe");
}

TEST_F(ConsoleCommandsTest, SinkConfigIsAppliedOrRefused) {
  run("set_gateway gw-1");
  run("set_sink sink1");
  auto out =
      run("set_sink_config node_role=17 node_address=7 network_address=0x123 "
          "network_channel=3 started=1");
  EXPECT_TRUE(has(out, "Command OK.")) << out;
  out = run("set_config", false);
  EXPECT_TRUE(has(out, "Command FAIL. Config not valid.")) << out;
  out = run("set_sink_config node_role=99", false);
  EXPECT_TRUE(has(out, "Config not valid: node_role")) << out;
}

TEST_F(ConsoleCommandsTest, DownlinkIsAnsweredAndItsEchoSeen) {
  run("set_gateway gw-1");
  run("set_sink sink0");
  const auto out = run("send_data 50 50 1003 68656c6c6f");
  EXPECT_TRUE(has(out, "send_data GW_RES_OK")) << out;
  link_.pump(Link::Clock::now() + 200ms, [this] {
    return console_->map().nodes().contains(NodeKey{0x123456, 1003});
  });
  ASSERT_TRUE(console_->map().nodes().contains(NodeKey{0x123456, 1003}));
  EXPECT_EQ(console_->map().nodes().at(NodeKey{0x123456, 1003}).packets, 1u);
}

TEST_F(ConsoleCommandsTest, PingIsAnsweredByEveryNodeWithAHopHistogram) {
  run("set_gateway gw-1");
  run("set_sink sink0");
  const auto out = run("ping timeout=1");
  EXPECT_TRUE(has(out, "ping resp from node address 1000")) << out;
  // The sink answers too, from hop 0.
  EXPECT_TRUE(has(out,
                  "| Hop count 0 : *\n| Hop count 1 : **\n| Hop count 2 : **\n"
                  "| Hop count 3 : **\n"))
      << out;
  EXPECT_TRUE(has(out, "C = 12\n")) << out;
  EXPECT_TRUE(has(out, "Ok response received from 7 node(s).")) << out;
  EXPECT_TRUE(has(run("nodes"), "( 1 1000 1001 1002 1003 1004 1005 )\nTotal 7 nodes"));
}

TEST_F(ConsoleCommandsTest, ScratchpadStatusOfTheSink) {
  run("set_gateway gw-1");
  run("set_sink sink0");
  const auto out = run("scratchpad_check_sink");
  EXPECT_TRUE(has(out, "Firmware:\n  area id: 0x")) << out;
}

TEST_F(ConsoleCommandsTest, FailuresAreClearAndChangeNothing) {
  EXPECT_TRUE(has(run("frobnicate", false), "Unknown command: frobnicate"));
  // No gateway: the menu asks for one; nothing typed, so nothing is selected.
  EXPECT_TRUE(has(run("set_sink sink0", false), "Give a gateway id"));
  EXPECT_EQ(console_->prompt().find(":sink0"), std::string::npos);
  EXPECT_TRUE(has(run("gateways extra", false), "unexpected argument \"extra\""));
  run("set_gateway gw-1");
  run("set_sink sink0");
  EXPECT_TRUE(has(run("send_data 1 2", false), "Give source_endpoint"));
  EXPECT_TRUE(has(run("send_data 1 1 5 00 qos=2", false), "qos 0|1"));
  EXPECT_TRUE(has(run("ping 1 2", false), "unexpected argument \"2\""));
  EXPECT_TRUE(run("") == "");
  // A gateway that stopped answering: the request times out.
  link_.mute();
  const auto out = run("scratchpad_status timeout=0", false);
  EXPECT_TRUE(has(out, "Error got no reply for gw-1 in time. Time waited 0 secs.")) << out;
}

TEST_F(ConsoleCommandsTest, OfflineGatewaysAreClearedByAnEmptyRetainedStatus) {
  EXPECT_TRUE(has(run("clear_offline_gateways"), "Command ok. No action needed."));
  auto offline = wirepas::pb::GenericMessage();
  auto* s = offline.mutable_wirepas()->mutable_status_event();
  s->mutable_header()->set_gw_id("gw-2");
  s->mutable_header()->set_event_id(5);
  s->set_version(1);
  s->set_state(wirepas::pb::OFF);
  link_.deliver("gw-event/status/gw-2", offline.SerializeAsString());
  const auto out = run("clear_offline_gateways");
  EXPECT_TRUE(has(out, "sending clear for gateway gw-2\nCommand ok. Offline GW count was 1."))
      << out;
  link_.pump(Link::Clock::now(), [] { return false; });  // the cleared status comes back
  EXPECT_FALSE(console_->map().gateways().contains("gw-2"));
  EXPECT_TRUE(console_->map().gateways().contains("gw-1"));
  // Garbage and non-numeric topic levels are reported nowhere and change nothing.
  link_.deliver("gw-event/status/gw-3", "\xff\x01garbage");
  link_.deliver("gw-event/received_data/gw-1/sink0/net/1/1", offline.SerializeAsString());
  EXPECT_EQ(console_->map().gateways().size(), 1u);
}

class ConsoleJsonTest : public ConsoleCommandsTest {
 protected:
  ConsoleJsonTest() : ConsoleCommandsTest(true) {}
};

TEST_F(ConsoleJsonTest, EachCommandPrintsOneObject) {
  auto v = boost::json::parse(run("gateways")).as_object();
  EXPECT_EQ(v.at("command").as_string(), "gateways");
  EXPECT_TRUE(v.at("ok").as_bool());
  const auto& gw = v.at("gateways").as_array().at(0).as_object();
  EXPECT_EQ(gw.at("gw_id").as_string(), "gw-1");
  EXPECT_EQ(gw.at("state").as_string(), "online");
  EXPECT_EQ(gw.at("sinks").as_array().size(), 2u);

  v = boost::json::parse(run("set_sink sink0", false)).as_object();
  EXPECT_FALSE(v.at("ok").as_bool());
  EXPECT_EQ(v.at("error").as_string(), "Command FAIL. Give a gateway id: set_gateway <gw_id>");

  run("set_gateway gw-1");
  run("set_sink sink0");
  v = boost::json::parse(run("ping timeout=1")).as_object();
  EXPECT_EQ(v.at("replies").as_array().size(), 7u);  // six nodes and the sink
  EXPECT_EQ(v.at("hop_histogram").at("2").to_number<int>(), 2);
}

class ConsoleTrafficTest : public ConsoleCommandsTest {
 protected:
  ConsoleTrafficTest() : ConsoleCommandsTest(false, 100ms) {}  // every node every 100 ms
};

TEST_F(ConsoleTrafficTest, TrackDataPacketsPrintsTheOriginalsLineAndKeepsGoingOnBadApdus) {
  auto out = run("track_data_packets source_endpoint=1 iterations=1 update_rate=1");
  EXPECT_TRUE(has(out, "nw:1193046/gw-1/sink0/node:1000 sendp:1")) << out;
  EXPECT_TRUE(has(out, "travel time: ")) << out;
  EXPECT_TRUE(has(out, "data: ")) << out;
  EXPECT_FALSE(has(out, "sendp:251")) << out;  // filtered out
  EXPECT_TRUE(has(out, "Tracked ")) << out;
  out = run("track_data_packets source_address=1003 iterations=1 update_rate=1 format=message");
  EXPECT_TRUE(has(out, "<< message from gw-1/sink0/1193046|1->1@")) << out;
  EXPECT_TRUE(has(out, "\"source_address\":1003")) << out;
  EXPECT_FALSE(has(out, "\"source_address\":1004")) << out;
  // Without iterations a script could never end it.
  EXPECT_TRUE(has(run("track_data_packets", false), "Give iterations="));
  EXPECT_TRUE(has(run("track_data_packets format=xml iterations=1", false), "format is"));
  // A short diagnostics payload is reported on its line, and tracking goes on.
  wirepas::pb::GenericMessage m;
  auto* e = m.mutable_wirepas()->mutable_packet_received_event();
  e->mutable_header()->set_gw_id("gw-1");
  e->mutable_header()->set_event_id(9);
  e->set_source_address(77);
  e->set_destination_address(1);
  e->set_source_endpoint(253);
  e->set_destination_endpoint(255);
  e->set_travel_time_ms(5);
  e->set_rx_time_ms_epoch(1000);
  e->set_qos(0);
  e->set_payload("\x01");
  link_.inject("gw-event/received_data/gw-1/sink0/1193046/253/255", m.SerializeAsString());
  out = run("track_data_packets source_endpoint=253 iterations=1 update_rate=1");
  EXPECT_TRUE(has(out, "nw:1193046/gw-1/sink0/node:77 sendp:253")) << out;
  EXPECT_TRUE(has(out, "data: 01  (")) << out;  // the decoder's complaint, then on
  EXPECT_TRUE(has(out, "Tracked 1 packet(s).")) << out;
}

TEST_F(ConsoleTrafficTest, ACaptureReplaysIntoTheSameMap) {
  stratus::test::TempDir dir;
  const auto file = (dir.path() / "capture.jsonl").string();
  EXPECT_TRUE(has(run("capture start " + file), "Capturing every message to"));
  run("capture start " + file, false);  // one at a time
  link_.pump(Link::Clock::now() + 500ms, [] { return false; });
  run("gateway_configuration");
  const auto out = run("capture stop");
  EXPECT_TRUE(has(out, " message(s).")) << out;
  run("capture stop", false);

  auto capture = load_capture(file);
  ASSERT_TRUE(capture) << capture.error().context;
  ASSERT_FALSE(capture->empty());
  // A second console fed with the capture alone sees what the first one saw meanwhile.
  SimLink idle(gateway());
  std::ostringstream sink;
  Console replayed(idle, ConsoleOptions{}, sink);
  for (const auto& m : *capture)
    replayed.on_message(m.topic, m.payload, m.qos, m.retain);
  for (const auto& [key, node] : replayed.map().nodes())
    EXPECT_TRUE(console_->map().nodes().contains(key)) << key.address;
  EXPECT_EQ(replayed.map().nodes().size(), console_->map().nodes().size());
  ASSERT_TRUE(replayed.map().gateways().contains("gw-1"));
  EXPECT_EQ(replayed.map().gateways().at("gw-1").sinks.size(), 2u);
}

TEST_F(ConsoleCommandsTest, RecordedCommandLinesPlayBack) {
  stratus::test::TempDir dir;
  const auto file = (dir.path() / "session.record").string();
  EXPECT_TRUE(has(run("record " + file), "Recording the command lines to"));
  run("set_gateway gw-1");
  run("set_sink sink0");
  run("frobnicate", false);  // recorded as typed, failures too
  run("record stop");
  EXPECT_TRUE(has(run("record stop", false), "No recording runs."));
  run("nodes");  // not recorded any more
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "set_gateway gw-1\nset_sink sink0\nfrobnicate\n");

  // A fresh selection, then the recording's lines again (the failing one fails the playback).
  run("set_gateway other");
  auto out = run("playback " + file, false);
  EXPECT_TRUE(has(out, "Playing back 3 line(s)")) << out;
  EXPECT_TRUE(has(out, "Command FAIL. 1 line(s) failed.")) << out;
  EXPECT_TRUE(has(console_->prompt(), ":gw-1:sink0 > "));
  std::ofstream(file) << "set_gateway gw-1\nplayback " << file << "\nbye\n";
  out = run("playback " + file, false);  // plays itself back: stops at a depth of 4
  EXPECT_TRUE(has(out, "Playback nested too deep.")) << out;
  EXPECT_TRUE(has(run("playback /nonexistent/file", false), "Cannot read"));
}

TEST(CaptureTest, LinesRoundTripAndBadOnesAreNamed) {
  const CapturedMessage m{1700000000123456, "gw-event/status/gw-1", std::string("\0\xff", 2), 1,
                          true};
  const auto line = encode_capture_line(m);
  EXPECT_EQ(line,
            "{\"t_us\":1700000000123456,\"topic\":\"gw-event/status/gw-1\",\"qos\":1,"
            "\"retain\":true,\"payload\":\"AP8=\"}");
  EXPECT_EQ(*parse_capture_line(line), m);
  EXPECT_EQ(parse_capture_line("[1]").error().context, "not a JSON object");
  EXPECT_EQ(parse_capture_line(R"({"t_us":1,"topic":"t","qos":3,"retain":false,"payload":""})")
                .error()
                .context,
            "qos must be 0, 1 or 2");
  EXPECT_EQ(parse_capture_line(R"({"t_us":1,"topic":"t","qos":0,"retain":false,"payload":"%%"})")
                .error()
                .context,
            "payload is not base64");
  stratus::test::TempDir dir;
  const auto file = dir.path() / "bad.jsonl";
  std::ofstream(file) << line << "\n\n{\"t_us\":\"x\"}\n";
  auto loaded = load_capture(file.string());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().context, file.string() + ":3: t_us must be an integer");
}

// --- menus, remote-API commands, scratchpad upload, display commands, RainMaker side ---

TEST_F(ConsoleCommandsTest, MenusTakeAnIndexOrACustomIdAndPlaybackAnswersThem) {
  answers_ = {"0"};
  auto out = run("set_gateway");
  EXPECT_TRUE(has(out, "Listing current online gateways:\n0 :gw-1\n1 :custom gateway id")) << out;
  EXPECT_EQ(questions_.back(), "Please enter your gateway selection [0]: ");
  answers_ = {"1"};
  out = run("set_sink");
  EXPECT_TRUE(has(out, "0 :sink0 ( 1193046 )\n1 :sink1 ( no network )\n2 :custom sink id")) << out;
  EXPECT_TRUE(has(console_->prompt(), ":gw-1:sink1 > "));
  answers_ = {"2", "my-sink"};  // the custom entry asks for the id
  run("set_sink");
  EXPECT_EQ(questions_.back(), "Please enter your custom sink id: ");
  EXPECT_TRUE(has(console_->prompt(), ":gw-1:my-sink > "));
  answers_ = {"bad id with spaces"};
  EXPECT_TRUE(has(run("set_sink", false), "is not a sink id"));

  // A recording keeps the answers typed at menus; playback feeds them back to the menus.
  stratus::test::TempDir dir;
  const auto file = (dir.path() / "menus.record").string();
  run("record " + file);
  answers_ = {"0"};
  run("set_sink");
  run("record stop");
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  EXPECT_EQ(text.str(), "set_sink\n0\n");
  run("set_sink sink1");
  questions_.clear();
  out = run("playback " + file);
  EXPECT_TRUE(questions_.empty()) << "playback must not ask the user";
  EXPECT_TRUE(has(out, "Please enter your sink selection [0]: 0")) << out;
  EXPECT_TRUE(has(console_->prompt(), ":gw-1:sink0 > "));
}

TEST_F(ConsoleCommandsTest, ScratchpadCheckAllTabulatesEveryNode) {
  run("set_gateway gw-1");
  run("set_sink sink0");
  const auto out = run("scratchpad_check_all timeout=1");
  EXPECT_TRUE(has(out, "Address     Stored seq  Stored crc")) << out;
  for (const char* address : {"\n1 ", "\n1000 ", "\n1005 "})
    EXPECT_TRUE(has(out, address)) << address << "\n" << out;
  EXPECT_TRUE(has(out, "Firmware 5.4.0.12 / app 1.0.0.0 running on 7 node(s) (100.0%)")) << out;
  EXPECT_TRUE(has(out, "All nodes of network has firmware")) << out;
}

TEST_F(ConsoleCommandsTest, NodeUpdateCancelAndDiagnosticsReachEveryNode) {
  run("set_gateway gw-1");
  run("set_sink sink0");
  auto out = run("scratchpad_update_only_nodes 3 timeout=1");
  EXPECT_TRUE(has(out, "Update accepted by 7 node(s), refused by 0.")) << out;
  EXPECT_TRUE(has(run("scratchpad_update_only_nodes seq=0", false), "seq=<1-255>"));
  out = run("send_msap_cancel timeout=1");
  EXPECT_TRUE(has(out, "Cancel acknowledged by 7 node(s).")) << out;
  out = run("set_ndiag interval=30 timeout=1");
  EXPECT_TRUE(has(out, "Setting neighbour diagnostics 30 s through gw-1/sink0")) << out;
  EXPECT_TRUE(has(out, "Diagnostics control applied by 7 node(s).")) << out;
  EXPECT_TRUE(has(run("set_ndiag interval=45", false), "interval is one of"));
  EXPECT_TRUE(has(run("set_ndiag interval=off network=99 timeout=1", false),
                  "No sink of network 99 is known"));
  answers_ = {"0"};  // the menu: off
  out = run("set_ndiag timeout=1");
  EXPECT_TRUE(has(out, "Setting neighbour diagnostics off")) << out;
}

TEST_F(ConsoleCommandsTest, AScratchpadIsUploadedWholeThenProcessedBySink) {
  stratus::test::TempDir dir;
  const auto image = dir.path() / "image.otap";
  std::ofstream(image, std::ios::binary) << std::string(3000, '\x5a');
  run("set_gateway gw-1");
  run("set_sink sink0");
  EXPECT_TRUE(has(run("scratchpad_update", false), "NO_SCRATCHPAD_PRESENT"));
  auto out = run("scratchpad_upload " + image.string() + " 7");
  EXPECT_TRUE(has(out, "Performing upload of 3000 bytes.\n")) << out;
  EXPECT_TRUE(has(out, "Command OK.")) << out;
  EXPECT_TRUE(has(run("scratchpad_status"), "Stored scratchpad:\n  seq: 7\n  len: 3000"));
  EXPECT_TRUE(has(run("scratchpad_update_only_sink"), "Command OK."));
  EXPECT_TRUE(has(run("scratchpad_status"), "Processed scratchpad:\n  seq: 7\n  len: 3000"));
  // The current command's names, and refusals.
  EXPECT_TRUE(has(run("scratchpad_upload_to_sink filepath=" + image.string() + " sequence=8"),
                  "Command OK."));
  EXPECT_TRUE(has(run("scratchpad_upload " + image.string() + " 0", false), "seq=<1-255>"));
  EXPECT_TRUE(has(run("scratchpad_upload /nonexistent 1", false), "Cannot read"));
}

class ConsoleChunkTest : public ConsoleCommandsTest {
 protected:
  ConsoleChunkTest() : ConsoleCommandsTest(false, 0ms, 1000) {}  // 1000 bytes a message
};

TEST_F(ConsoleChunkTest, ALargeScratchpadGoesInChunksTheGatewayAdvertised) {
  stratus::test::TempDir dir;
  const auto image = dir.path() / "image.otap";
  std::string bytes;
  for (int i = 0; i < 2500; ++i)
    bytes.push_back(static_cast<char>(i * 7));
  std::ofstream(image, std::ios::binary) << bytes;
  run("set_gateway gw-1");
  run("set_sink sink0");
  const auto out = run("scratchpad_upload " + image.string() + " 9");
  EXPECT_TRUE(has(out, "Performing upload of 2500 bytes in chunks of 1000.")) << out;
  EXPECT_TRUE(has(out, "  1000 / 2500\n  2000 / 2500\n  2500 / 2500\nCommand OK.")) << out;
  EXPECT_TRUE(has(run("scratchpad_status"), "Stored scratchpad:\n  seq: 9\n  len: 2500"));
}

TEST_F(ConsoleCommandsTest, DisplayCommandsChangeHowThingsPrint) {
  EXPECT_TRUE(has(run("toggle_byte_print"), "hex prints: False"));
  EXPECT_TRUE(has(run("toggle_byte_print"), "hex prints: True"));
  EXPECT_TRUE(has(run("toggle_pretty_print"), "pretty prints: True"));
  EXPECT_TRUE(has(run("toggle_silent_loop"), "track loop prints: False"));
  EXPECT_TRUE(has(run("set_loop_iterations 2"), "track loop iterations: 2"));
  EXPECT_TRUE(has(run("set_loop_iterations 0", false), "set_loop_iterations <1-1000000 | Inf>"));
  EXPECT_TRUE(has(run("set_loop_timeout 1"), "track loop timeout: 1"));
  EXPECT_TRUE(has(run("set_reply_greeting none"), "reply greeting set to: \n"));
  // track_devices takes the loop defaults: two silent iterations of one second.
  const auto out = run("track_devices");
  EXPECT_FALSE(has(out, "#0 : ")) << out;
  EXPECT_TRUE(has(out, "Printing all encountered networks of MQTT\n1193046\n")) << out;
  run("toggle_silent_loop");
  EXPECT_TRUE(has(run("track_devices iterations=1"), "#0 : 20"));
}

TEST_F(ConsoleCommandsTest, HelpShellAndArgumentsAreExplained) {
  auto out = run("help");
  EXPECT_TRUE(has(out, "scratchpad_check_all")) << out;
  EXPECT_TRUE(has(out, "shell, !")) << out;
  out = run("help send_data");
  EXPECT_TRUE(has(out, "usage: send_data [source_endpoint=] [destination_endpoint=]")) << out;
  EXPECT_TRUE(has(run("help frobnicate", false), "Unknown command: frobnicate"));
  EXPECT_EQ(Console::command_keys("set_config"), Console::command_keys("set_sink_config"));
  EXPECT_TRUE(Console::command_keys("nope").empty());
  const auto& names = Console::command_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "rm_track"), names.end());
  EXPECT_TRUE(has(run("!echo hello from the shell"), "hello from the shell\n"));
  EXPECT_TRUE(has(run("shell exit 3", false), "Exit status 3."));
  EXPECT_TRUE(has(run("!", false), "shell <command>"));
  EXPECT_TRUE(has(run("set_app_config 1 2 3 4 5", false), "help set_app_config"));
}

TEST_F(ConsoleCommandsTest, RainMakerTrafficIsDecodedAndMapped) {
  const std::string config =
      R"({"node_id":"n1","config_version":"2020-03-20","info":{"name":"Lamp","fw_version":"1.2",)"
      R"("type":"Lightbulb","model":"lamp-x"},"devices":[{"name":"Light","params":[]}]})";
  link_.deliver("node/n1/config", config);
  link_.deliver("$stratus/presence/n1",
                R"({"node_id":"n1","connected":true,"timestamp":1700000000000})");
  link_.deliver("$aws/rules/esp_set_params/node/n1/params/local", R"({"Light":{"Power":true}})");
  link_.deliver("node/n1/params/local", "{not json");
  link_.deliver("node/n2/alert", R"({"esp.alert.str":"smoke"})");
  link_.deliver("$aws/events/presence/disconnected/n2", R"({"timestamp":1700000001000})");
  link_.deliver("node/n+1/config", config);  // not a node id: ignored
  const auto& nodes = console_->rainmaker().nodes();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes.at("n1").model, "lamp-x");
  EXPECT_EQ(nodes.at("n1").fw_version, "1.2");
  EXPECT_EQ(nodes.at("n1").online, true);
  EXPECT_GT(nodes.at("n1").last_params_ms, 0);
  EXPECT_EQ(nodes.at("n2").online, false);
  EXPECT_EQ(nodes.at("n2").alerts, 1u);
  auto out = run("rm_nodes");
  EXPECT_TRUE(has(out, "n1                        lamp-x            1.2         yes     20"))
      << out;
  EXPECT_TRUE(has(out, "Total 2 node(s)")) << out;

  // rm_track prints what arrives while it runs, filtered, bad payloads reported.
  link_.inject("node/n1/params/local", R"({"Light":{"Power":false}})");
  link_.inject("node/n1/otastatus", R"({"ota_job_id":"j1","status":"in-progress"})");
  link_.inject("node/n1/to-node", "garbage");
  link_.inject("node/n2/params/local", R"({"x":1})");
  out = run("rm_track node_id=n1 iterations=1 update_rate=1");
  EXPECT_TRUE(has(out, R"(params/local        {"Light":{"Power":false}})")) << out;
  EXPECT_TRUE(has(out, "otastatus           job j1: in-progress")) << out;
  EXPECT_TRUE(has(out, "to-node             (not decoded: ")) << out;
  EXPECT_FALSE(has(out, "n2")) << out;
  EXPECT_TRUE(has(out, "Tracked 3 RainMaker message(s).")) << out;
}

}  // namespace
}  // namespace stratus::console

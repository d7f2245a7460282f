// Local control (esp_local_ctrl over HTTP): `getparams|setparams|getnodeconfig --local`.
// No login and no cloud: the node is reached directly with its PoP.
#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/provisioning.hpp"
#include "client/protocomm_http.hpp"

namespace stratus::cli::detail {
namespace {

class HttpChannel final : public ProtocommChannel {
 public:
  explicit HttpChannel(client::ProtocommHttp http) : http_(std::move(http)) {}
  Result<std::string> send(std::string_view endpoint, std::string_view body) override {
    return http_.send(endpoint, body);
  }

 private:
  client::ProtocommHttp http_;
};

Result<std::unique_ptr<HttpChannel>> open_channel(const std::string& node_id,
                                                  const LocalFlags& flags) {
  if (flags.transport != "http") {
    return fail(errc::invalid_argument, "local control over " + flags.transport +
                                            " is not supported (use --transport http)");
  }
  std::string address = flags.device_address;
  if (address.empty()) {
    // The CLI's service name: "<node>.local:<port>" (mDNS), or the node id as HOST:PORT.
    address = node_id.find(':') != std::string::npos ? node_id
              : node_id.ends_with(".local")          ? node_id + ":" + std::to_string(flags.port)
                                            : node_id + ".local:" + std::to_string(flags.port);
  }
  auto http = client::ProtocommHttp::open(client::ProtocommHttpOptions{address});
  if (!http)
    return fail(http.error());
  return std::make_unique<HttpChannel>(std::move(*http));
}

Result<LocalControl> connect(HttpChannel& channel, const LocalFlags& flags) {
  std::optional<int> sec;
  if (flags.sec_ver >= 0)
    sec = flags.sec_ver;
  return LocalControl::connect(channel, sec, SessionCredentials{flags.pop, {}, {}});
}

}  // namespace

void add_local_flags(CLI::App& command, LocalFlags& flags) {
  command.add_flag("--local", flags.local,
                   "Use local control (esp_local_ctrl) instead of the cloud");
  command.add_option("--device-address", flags.device_address,
                     "Local control: the node's HOST:PORT (default <nodeid>.local:<port>)");
  command.add_option("--pop", flags.pop, "Local control: the node's proof of possession");
  command.add_option("--port", flags.port, "Local control: port (default 8080)")
      ->check(CLI::Range(1, 65535));
  command
      .add_option("--sec_ver", flags.sec_ver,
                  "Local control: security version (0, 1, 2; default: what the node offers)")
      ->check(CLI::IsMember({0, 1, 2}));
  command.add_option("--transport", flags.transport, "Local control: transport (http)")
      ->check(CLI::IsMember({"http"}));
}

int local_get(Context& ctx, const std::string& node_id, const LocalFlags& flags,
              std::string_view property) {
  auto channel = open_channel(node_id, flags);
  if (!channel)
    return ctx.report(channel.error());
  auto lc = connect(**channel, flags);
  if (!lc)
    return ctx.report(lc.error());
  auto value = lc->get(property);
  if (!value)
    return ctx.report(value.error());
  ctx.print_json(*value);
  return 0;
}

int local_set_params(Context& ctx, const std::string& node_ids, const LocalFlags& flags,
                     const std::string& payload) {
  if (node_ids.find(',') != std::string::npos)
    return ctx.report(Error{errc::invalid_argument, "--local sets the params of one node", 0});
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(payload, ec);
  if (ec || !parsed.is_object()) {
    return ctx.report(Error{errc::invalid_argument,
                            "the params must be a JSON object {\"<Device>\":{\"<Param>\":value}}",
                            0});
  }
  auto channel = open_channel(node_ids, flags);
  if (!channel)
    return ctx.report(channel.error());
  auto lc = connect(**channel, flags);
  if (!lc)
    return ctx.report(lc.error());
  if (auto r = lc->set("params", payload); !r)
    return ctx.report(r.error());
  ctx.out() << node_ids << ": success\n";
  return 0;
}

}  // namespace stratus::cli::detail

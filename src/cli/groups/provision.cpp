// `stratus provision`: protocomm provisioning of a node over SoftAP HTTP (capabilities,
// session, user-node mapping by challenge-response or secret key, Wi-Fi) and the
// on-network challenge-response of an already-connected node (the RainMaker CLI's
// `provision`, rmaker_cmd/provision.py and rmaker_tools/rmaker_prov/).
#include <CLI/CLI.hpp>
#include <iomanip>
#include <istream>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/provisioning.hpp"
#include "client/jwt.hpp"
#include "client/protocomm_http.hpp"
#include "core/random.hpp"

namespace stratus::cli::detail {
namespace {

struct ProvisionOptions {
  std::string pop;       // positional (the CLI's deprecated form)
  std::string pop_flag;  // --pop
  std::string transport = "softap";
  std::string device_address = "192.168.4.1:80";  // the SoftAP's address on a real node
  std::string device_ip;
  int device_port = 80;
  int sec_ver = -1;
  std::string sec2_username;
  std::string sec2_password;
  std::string ssid;
  std::string passphrase;
  bool no_wifi = false;
  int timeout_s = 120;
};

class HttpChannel final : public ProtocommChannel {
 public:
  explicit HttpChannel(client::ProtocommHttp http) : http_(std::move(http)) {}
  Result<std::string> send(std::string_view endpoint, std::string_view body) override {
    return http_.send(endpoint, body);
  }

 private:
  client::ProtocommHttp http_;
};

class SessionCloud final : public MappingCloud {
 public:
  explicit SessionCloud(client::Session& s) : s_(s) {}
  Result<client::MappingChallenge> initiate() override { return s_.mapping_initiate(360); }
  Result<void> verify(std::string_view request_id, std::string_view node_id,
                      std::string_view signature_hex) override {
    return s_.mapping_verify(request_id, node_id, signature_hex);
  }
  Result<std::string> add_mapping(std::string_view node_id, std::string_view secret) override {
    return s_.add_mapping(node_id, secret);
  }
  Result<client::MappingStatus> mapping_status(std::string_view request_id) override {
    return s_.mapping_status(request_id);
  }

 private:
  client::Session& s_;
};

std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes)
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// The CLI's scan list and selection, on the terminal.
Result<std::pair<std::string, std::string>> choose_network(
    Context& ctx, const std::vector<protocomm::WifiScanEntry>& list) {
  auto& out = ctx.out();
  out << "Select the Wi-Fi network from the following list:\n";
  out << std::setw(4) << "S.N." << ' ' << std::left << std::setw(33) << "SSID" << std::right
      << std::setw(5) << "CHN" << std::setw(6) << "RSSI" << '\n';
  for (std::size_t i = 0; i < list.size(); ++i) {
    out << '[' << std::setw(2) << i + 1 << "] " << std::left << std::setw(33)
        << printable(list[i].ssid) << std::right << std::setw(5) << list[i].channel << std::setw(6)
        << list[i].rssi << '\n';
  }
  out << std::flush;
  if (!ctx.env().interactive)
    return fail(errc::invalid_argument,
                "no terminal to choose a network on: give --ssid and --passphrase");
  std::size_t choice = 0;
  for (int tries = 0; tries < 5 && choice == 0; ++tries) {
    ctx.env().err << "Select AP by number: " << std::flush;
    std::string line;
    if (!std::getline(ctx.env().in, line))
      return fail(errc::invalid_argument, "no network chosen");
    try {
      const auto n = std::stoul(line);
      if (n >= 1 && n <= list.size())
        choice = n;
    } catch (const std::exception&) {
    }
  }
  if (choice == 0)
    return fail(errc::invalid_argument, "no network chosen");
  const std::string ssid = list[choice - 1].ssid;
  std::string passphrase;
  if (list[choice - 1].auth != protocomm::WifiAuthMode::open) {
    if (!ctx.env().read_secret)
      return fail(errc::invalid_argument, "no terminal to read the passphrase: give --passphrase");
    auto p = ctx.env().read_secret("Enter passphrase for " + printable(ssid) + " : ");
    if (!p)
      return fail(errc::invalid_argument, "no passphrase given");
    passphrase = std::move(*p);
  }
  return std::pair{ssid, passphrase};
}

int run_provision(Context& ctx, const ProvisionOptions& o) {
  const std::string pop = !o.pop_flag.empty() ? o.pop_flag : o.pop;
  std::optional<int> sec;
  if (o.sec_ver >= 0)
    sec = o.sec_ver;
  if (pop.empty() && !sec && o.sec2_password.empty()) {
    return ctx.report(Error{errc::invalid_argument,
                            "the proof of possession may be required depending on the security "
                            "scheme: give <pop> (or --pop), or --sec_ver to go without",
                            0});
  }
  if (!o.passphrase.empty() && o.ssid.empty())
    return ctx.report(Error{errc::invalid_argument, "--passphrase needs --ssid", 0});
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  SessionCloud cloud(*s);
  ProvisionHooks hooks;
  hooks.progress = [&ctx](std::string_view line) { ctx.out() << line << '\n' << std::flush; };
  hooks.sleep = [&ctx](std::chrono::milliseconds d) { ctx.sleep(d); };
  hooks.choose_network = [&ctx](const std::vector<protocomm::WifiScanEntry>& list) {
    return choose_network(ctx, list);
  };
  const SessionCredentials credentials{pop, o.sec2_username, o.sec2_password};

  if (o.transport == "on-network") {
    if (o.device_ip.empty())
      return ctx.report(
          Error{errc::invalid_argument, "--transport on-network needs --device-ip", 0});
    const std::string address = o.device_ip.find(':') != std::string::npos
                                    ? "[" + o.device_ip + "]:" + std::to_string(o.device_port)
                                    : o.device_ip + ":" + std::to_string(o.device_port);
    auto http = client::ProtocommHttp::open(client::ProtocommHttpOptions{address});
    if (!http)
      return ctx.report(http.error());
    HttpChannel channel(std::move(*http));
    OnNetworkRequest request{credentials, sec, true};
    auto node = on_network_map(channel, cloud, request, hooks);
    if (!node)
      return ctx.report_call(node.error());
    ctx.out() << "Node " << *node << " added to your account successfully\n";
    return 0;
  }

  auto claims = client::decode_token_claims(s->tokens().id_token);
  if (!claims || claims->user_id.empty()) {
    return ctx.report(Error{errc::unauthenticated,
                            "the stored id token has no custom:user_id; " + ctx.login_hint(), 0});
  }
  auto http = client::ProtocommHttp::open(client::ProtocommHttpOptions{o.device_address});
  if (!http)
    return ctx.report(http.error());
  HttpChannel channel(std::move(*http));
  ProvisionRequest request;
  request.credentials = credentials;
  request.sec_ver = sec;
  if (!o.ssid.empty())
    request.ssid = o.ssid;
  request.passphrase = o.passphrase;
  request.no_wifi = o.no_wifi;
  request.user_id = claims->user_id;
  request.secret_key = uuid_v4();
  request.timeout = std::chrono::seconds(o.timeout_s);
  auto result = provision(channel, cloud, request, hooks);
  if (!result)
    return ctx.report_call(result.error());
  ctx.out() << "Node " << result->node_id << " provisioned successfully"
            << (result->ssid.empty()
                    ? std::string()
                    : " (on " + printable(result->ssid) +
                          (result->ip4_addr.empty() ? "" : ", " + result->ip4_addr) + ")")
            << "\nNode added to your account successfully\n";
  return 0;
}

}  // namespace

void add_provision(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ProvisionOptions>();
  auto* cmd =
      app.add_subcommand("provision", "Provision the node to join Wi-Fi network and map it to you");
  cmd->add_option("pop", o->pop, "Proof of possession of the node");
  cmd->add_option("--pop", o->pop_flag, "Proof of possession of the node");
  cmd->add_option("--transport", o->transport,
                  "softap (SoftAP + HTTP, default) or on-network (challenge-response with a node "
                  "already on the network)")
      ->check(CLI::IsMember({"softap", "on-network"}));
  cmd->add_option("--device-address", o->device_address,
                  "softap: the node's provisioning HOST:PORT (default 192.168.4.1:80)");
  cmd->add_option("--device-ip", o->device_ip, "on-network: the node's IP address");
  cmd->add_option("--device-port", o->device_port, "on-network: the node's port (default 80)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--sec_ver", o->sec_ver,
                  "Security scheme 0, 1 or 2 (default: what the node offers)")
      ->check(CLI::IsMember({0, 1, 2}));
  cmd->add_option("--sec2_username", o->sec2_username, "Security 2 user name (default wifiprov)");
  cmd->add_option("--sec2_password", o->sec2_password, "Security 2 password (default: the PoP)");
  cmd->add_option("--ssid", o->ssid, "Wi-Fi SSID (if not given, shows the node's scan list)");
  cmd->add_option("--passphrase", o->passphrase, "Wi-Fi passphrase");
  cmd->add_flag("--no-wifi", o->no_wifi, "Map the node to you only; send no Wi-Fi credentials");
  cmd->add_option("--timeout", o->timeout_s,
                  "Seconds to wait for the Wi-Fi connection and the mapping (default 120)")
      ->check(CLI::Range(1, 3600));
  ctx.on(*cmd, [&ctx, o] { return run_provision(ctx, *o); });
}

}  // namespace stratus::cli::detail

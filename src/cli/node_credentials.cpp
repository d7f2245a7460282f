#include "cli/node_credentials.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "cli/detail/files.hpp"
#include "core/random.hpp"
#include "pki/certificate.hpp"

namespace stratus::cli {
namespace {

namespace json = boost::json;

constexpr std::uint16_t kDefaultMqttPort = 8883;

bool has_key_file(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / kNodeKeyFile, ec);
}

Error key_exists(const std::filesystem::path& dir) {
  return Error{errc::already_exists,
               (dir / kNodeKeyFile).string() +
                   " already exists; choose another directory (--outdir) or remove it first",
               0};
}

}  // namespace

std::string random_mac() {
  std::array<std::byte, 6> bytes{};
  random_bytes(bytes);
  // Locally administered (bit 1 set), unicast (bit 0 clear).
  bytes[0] = (bytes[0] & std::byte{0xFC}) | std::byte{0x02};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string mac;
  for (const auto b : bytes) {
    const auto v = std::to_integer<unsigned>(b);
    mac.push_back(kHex[v >> 4]);
    mac.push_back(kHex[v & 0x0F]);
  }
  return mac;
}

Result<std::string> normalize_mac(std::string_view text) {
  std::string mac;
  for (const char c : text) {
    if (c == ':' || c == '-')
      continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0 || mac.size() == 12) {
      return fail(errc::invalid_argument,
                  "invalid MAC \"" + std::string(text) + "\" (12 hex digits, e.g. 7CDFA100033B)");
    }
    mac.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (mac.size() != 12) {
    return fail(errc::invalid_argument,
                "invalid MAC \"" + std::string(text) + "\" (12 hex digits, e.g. 7CDFA100033B)");
  }
  return mac;
}

Result<NodeCredentials> claim_node(client::Session& session, const ClaimOptions& options) {
  if (options.outdir.empty())
    return fail(errc::invalid_argument, "no output directory given for the node credentials");
  std::string mac = options.mac_addr.empty() ? random_mac() : std::string();
  if (!options.mac_addr.empty()) {
    auto normalized = normalize_mac(options.mac_addr);
    if (!normalized)
      return fail(normalized.error());
    mac = std::move(*normalized);
  }
  if (!options.per_node_subdir && has_key_file(options.outdir))
    return fail(key_exists(options.outdir));
  if (!session.logged_in())
    return fail(errc::unauthenticated, "not logged in");

  auto endpoint = session.mqtt_host();
  if (!endpoint)
    return fail(endpoint.error());
  auto key = pki::PrivateKey::generate(options.key_type);
  if (!key)
    return fail(key.error());
  auto node_id = session.claim_initiate(mac, options.platform);
  if (!node_id)
    return fail(node_id.error());
  const std::filesystem::path dir =
      options.per_node_subdir ? options.outdir / *node_id : options.outdir;
  if (has_key_file(dir))
    return fail(key_exists(dir));
  auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, *node_id);
  if (!csr)
    return fail(csr.error());
  auto issued = session.claim_verify(*csr);
  if (!issued)
    return fail(issued.error());

  auto cert = pki::Certificate::from_pem(issued->certificate_pem);
  if (!cert)
    return fail(errc::internal, "the server's certificate does not parse: " + cert.error().context);
  if (cert->subject_cn() != *node_id) {
    return fail(errc::internal, "the server's certificate is for \"" + cert->subject_cn() +
                                    "\", not node " + *node_id);
  }
  if (!cert->matches_key(*key))
    return fail(errc::internal, "the server's certificate is not for the key sent");
  if (issued->ca_certificate_pem.empty()) {
    return fail(errc::internal,
                "the server sent no ca_certificate with the node certificate (not a Stratus "
                "server?); cannot write " +
                    std::string(kCaCertFile));
  }
  auto ca = pki::Certificate::from_pem(issued->ca_certificate_pem);
  if (!ca)
    return fail(errc::internal,
                "the server's CA certificate does not parse: " + ca.error().context);
  if (!cert->issued_by(*ca))
    return fail(errc::internal, "the node certificate is not signed by the CA the server sent");

  NodeCredentials creds;
  creds.node_id = *node_id;
  creds.mqtt_host = !issued->mqtt_host.empty() ? issued->mqtt_host : endpoint->host;
  creds.mqtt_port = issued->mqtt_port != 0 ? issued->mqtt_port
                    : endpoint->port != 0  ? endpoint->port
                                           : kDefaultMqttPort;
  creds.dir = dir;

  if (auto r = detail::ensure_private_dir(dir); !r)
    return fail(r.error());
  const json::object info{
      {"node_id", creds.node_id}, {"mqtt_host", creds.mqtt_host}, {"mqtt_port", creds.mqtt_port}};
  // node.key goes last and never replaces a file: its presence means "complete".
  if (auto r = detail::write_private_file(creds.ca_file(), ca->to_pem()); !r)
    return fail(r.error());
  if (auto r = detail::write_private_file(creds.cert_file(), cert->to_pem()); !r)
    return fail(r.error());
  if (auto r = detail::write_private_file(creds.info_file(), json::serialize(info) + "\n"); !r)
    return fail(r.error());
  if (auto r = detail::write_private_file(creds.key_file(), key->to_pem(), true); !r)
    return fail(r.error());
  return creds;
}

Result<NodeCredentials> load_node_credentials(const std::filesystem::path& dir) {
  NodeCredentials creds;
  creds.dir = dir;
  for (const auto name : {kNodeInfoFile, kNodeKeyFile, kNodeCertFile, kCaCertFile}) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / name, ec)) {
      return fail(errc::not_found, "missing " + (dir / name).string() +
                                       " (claim a node first: stratus claim --outdir " +
                                       dir.string() + ")");
    }
  }
  auto info_text = detail::read_text_file(creds.info_file());
  if (!info_text)
    return fail(info_text.error());
  boost::system::error_code ec;
  const auto info = json::parse(*info_text, ec);
  const std::string info_name = creds.info_file().string();
  if (ec || !info.is_object())
    return fail(errc::invalid_argument, info_name + " is not a JSON object");
  const auto& o = info.as_object();
  const auto* node_id = o.if_contains("node_id");
  const auto* host = o.if_contains("mqtt_host");
  const auto* port = o.if_contains("mqtt_port");
  if (node_id == nullptr || !node_id->is_string() || node_id->as_string().empty())
    return fail(errc::invalid_argument, info_name + ": node_id is missing");
  if (host == nullptr || !host->is_string() || host->as_string().empty())
    return fail(errc::invalid_argument, info_name + ": mqtt_host is missing");
  const auto port_number = port != nullptr && port->is_int64() ? port->as_int64()
                           : port != nullptr && port->is_uint64()
                               ? static_cast<std::int64_t>(port->as_uint64())
                               : 0;
  if (port_number < 1 || port_number > 65535)
    return fail(errc::invalid_argument, info_name + ": mqtt_port must be a number 1..65535");
  creds.node_id = std::string(node_id->as_string());
  creds.mqtt_host = std::string(host->as_string());
  creds.mqtt_port = static_cast<std::uint16_t>(port_number);

  auto key_text = detail::read_text_file(creds.key_file());
  if (!key_text)
    return fail(key_text.error());
  auto key = pki::PrivateKey::from_pem(*key_text);
  if (!key) {
    return fail(errc::invalid_argument,
                creds.key_file().string() + ": not a private key: " + key.error().context);
  }
  auto cert_text = detail::read_text_file(creds.cert_file());
  if (!cert_text)
    return fail(cert_text.error());
  auto cert = pki::Certificate::from_pem(*cert_text);
  if (!cert) {
    return fail(errc::invalid_argument,
                creds.cert_file().string() + ": not a certificate: " + cert.error().context);
  }
  if (cert->subject_cn() != creds.node_id) {
    return fail(errc::invalid_argument, creds.cert_file().string() + ": the certificate is for \"" +
                                            cert->subject_cn() + "\", not " + creds.node_id);
  }
  if (!cert->matches_key(*key)) {
    return fail(errc::invalid_argument,
                creds.cert_file().string() + " does not match " + creds.key_file().string());
  }
  auto ca_text = detail::read_text_file(creds.ca_file());
  if (!ca_text)
    return fail(ca_text.error());
  if (auto ca = pki::Certificate::from_pem(*ca_text); !ca) {
    return fail(errc::invalid_argument,
                creds.ca_file().string() + ": not a certificate: " + ca.error().context);
  }
  return creds;
}

}  // namespace stratus::cli

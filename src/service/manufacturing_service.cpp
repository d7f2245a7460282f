#include "service/manufacturing_service.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <span>

#include "auth/secrets.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "proto/mfg_csv.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/topic_rules.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace code = proto::rest::mfg_error;
using log::Channel;
using storage::RegistrationState;

// shortuuid's alphabet: digits and letters without 0, 1, I, O and l (57 characters).
constexpr std::string_view kBase57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::size_t kNodeIdLength = 22;
constexpr std::size_t kMaxFileNameBytes = 255;
constexpr std::size_t kMaxFieldBytes = 256;
constexpr std::size_t kMaxCaPemBytes = 64 * 1024;

// 22 characters drawn uniformly from kBase57 (rejection sampling over the CSPRNG):
// ≈ 128 bits, the shape `shortuuid.uuid()` gives the admin CLI's local ids.
std::string new_base57_id() {
  std::string out;
  out.reserve(kNodeIdLength);
  while (out.size() < kNodeIdLength) {
    std::array<std::byte, 32> buf{};
    random_bytes(buf);
    for (const auto b : buf) {
      const auto v = static_cast<unsigned>(b);
      if (v >= 57 * 4)  // 228: keeps the draw uniform
        continue;
      out.push_back(kBase57[v % 57]);
      if (out.size() == kNodeIdLength)
        break;
    }
  }
  return out;
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

Result<void> check_field(std::string_view name, std::string_view value) {
  if (value.size() > kMaxFieldBytes || !printable(value)) {
    return fail(errc::invalid_argument, code::field_invalid,
                std::string(name) + " must be at most 256 printable bytes");
  }
  return {};
}

std::int64_t parse_expires(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty() || text.size() > 12)
    return -1;
  for (const char c : text) {
    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Result<std::vector<std::string>> parse_admin_tags(std::string_view text) {
  std::vector<std::string> tags;
  for (const auto& raw : split_list(text)) {
    const std::string_view tag = trim(raw);
    if (tag.empty())
      continue;
    const auto colon = tag.find(':');
    if (colon == std::string_view::npos) {
      return fail(errc::invalid_argument, code::field_invalid,
                  "tags: \"" + std::string(tag) + "\" is not name:value");
    }
    const auto name = trim(tag.substr(0, colon));
    const auto value = trim(tag.substr(colon + 1));
    if (name.empty() || value.empty()) {
      return fail(errc::invalid_argument, code::field_invalid,
                  "tags: \"" + std::string(tag) + "\" has an empty name or value");
    }
    if (value.front() == '@') {
      return fail(errc::invalid_argument, code::field_invalid,
                  "tags: \"" + std::string(tag) +
                      "\" names a CSV column; per-row tags (name:@column) are not supported, "
                      "give the value itself");
    }
    std::string joined = std::string(name) + ":" + std::string(value);
    if (auto r = check_field("tags", joined); !r)
      return fail(r.error());
    if (std::find(tags.begin(), tags.end(), joined) == tags.end())
      tags.push_back(std::move(joined));
  }
  return tags;
}

ManufacturingService::ManufacturingService(storage::ManufacturingRepository& repository,
                                           CertificateInspector& inspector, BrokerTrust& trust,
                                           RevocationList& revocations,
                                           RegistrationFileStore& files, AuditLog& audit,
                                           const Clock& clock, ManufacturingOptions options)
    : repository_(repository),
      inspector_(inspector),
      trust_(trust),
      revocations_(revocations),
      files_(files),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)),
      worker_id_(random_alnum(22)) {
  if (options_.mqtt_cred_host.empty())
    options_.mqtt_cred_host = options_.mqtt_host;
}

ManufacturingService::~ManufacturingService() {
  stop();
}

Result<void> ManufacturingService::start() {
  auto cas = repository_.list_cas();
  if (!cas)
    return fail(cas.error());
  for (const auto& ca : *cas) {
    CaCertificateInfo info{ca.fingerprint_hex, ca.subject, ca.certificate_pem, ca.not_after};
    if (auto r = trust_.add_ca(info); !r)
      return r;
  }
  publish_registered();
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = false;
  }
  if (auto r = queue_claimable(); !r)
    return r;
  worker_ = std::thread([this] {
    core::name_this_thread("mfg-worker");
    run_worker();
  });
  return {};
}

void ManufacturingService::stop() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_wake_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

Result<void> ManufacturingService::queue_claimable() {
  auto claimable = repository_.claimable_registrations(now_s(), options_.max_queued_registrations);
  if (!claimable)
    return fail(claimable.error());
  std::size_t added = 0;
  {
    std::lock_guard lock(queue_mutex_);
    for (auto& id : *claimable) {
      if (std::find(queue_.begin(), queue_.end(), id) != queue_.end())
        continue;
      queue_.push_back(std::move(id));  // may exceed the limit: they were accepted
      ++added;
    }
  }
  if (added != 0)
    log::info(Channel::service, "registration: {} jobs queued or left by a stopped worker taken up",
              added);
  return {};
}

void ManufacturingService::run_worker() {
  const auto look_every =
      std::max<std::chrono::milliseconds>(options_.job_lease / 2, std::chrono::milliseconds(100));
  auto next_look = std::chrono::steady_clock::now() + look_every;
  while (true) {
    std::string request_id;
    {
      std::unique_lock lock(queue_mutex_);
      queue_wake_.wait_until(lock, next_look, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      if (!queue_.empty()) {
        request_id = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (std::chrono::steady_clock::now() >= next_look) {
      next_look = std::chrono::steady_clock::now() + look_every;
      if (auto r = queue_claimable(); !r)
        log::warn(Channel::service, "registration: jobs not looked up: {}", r.error().message());
    }
    if (!request_id.empty())
      process(request_id);
  }
}

Result<void> ManufacturingService::require_admin(const Principal& who,
                                                 std::string_view action) const {
  if (who.super_admin)
    return {};
  Result<void> refused =
      fail(errc::forbidden, proto::rest::request_error::not_authorized, "a super-admin route");
  return audited(audit_, who, std::string(action), "", "", std::move(refused));
}

std::int64_t ManufacturingService::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

std::string ManufacturingService::sign(std::string_view kind, std::string_view request_id,
                                       std::int64_t expires) const {
  return auth::hmac_sha256_hex(options_.url_key, "stratus-mfg\n" + std::string(kind) + "\n" +
                                                     std::string(request_id) + "\n" +
                                                     std::to_string(expires));
}

Result<void> ManufacturingService::check_signature(std::string_view kind,
                                                   std::string_view request_id,
                                                   std::string_view expires,
                                                   std::string_view sig) const {
  const auto at = parse_expires(expires);
  const auto bad = [](std::string_view why) {
    return fail(errc::forbidden, code::signed_url_invalid,
                "this URL is not valid: " + std::string(why));
  };
  if (request_id.empty() || at < 0 || sig.size() != 64)
    return bad("malformed");
  if (!constant_time_equal(sign(kind, request_id, at), lower(sig)))
    return bad("bad signature");
  if (at < now_s())
    return bad("expired");
  return {};
}

std::string ManufacturingService::signed_url(std::string_view base_url, std::string_view path,
                                             std::string_view kind,
                                             std::string_view request_id) const {
  const auto expires = now_s() + options_.url_lifetime.count();
  return std::string(base_url) + std::string(path) + "?request_id=" + std::string(request_id) +
         "&expires=" + std::to_string(expires) + "&sig=" + sign(kind, request_id, expires);
}

Result<std::pair<std::string, std::string>> ManufacturingService::mqtt_host(
    const Principal& who) const {
  if (auto r = require_admin(who, "admin.mfg.mqtt_host"); !r)
    return fail(r.error());
  return std::pair(options_.mqtt_host, options_.mqtt_cred_host);
}

Result<bool> ManufacturingService::deployment_status_mail(const Principal& who) const {
  if (auto r = require_admin(who, "admin.mfg.deployment"); !r)
    return fail(r.error());
  return false;
}

Result<std::string> ManufacturingService::request_node_ids(const Principal& who,
                                                           std::int64_t count) {
  if (auto r = require_admin(who, "admin.mfg.node_ids.request"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<std::string> {
    if (count < 1 || static_cast<std::uint64_t>(count) > options_.max_node_ids) {
      return fail(errc::invalid_argument, code::node_count_invalid,
                  "node_count must be 1 to " + std::to_string(options_.max_node_ids));
    }
    const auto request_id = random_alnum(22);
    for (int attempt = 0;; ++attempt) {
      std::vector<std::string> ids;
      ids.reserve(static_cast<std::size_t>(count));
      for (std::int64_t i = 0; i < count; ++i)
        ids.push_back(new_base57_id());
      std::sort(ids.begin(), ids.end());
      if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
        continue;  // ~2^-110 per pair: practically never
      auto r = repository_.create_node_ids(request_id, ids, who.user_id, now_s());
      if (r)
        break;
      if (r.error().code != errc::conflict || attempt >= 3)
        return fail(r.error());
    }
    log::info(Channel::service, "node ids reserved request_id={} count={} by={}", request_id, count,
              who.user_id);
    return request_id;
  }();
  const std::string object_id = result ? *result : std::string();
  return audited(audit_, who, "admin.mfg.node_ids.request", "node_ids_request", object_id,
                 std::move(result), "node_count=" + std::to_string(count));
}

Result<NodeIdsStatus> ManufacturingService::node_ids_status(const Principal& who,
                                                            std::string_view request_id,
                                                            std::string_view base_url) {
  if (auto r = require_admin(who, "admin.mfg.node_ids.status"); !r)
    return fail(r.error());
  auto ids = repository_.node_ids(request_id);
  if (!ids) {
    if (ids.error().code == errc::not_found) {
      return fail(errc::not_found, code::request_not_found,
                  "no node id request " + std::string(request_id));
    }
    return fail(ids.error());
  }
  return NodeIdsStatus{"success", signed_url(base_url, "/v1/mfg/node_ids", "node_ids", request_id)};
}

Result<std::string> ManufacturingService::download_node_ids(std::string_view request_id,
                                                            std::string_view expires,
                                                            std::string_view sig) {
  if (auto r = check_signature("node_ids", request_id, expires, sig); !r)
    return fail(r.error());
  auto ids = repository_.node_ids(request_id);
  if (!ids) {
    if (ids.error().code == errc::not_found)
      return fail(errc::not_found, code::request_not_found, "no such node id request");
    return fail(ids.error());
  }
  std::string line;
  for (const auto& id : *ids) {
    if (!line.empty())
      line.push_back(',');
    line += id;
  }
  return line;
}

Result<UploadTicket> ManufacturingService::upload_url(const Principal& who,
                                                      std::string_view file_name,
                                                      std::string_view base_url) {
  if (auto r = require_admin(who, "admin.mfg.register.upload"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<UploadTicket> {
    const bool ok = !file_name.empty() && file_name.size() <= kMaxFileNameBytes &&
                    printable(file_name) && file_name.find('/') == std::string_view::npos &&
                    file_name.find('\\') == std::string_view::npos;
    if (!ok) {
      return fail(errc::invalid_argument, code::file_name_invalid,
                  "file_name must be 1 to 255 printable bytes without a path separator");
    }
    storage::RegistrationRecord record;
    record.request_id = random_alnum(22);
    record.file_name = std::string(file_name);
    record.state = RegistrationState::awaiting_upload;
    record.created_by = who.user_id;
    record.created_at = record.updated_at = now_s();
    if (auto r = repository_.create_registration(record); !r)
      return fail(r.error());
    return UploadTicket{signed_url(base_url, "/v1/mfg/upload", "upload", record.request_id),
                        record.request_id};
  }();
  const std::string object_id = result ? result->request_id : std::string();
  return audited(audit_, who, "admin.mfg.register.upload", "registration", object_id,
                 std::move(result), std::string(file_name));
}

Result<void> ManufacturingService::store_upload(std::string_view request_id,
                                                std::string_view expires, std::string_view sig,
                                                const std::string& temp_path) {
  if (auto r = check_signature("upload", request_id, expires, sig); !r)
    return fail(r.error());
  auto record = repository_.get_registration(request_id);
  if (!record) {
    if (record.error().code == errc::not_found)
      return fail(errc::not_found, code::request_not_found, "no such registration request");
    return fail(record.error());
  }
  if (record->state != RegistrationState::awaiting_upload) {
    return fail(errc::conflict, code::registration_state,
                "a file was uploaded for this request already");
  }
  if (auto r = files_.put(request_id, temp_path); !r) {
    if (r.error().code == errc::already_exists) {
      return fail(errc::conflict, code::registration_state,
                  "a file was uploaded for this request already");
    }
    return r;
  }
  record->state = RegistrationState::uploaded;
  record->updated_at = now_s();
  return repository_.update_registration(*record, RegistrationState::awaiting_upload);
}

Result<std::string> ManufacturingService::register_certificates(const Principal& who,
                                                                const RegistrationRequest& req) {
  if (auto r = require_admin(who, "admin.mfg.register"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<std::string> {
    for (const auto& [name, value] : std::array<std::pair<std::string_view, std::string_view>, 5>{
             {{"group_name", req.group_name},
              {"parent_group_name", req.parent_group_name},
              {"type", req.type},
              {"model", req.model},
              {"subtype", req.subtype}}}) {
      if (auto r = check_field(name, value); !r)
        return fail(r.error());
    }
    auto tags = parse_admin_tags(req.tags);
    if (!tags)
      return fail(tags.error());
    if (!req.parent_group_name.empty() && req.group_name.empty()) {
      return fail(errc::invalid_argument, code::field_invalid,
                  "parent_group_name needs group_name");
    }
    auto record = repository_.get_registration(req.request_id);
    if (!record) {
      if (record.error().code == errc::not_found) {
        return fail(errc::not_found, code::request_not_found,
                    "no registration request " + req.request_id +
                        " (ask for an upload URL first: GET "
                        "/v1/admin/node_certificates/register?file_name=)");
      }
      return fail(record.error());
    }
    if (record->state == RegistrationState::awaiting_upload) {
      return fail(errc::invalid_argument, code::file_missing,
                  "no file was uploaded for request " + req.request_id);
    }
    if (record->state != RegistrationState::uploaded) {
      return fail(errc::conflict, code::registration_state,
                  "request " + req.request_id + " is registered already (" +
                      std::string(storage::to_string(record->state)) + ")");
    }
    auto md5 = files_.md5_hex(req.request_id);
    if (!md5)
      return fail(md5.error());
    if (lower(trim(req.file_md5)) != *md5) {
      return fail(errc::invalid_argument, code::md5_mismatch,
                  "file_md5 is not the MD5 of the uploaded file (" + *md5 + ")");
    }
    json::array tag_array;
    for (const auto& t : *tags)
      tag_array.emplace_back(t);
    record->options = json::serialize(json::object{{"group_name", req.group_name},
                                                   {"parent_group_name", req.parent_group_name},
                                                   {"type", req.type},
                                                   {"model", req.model},
                                                   {"subtype", req.subtype},
                                                   {"tags", std::move(tag_array)},
                                                   {"force", req.force},
                                                   {"update_nodes", req.update_nodes}});
    if (!req.file_name.empty() && printable(req.file_name) &&
        req.file_name.size() <= kMaxFileNameBytes) {
      record->file_name = req.file_name;
    }
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.size() >= options_.max_queued_registrations) {
        return fail(errc::unavailable, code::queue_full,
                    std::to_string(queue_.size()) +
                        " registrations are waiting (manufacturing.max_queued_registrations); "
                        "retry later");
      }
      record->state = RegistrationState::queued;
      record->updated_at = now_s();
      if (auto r = repository_.update_registration(*record, RegistrationState::uploaded); !r) {
        if (r.error().code == errc::conflict) {  // a concurrent request queued it first
          return fail(errc::conflict, code::registration_state,
                      "request " + req.request_id + " is registered already");
        }
        return fail(r.error());
      }
      queue_.push_back(record->request_id);
    }
    queue_wake_.notify_one();
    log::info(Channel::service, "registration queued request_id={} file={} by={}",
              record->request_id, record->file_name, who.user_id);
    return record->request_id;
  }();
  const std::string object_id = req.request_id;
  return audited(audit_, who, "admin.mfg.register", "registration", object_id, std::move(result),
                 "file_name=" + req.file_name);
}

Result<RegistrationStatus> ManufacturingService::registration_status(const Principal& who,
                                                                     std::string_view request_id) {
  if (auto r = require_admin(who, "admin.mfg.register.status"); !r)
    return fail(r.error());
  auto record = repository_.get_registration(request_id);
  if (!record) {
    if (record.error().code == errc::not_found) {
      return fail(errc::not_found, code::request_not_found,
                  "no registration request " + std::string(request_id));
    }
    return fail(record.error());
  }
  std::string description = record->description;
  if (description.empty()) {
    switch (record->state) {
      case RegistrationState::awaiting_upload:
        description = "waiting for the file upload";
        break;
      case RegistrationState::uploaded:
        description = "file uploaded; registration not requested yet";
        break;
      case RegistrationState::queued:
        description = "waiting for the registration worker";
        break;
      default:
        description = "registering";
        break;
    }
  }
  return RegistrationStatus{std::string(storage::to_string(record->state)), description,
                            record->total, record->registered, record->failed};
}

Result<std::vector<AdminGroup>> ManufacturingService::node_groups(const Principal& who,
                                                                  std::string_view group_name) {
  if (auto r = require_admin(who, "admin.mfg.node_group"); !r)
    return fail(r.error());
  auto groups = repository_.find_groups(group_name);
  if (!groups)
    return fail(groups.error());
  std::vector<AdminGroup> out;
  for (auto& g : *groups)
    out.push_back(AdminGroup{std::move(g.group_id), std::move(g.group_name), g.parent_group_id});
  return out;
}

Result<ManufacturingCa> ManufacturingService::add_ca(const Principal& who, std::string_view pem) {
  if (auto r = require_admin(who, "admin.mfg.cacert.register"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<ManufacturingCa> {
    if (pem.size() > kMaxCaPemBytes) {
      return fail(errc::invalid_argument, code::ca_invalid, "the CA certificate is over 64 KiB");
    }
    auto info = inspector_.inspect_ca(pem);
    if (!info) {
      return fail(errc::invalid_argument, code::ca_invalid,
                  "not a CA certificate: " + info.error().context);
    }
    const auto now = now_s();
    if (info->not_after <= now)
      return fail(errc::invalid_argument, code::ca_invalid, "the CA certificate has expired");
    storage::ManufacturingCaRecord record{info->fingerprint_hex, info->subject,
                                          info->certificate_pem, info->not_after,
                                          who.user_id,           now};
    if (auto r = repository_.create_ca(record); !r) {
      if (r.error().code == errc::already_exists) {
        return fail(errc::conflict, code::ca_exists,
                    "CA " + info->fingerprint_hex + " is registered already");
      }
      return fail(r.error());
    }
    // The database is the record: a failed trust-store write is retried at the next start.
    if (auto r = trust_.add_ca(*info); !r) {
      log::error(Channel::service, "CA {} stored but not yet trusted by the broker: {}",
                 info->fingerprint_hex, r.error().message());
    }
    log::info(Channel::service, "manufacturing CA registered fingerprint={} subject=\"{}\" by={}",
              info->fingerprint_hex, info->subject, who.user_id);
    return ManufacturingCa{info->fingerprint_hex, info->subject, info->not_after, now};
  }();
  const std::string object_id = result ? result->fingerprint_hex : std::string();
  return audited(audit_, who, "admin.mfg.cacert.register", "manufacturing_ca", object_id,
                 std::move(result), {});
}

Result<std::vector<ManufacturingCa>> ManufacturingService::list_cas(const Principal& who) {
  if (auto r = require_admin(who, "admin.mfg.cacert.list"); !r)
    return fail(r.error());
  auto cas = repository_.list_cas();
  if (!cas)
    return fail(cas.error());
  std::vector<ManufacturingCa> out;
  for (auto& ca : *cas)
    out.push_back(ManufacturingCa{ca.fingerprint_hex, ca.subject, ca.not_after, ca.added_at});
  return out;
}

void ManufacturingService::publish_registered() {
  std::lock_guard lock(publish_mutex_);
  auto list = repository_.registered_fingerprints(now_s());
  if (!list) {
    log::error(Channel::service, "registered list not read: {}", list.error().message());
    return;
  }
  if (auto r = trust_.publish_registered(*list); !r) {
    log::error(Channel::service, "registered list not published to the broker: {}",
               r.error().message());
  }
}

Result<NodeRevoked> ManufacturingService::revoke_node(const Principal& who,
                                                      std::string_view node_id,
                                                      std::string_view reason) {
  if (auto r = require_admin(who, "admin.node.revoke"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<NodeRevoked> {
    if (!proto::valid_node_id(node_id)) {
      return fail(errc::invalid_argument, code::field_invalid,
                  "node_id must be 1 to 128 characters of [A-Za-z0-9._:-]");
    }
    if (auto r = check_field("reason", reason); !r)
      return fail(r.error());
    const std::string why = reason.empty() ? "revoked by an admin" : std::string(reason);
    auto revoked = repository_.revoke_node(node_id, why, who.user_id, now_s());
    if (!revoked) {
      if (revoked.error().code == errc::not_found) {
        return fail(errc::not_found, code::node_not_found,
                    "no node and no certificate " + std::string(node_id));
      }
      return fail(revoked.error());
    }
    // The database is the record; the broker must hear it too, or the node keeps
    // connecting: the admin learns that it did not (the server retries every few
    // seconds, and revoking again is harmless).
    auto published = revocations_.publish();
    publish_registered();
    log::info(Channel::service, "node revoked node_id={} certificates={} by={} reason=\"{}\"",
              node_id, *revoked, who.user_id, why);
    if (!published) {
      return fail(errc::unavailable,
                  "node " + std::string(node_id) +
                      " is revoked in the database, but the broker's revocation list was not "
                      "written (retried every few seconds): " +
                      published.error().message());
    }
    return NodeRevoked{std::string(node_id), *revoked};
  }();
  const std::string object_id = std::string(node_id);
  return audited(audit_, who, "admin.node.revoke", "node", object_id, std::move(result),
                 std::string(reason));
}

Result<void> ManufacturingService::allow_reclaim(const Principal& who, std::string_view node_id) {
  if (auto r = require_admin(who, "admin.node.allow_reclaim"); !r)
    return fail(r.error());
  auto result = [&]() -> Result<void> {
    if (auto r = repository_.allow_reclaim(node_id); !r) {
      if (r.error().code == errc::not_found) {
        return fail(errc::not_found, code::not_revoked,
                    "node " + std::string(node_id) + " was not revoked by an admin");
      }
      return r;
    }
    log::info(Channel::service, "reclaim allowed node_id={} by={}", node_id, who.user_id);
    return {};
  }();
  const std::string object_id = std::string(node_id);
  return audited(audit_, who, "admin.node.allow_reclaim", "node", object_id, std::move(result), {});
}

Result<std::vector<storage::RevokedCertificate>> ManufacturingService::list_revoked(
    const Principal& who, std::string_view node_id, std::size_t offset, std::size_t limit) {
  if (auto r = require_admin(who, "admin.node.revoked.list"); !r)
    return fail(r.error());
  return repository_.list_revoked(node_id, offset, limit);
}

// --- the worker ------------------------------------------------------------------

void ManufacturingService::process(std::string_view request_id) {
  // Taken if it is queued, or in_progress under a lease that ended (its worker died): of
  // two workers, or a job queued twice, it runs once, and a finished job is not run again.
  const auto lease = options_.job_lease.count();
  const auto renew_every = std::max<std::int64_t>(lease / 3, 1);  // seconds
  const auto taken_at = now_s();
  auto taken = repository_.claim_registration(request_id, worker_id_, taken_at, taken_at + lease);
  if (!taken) {
    log::error(Channel::service, "registration {} not taken: {}", request_id,
               taken.error().message());
    return;
  }
  if (!*taken) {
    log::debug(Channel::service, "registration {} is not there to take (done, or held)",
               request_id);
    return;
  }
  auto record = std::move(*taken);
  auto renew_at = now_s() + renew_every;
  // Stores progress or the end; false once another worker holds the job.
  const auto store = [&](std::int64_t lease_until) {
    record->updated_at = now_s();
    auto r = repository_.update_claimed_registration(*record, worker_id_, lease_until);
    if (!r) {
      log::error(Channel::service, "registration {} not stored: {}", request_id,
                 r.error().message());
      return true;  // the lease still holds, or ends and another worker starts over
    }
    if (!*r)
      log::warn(Channel::service, "registration {}: another worker took it over", request_id);
    return *r;
  };

  const auto finish = [&](RegistrationState state, std::string description) {
    record->state = state;
    record->description = std::move(description);
    if (!store(0))
      return;
    log::info(Channel::service, "registration done request_id={} state={} registered={} failed={}",
              request_id, storage::to_string(state), record->registered, record->failed);
  };

  json::object options;
  if (auto parsed = json::parse(record->options); parsed.is_object())
    options = parsed.as_object();
  const auto text = [&](std::string_view key) {
    const auto* v = options.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const auto flag = [&](std::string_view key) {
    const auto* v = options.if_contains(key);
    return v != nullptr && v->is_bool() && v->as_bool();
  };
  std::string tags_json = "[]";
  if (const auto* v = options.if_contains("tags"); v != nullptr && v->is_array())
    tags_json = json::serialize(*v);

  auto bytes = files_.read(request_id);
  if (!bytes)
    return finish(RegistrationState::failure, "the uploaded file cannot be read");
  auto rows = proto::parse_node_certs_csv(*bytes);
  if (!rows)
    return finish(RegistrationState::failure,
                  "the file is not a node_certs.csv: " + rows.error().context);
  if (rows->size() > options_.max_rows) {
    return finish(RegistrationState::failure,
                  "the file has " + std::to_string(rows->size()) + " rows; at most " +
                      std::to_string(options_.max_rows) + " are registered at once");
  }

  std::optional<std::string> group_id;
  if (const auto group = text("group_name"); !group.empty()) {
    std::optional<std::string> parent;
    if (const auto parent_name = text("parent_group_name"); !parent_name.empty()) {
      auto p = repository_.ensure_group(parent_name, std::nullopt, random_alnum(22), now_s());
      if (!p)
        return finish(RegistrationState::failure, "group not stored: " + p.error().context);
      parent = p->group_id;
    }
    auto g = repository_.ensure_group(group, parent, random_alnum(22), now_s());
    if (!g)
      return finish(RegistrationState::failure, "group not stored: " + g.error().context);
    group_id = g->group_id;
  }

  auto cas = repository_.list_cas();
  if (!cas)
    return finish(RegistrationState::failure, "CAs not read: " + cas.error().context);
  std::vector<std::string> ca_pems;
  for (const auto& ca : *cas)
    ca_pems.push_back(ca.certificate_pem);

  record->total = static_cast<std::int64_t>(rows->size());
  record->registered = 0;
  record->failed = 0;
  std::string errors;
  std::size_t listed = 0;
  std::int64_t revoked_total = 0;
  const auto row_error = [&](const proto::NodeCertRow& row, std::string_view why) {
    ++record->failed;
    if (listed < options_.max_listed_errors) {
      errors += "\nline " + std::to_string(row.line) + " node " +
                (row.node_id.empty() ? std::string("(none)") : row.node_id.substr(0, 128)) + ": " +
                std::string(why);
      ++listed;
    }
  };
  for (const auto& row : *rows) {
    {
      std::lock_guard lock(queue_mutex_);
      if (stopping_) {  // given back: resumed from the first row by the next worker
        record->state = RegistrationState::queued;
        (void)store(0);
        return;
      }
    }
    if (now_s() >= renew_at) {
      if (!store(now_s() + lease))
        return;  // the lease ended: another worker runs the job from its first row
      renew_at = now_s() + renew_every;
    }
    if (!proto::valid_node_id(row.node_id)) {
      row_error(row, "node_id is not 1 to 128 characters of [A-Za-z0-9._:-]");
      continue;
    }
    auto cert = inspector_.inspect_device(row.certificate_pem, ca_pems);
    if (!cert) {
      row_error(row, cert.error().code == errc::forbidden
                         ? "the certificate is not signed by a registered manufacturing CA or "
                           "the Stratus CA"
                         : "the certificate is not a valid PEM node certificate: " +
                               cert.error().context.substr(0, 200));
      continue;
    }
    if (cert->common_name != row.node_id) {
      row_error(row, "the certificate's CN \"" + cert->common_name.substr(0, 128) +
                         "\" is not the node_id");
      continue;
    }
    if (cert->not_after <= now_s()) {
      row_error(row, "the certificate has expired");
      continue;
    }
    storage::NodeRegistration n;
    n.node_id = row.node_id;
    n.request_id = record->request_id;
    n.serial_hex = cert->serial_hex;
    n.fingerprint_hex = cert->fingerprint_hex;
    n.not_after = cert->not_after;
    n.certificate_pem = cert->certificate_pem;
    n.qrcode = row.qrcode.substr(0, 1024);
    n.type = text("type");
    n.model = text("model");
    n.subtype = text("subtype");
    n.tags_json = tags_json;
    n.group_id = group_id;
    n.force = flag("force");
    n.update_nodes = flag("update_nodes");
    n.revoke_reason = "replaced by registration " + record->request_id;
    n.at = now_s();
    auto done = repository_.register_node(n);
    if (!done) {
      if (done.error().code == errc::already_exists) {
        row_error(row, done.error().context + " (duplicate; --force replaces it" +
                           std::string(done.error().context.find("already") != std::string::npos
                                           ? ", --update_nodes updates the node"
                                           : "") +
                           ")");
      } else if (done.error().code == errc::conflict) {
        row_error(row, done.error().context);
      } else {
        row_error(row, "not stored: " + done.error().message());
      }
      continue;
    }
    ++record->registered;
    revoked_total += done->second;
  }
  publish_registered();
  if (revoked_total > 0)
    (void)revocations_.publish();  // logged; the database is the record
  files_.remove(request_id);
  std::string summary = std::to_string(record->registered) + " of " +
                        std::to_string(record->total) + " node certificates registered";
  if (record->failed > 0) {
    summary += ", " + std::to_string(record->failed) + " refused:";
    summary += errors;
    if (static_cast<std::size_t>(record->failed) > listed)
      summary +=
          "\n… and " + std::to_string(record->failed - static_cast<std::int64_t>(listed)) + " more";
  }
  const auto state = record->failed == 0      ? RegistrationState::success
                     : record->registered > 0 ? RegistrationState::partial_success
                                              : RegistrationState::failure;
  finish(state, summary);
}

}  // namespace stratus::service

#include "mfg/batch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "core/random.hpp"
#include "mfg/node_ids.hpp"
#include "pki/certificate.hpp"
#include "proto/mfg_csv.hpp"
#include "proto/nvs_partition.hpp"

namespace stratus::mfg {
namespace {

namespace fs = std::filesystem;

/// Nodes per unit of work: small enough for even progress and a short reorder window,
/// large enough that the shared queue is not contended.
constexpr std::size_t kChunkNodes = 16;

std::string_view transport_name(ProvTransport transport) {
  return transport == ProvTransport::softap ? "softap" : "ble";
}

std::string index_text(std::size_t index) {
  std::string digits = std::to_string(index);
  if (digits.size() < 6)
    digits.insert(0, 6 - digits.size(), '0');
  return digits;
}

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

/// Writes `data` to a new file `path` (replacing one that exists) with `mode`.
Result<void> write_file(const fs::path& path, std::string_view data, mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return fail(errc::unavailable, "cannot create " + path.string() + ": " + errno_text(errno));
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      return fail(errc::unavailable, "cannot write " + path.string() + ": " + errno_text(error));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    return fail(errc::unavailable, "cannot write " + path.string() + ": " + errno_text(errno));
  return {};
}

/// An append-only file written in order by `OrderedSink`.
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Result<void> open(const fs::path& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      return fail(errc::unavailable, "cannot create " + path.string() + ": " + errno_text(errno));
    return {};
  }
  Result<void> append(std::string_view data) {
    std::size_t written = 0;
    while (written < data.size()) {
      const ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail(errc::unavailable, "cannot write " + path_.string() + ": " + errno_text(errno));
      written += static_cast<std::size_t>(n);
    }
    return {};
  }
  Result<void> close() {
    const int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0)
      return fail(errc::unavailable, "cannot write " + path_.string() + ": " + errno_text(errno));
    return {};
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

/// The CSV rows of one chunk, appended to the common files once every earlier chunk is.
struct Fragment {
  std::string node_certs;
  std::string values;
  std::size_t nodes = 0;
};

/// Puts chunks' rows into `node_certs.csv` and `values.csv` in chunk order. Thread-safe.
class OrderedSink {
 public:
  OrderedSink(AppendFile& node_certs, AppendFile& values, std::size_t total,
              const std::function<void(std::size_t, std::size_t)>& on_progress)
      : node_certs_(node_certs), values_(values), total_(total), on_progress_(on_progress) {}

  Result<void> put(std::size_t chunk, Fragment fragment) {
    const std::lock_guard lock(mutex_);
    pending_.emplace(chunk, std::move(fragment));
    for (auto it = pending_.find(next_); it != pending_.end(); it = pending_.find(next_)) {
      if (auto ok = node_certs_.append(it->second.node_certs); !ok)
        return ok;
      if (auto ok = values_.append(it->second.values); !ok)
        return ok;
      done_ += it->second.nodes;
      pending_.erase(it);
      ++next_;
      if (on_progress_)
        on_progress_(done_, total_);
    }
    return {};
  }

 private:
  std::mutex mutex_;
  AppendFile& node_certs_;
  AppendFile& values_;
  std::size_t total_;
  const std::function<void(std::size_t, std::size_t)>& on_progress_;
  std::map<std::size_t, Fragment> pending_;
  std::size_t next_ = 0;
  std::size_t done_ = 0;
};

/// The batch's fixed facts, shared read-only by the workers.
struct Plan {
  const pki::CertificateAuthority& ca;
  const BatchOptions& options;
  fs::path directory;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

Result<void> make_node(const Plan& plan, std::size_t position, Fragment& fragment) {
  const BatchOptions& options = plan.options;
  const std::string& node_id = options.node_ids[position];
  const std::size_t index = position + 1;
  const std::string name = "node-" + index_text(index) + "-" + node_id;

  auto key = pki::PrivateKey::generate(options.key_type);
  if (!key)
    return fail(std::move(key).error());
  auto certificate =
      plan.ca.issue_device_certificate(*key, node_id, plan.not_before, plan.not_after);
  if (!certificate)
    return fail(std::move(certificate).error());
  const std::string key_pem = key->to_pem();
  const std::string cert_pem = certificate->to_pem();
  const std::string random = random_hex(kRandomBytes);
  const std::string qr = qr_payload(random, options.transport, options.prov_prefix);

  const fs::path details = plan.directory / "node_details" / name;
  std::error_code ec;
  fs::create_directory(details, ec);
  if (ec)
    return fail(errc::unavailable, "cannot create " + details.string() + ": " + ec.message());
  const fs::path cert_path = details / "node.crt";
  const fs::path key_path = details / "node.key";
  if (auto ok = write_file(cert_path, cert_pem); !ok)
    return ok;
  if (auto ok = write_file(key_path, key_pem, 0600); !ok)
    return ok;
  if (auto ok = write_file(details / "qrcode.txt", qr); !ok)
    return ok;
  if (auto ok = write_file(details / "random.txt", random); !ok)
    return ok;
  // The generator input the admin CLI's mfg_gen.py writes for this node; the image below
  // holds exactly these rows.
  const std::string node_info =
      "key,type,encoding,value\nrmaker_creds,namespace,,\nnode_id,data,binary," + node_id +
      "\nmqtt_host,data,binary," + options.mqtt_host + "\nmqtt_cred_host,data,binary," +
      options.mqtt_cred_host + "\nclient_cert,file,binary," + cert_path.string() +
      "\nclient_key,file,binary," + key_path.string() + "\nrandom,data,hex2bin," + random + "\n";
  if (auto ok = write_file(details / "node_info.csv", node_info); !ok)
    return ok;

  auto image = rmaker_creds_image(node_id, options.mqtt_host, options.mqtt_cred_host, cert_pem,
                                  key_pem, random, options.nvs_partition_bytes);
  if (!image)
    return fail(errc::internal, "node " + node_id + ": " + image.error().context);
  if (auto ok = write_file(plan.directory / "bin" / (name + ".bin"), *image); !ok)
    return ok;

  fragment.node_certs += proto::node_certs_csv_row({node_id, cert_pem, qr, 0});
  fragment.values +=
      proto::mfg_values_csv_row({index, node_id, options.mqtt_host, options.mqtt_cred_host,
                                 cert_path.string(), key_path.string(), random, qr});
  ++fragment.nodes;
  return {};
}

Result<void> check_options(const BatchOptions& options) {
  if (options.node_ids.empty() || options.node_ids.size() > kMaxBatchNodes)
    return fail(errc::invalid_argument, "a batch has 1 to " + std::to_string(kMaxBatchNodes) +
                                            " nodes, not " +
                                            std::to_string(options.node_ids.size()));
  if (auto ok = check_node_ids(options.node_ids); !ok)
    return ok;
  const auto printable = [](std::string_view s, bool allow_quote) {
    for (const char c : s)
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7F ||
          (!allow_quote && (c == '"' || c == '\\')) || c == ',')
        return false;
    return true;
  };
  if (options.mqtt_host.empty() || options.mqtt_host.size() > 255 ||
      !printable(options.mqtt_host, false))
    return fail(errc::invalid_argument,
                "mqtt host '" + options.mqtt_host + "' must be 1 to 255 printable characters");
  if (options.mqtt_cred_host.size() > 255 || !printable(options.mqtt_cred_host, false))
    return fail(errc::invalid_argument, "mqtt cred host '" + options.mqtt_cred_host +
                                            "' must be at most 255 printable characters");
  if (options.prov_prefix.empty() || options.prov_prefix.size() > 32 ||
      !printable(options.prov_prefix, false))
    return fail(errc::invalid_argument,
                "prov prefix '" + options.prov_prefix +
                    "' must be 1 to 32 printable characters without quotes, backslashes or commas");
  if (options.nvs_partition_bytes % proto::kNvsPageBytes != 0 ||
      options.nvs_partition_bytes < proto::kNvsMinPartitionBytes ||
      options.nvs_partition_bytes > proto::kNvsMaxPartitionBytes)
    return fail(errc::invalid_argument,
                "NVS partition size must be a multiple of 4096 from 0x3000");
  return {};
}

std::string local_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

/// `from` plus `years` calendar years, the day clamped to the month's end (Feb 29 → 28),
/// the time of day kept: what `dateutil.relativedelta(years=…)` does.
std::chrono::system_clock::time_point add_years(std::chrono::system_clock::time_point from,
                                                int years) {
  using namespace std::chrono;
  const auto day = floor<days>(from);
  const auto time_of_day = from - day;
  year_month_day ymd{day};
  ymd = ymd + std::chrono::years(years);
  if (!ymd.ok())
    ymd = ymd.year() / ymd.month() / last;
  return sys_days{ymd} + time_of_day;
}

/// Creates `<outdir>/<date>/Mfg-<n>` with n = entries already there + 1, counting up if
/// that name is taken (the admin CLI's numbering).
Result<fs::path> make_batch_directory(const fs::path& outdir, const std::string& date) {
  std::error_code ec;
  const fs::path date_dir = outdir / date;
  fs::create_directories(date_dir, ec);
  if (ec)
    return fail(errc::unavailable, "cannot create " + date_dir.string() + ": " + ec.message());
  std::size_t entries = 0;
  for (auto it = fs::directory_iterator(date_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++entries;
  if (ec)
    return fail(errc::unavailable, "cannot list " + date_dir.string() + ": " + ec.message());
  for (std::size_t n = entries + 1; n < entries + 1000; ++n) {
    const fs::path dir = date_dir / ("Mfg-" + index_text(n));
    if (fs::create_directory(dir, ec))
      return dir;
    if (ec)
      return fail(errc::unavailable, "cannot create " + dir.string() + ": " + ec.message());
  }
  return fail(errc::unavailable, "no free Mfg-<n> directory name in " + date_dir.string());
}

Result<void> write_common(const pki::CertificateAuthority& ca, const BatchOptions& options,
                          const fs::path& directory) {
  std::error_code ec;
  for (const char* sub : {"bin", "csv", "node_details", "common"}) {
    fs::create_directory(directory / sub, ec);
    if (ec)
      return fail(errc::unavailable,
                  "cannot create " + (directory / sub).string() + ": " + ec.message());
  }
  const fs::path common = directory / "common";
  if (auto ok = write_file(directory / ".gitignore", "*"); !ok)
    return ok;
  if (auto ok = write_file(common / "ca.crt", ca.certificate().to_pem()); !ok)
    return ok;
  if (auto ok = write_file(common / "ca.key", ca.key().to_pem(), 0600); !ok)
    return ok;
  if (auto ok = write_file(common / "endpoint.txt", options.mqtt_host); !ok)
    return ok;
  if (!options.mqtt_cred_host.empty())
    if (auto ok = write_file(common / "mqtt_cred_host.txt", options.mqtt_cred_host); !ok)
      return ok;
  if (auto ok = write_file(common / "node_ids.csv", proto::write_node_ids_csv(options.node_ids));
      !ok)
    return ok;
  return write_file(common / "config.csv", proto::write_mfg_config_csv());
}

Result<void> run_workers(const Plan& plan, AppendFile& node_certs, AppendFile& values) {
  const BatchOptions& options = plan.options;
  const std::size_t total = options.node_ids.size();
  const std::size_t chunks = (total + kChunkNodes - 1) / kChunkNodes;
  std::size_t threads =
      options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  threads = std::clamp<std::size_t>(threads, 1, chunks);

  OrderedSink sink(node_certs, values, total, options.on_progress);
  std::atomic<std::size_t> next_chunk{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::optional<Error> first_error;
  const auto record = [&](Error error) {
    const std::lock_guard lock(error_mutex);
    if (!first_error)
      first_error = std::move(error);
    stop = true;
  };

  {
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        while (!stop) {
          const std::size_t chunk = next_chunk.fetch_add(1);
          if (chunk >= chunks)
            return;
          Fragment fragment;
          const std::size_t end = std::min(total, (chunk + 1) * kChunkNodes);
          for (std::size_t position = chunk * kChunkNodes; position < end && !stop; ++position) {
            if (auto ok = make_node(plan, position, fragment); !ok) {
              record(std::move(ok).error());
              return;
            }
          }
          if (stop)
            return;
          if (auto ok = sink.put(chunk, std::move(fragment)); !ok) {
            record(std::move(ok).error());
            return;
          }
        }
      });
    }
  }  // joins the workers
  if (first_error)
    return fail(std::move(*first_error));
  return {};
}

}  // namespace

std::string qr_payload(std::string_view random_hex, ProvTransport transport,
                       std::string_view prov_prefix) {
  const auto name_suffix =
      random_hex.size() >= 6 ? random_hex.substr(random_hex.size() - 6) : random_hex;
  std::string out = R"({"ver": "v1", "name": ")";
  out += prov_prefix;
  out += '_';
  out += name_suffix;
  out += R"(", "pop": ")";
  out += random_hex.substr(0, 8);
  out += R"(", "transport": ")";
  out += transport_name(transport);
  out += "\"}";
  return out;
}

Result<std::string> rmaker_creds_image(std::string_view node_id, std::string_view mqtt_host,
                                       std::string_view mqtt_cred_host,
                                       std::string_view certificate_pem, std::string_view key_pem,
                                       std::string_view random_hex, std::size_t partition_bytes) {
  auto writer = proto::NvsPartitionWriter::create(partition_bytes);
  if (!writer)
    return fail(std::move(writer).error());
  // The rows of the admin CLI's config.csv, in its order.
  auto ok = writer->add_namespace("rmaker_creds")
                .and_then([&] { return writer->add_blob("node_id", node_id); })
                .and_then([&] { return writer->add_blob("mqtt_host", mqtt_host); })
                .and_then([&] { return writer->add_blob("mqtt_cred_host", mqtt_cred_host); })
                .and_then([&] { return writer->add_blob("client_cert", certificate_pem); })
                .and_then([&] { return writer->add_blob("client_key", key_pem); })
                .and_then([&] { return writer->add_hex_blob("random", random_hex); });
  if (!ok)
    return fail(std::move(ok).error());
  return std::move(*writer).finish();
}

Result<BatchSummary> generate_batch(const pki::CertificateAuthority& ca,
                                    const BatchOptions& options, const Clock& clock) {
  if (auto ok = check_options(options); !ok)
    return fail(std::move(ok).error());
  const auto started = std::chrono::steady_clock::now();
  const auto now = clock.now();
  const auto not_before = std::chrono::floor<std::chrono::seconds>(now) - std::chrono::hours(24);

  auto directory = make_batch_directory(options.outdir, local_date(now));
  if (!directory)
    return fail(std::move(directory).error());
  const Plan plan{ca, options, *directory, not_before,
                  add_years(not_before, kCertificateValidityYears)};

  const auto run = [&]() -> Result<void> {
    if (auto ok = write_common(ca, options, plan.directory); !ok)
      return ok;
    AppendFile node_certs;
    AppendFile values;
    if (auto ok = node_certs.open(plan.directory / "common" / "node_certs.csv"); !ok)
      return ok;
    if (auto ok = values.open(plan.directory / "common" / "values.csv"); !ok)
      return ok;
    if (auto ok = node_certs.append(proto::node_certs_csv_header()); !ok)
      return ok;
    if (auto ok = values.append(proto::mfg_values_csv_header()); !ok)
      return ok;
    if (auto ok = run_workers(plan, node_certs, values); !ok)
      return ok;
    if (auto ok = node_certs.close(); !ok)
      return ok;
    return values.close();
  };
  if (auto ok = run(); !ok) {
    std::error_code ignored;
    fs::remove_all(plan.directory, ignored);
    return fail(std::move(ok).error());
  }
  return BatchSummary{plan.directory, options.node_ids.size(),
                      std::chrono::steady_clock::now() - started};
}

}  // namespace stratus::mfg

#include "pki/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <optional>
#include <system_error>
#include <utility>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "pki/detail/names.hpp"
#include "pki/detail/openssl.hpp"

namespace stratus::pki {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::days reissue_before_expiry{30};
constexpr mode_t secret_mode = 0600;
constexpr mode_t public_mode = 0644;
constexpr std::size_t max_file_bytes = 1024 * 1024;

constexpr std::string_view never_regenerated =
    "refusing to start: regenerating the CA would orphan every node certificate; restore the "
    "file(s) from backup or move the directory away to start afresh";

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

tl::unexpected<Error> io_fail(std::string_view what, const fs::path& path, int err) {
  return fail(errc::internal, std::string(what) + " " + path.string() + ": " + errno_text(err));
}

/// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  /// Closes now, returning close(2)'s errno (0 on success).
  int close() {
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

/// Creates `path` (which must not exist) with exactly `mode`, writes `content` and
/// fsyncs it.
Result<void> write_new_file(const fs::path& path, std::string_view content, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0)
    return io_fail("cannot create", path, errno);
  if (::fchmod(fd.get(), mode) != 0)
    return io_fail("cannot chmod", path, errno);  // beat the umask
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return io_fail("cannot write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0)
    return io_fail("cannot fsync", path, errno);
  if (const int err = fd.close(); err != 0)
    return io_fail("cannot close", path, err);
  return {};
}

/// Makes a rename or file creation inside `dir` durable.
Result<void> fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0)
    return io_fail("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0)
    return io_fail("cannot fsync directory", dir, errno);
  return {};
}

Result<std::string> read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return io_fail("cannot open", path, errno);
  std::string out;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return io_fail("cannot read", path, errno);
    if (n == 0)
      break;
    out.append(buf.data(), static_cast<std::size_t>(n));
    if (out.size() > max_file_bytes) {
      return fail(errc::invalid_argument, path.string() + " is larger than 1 MiB");
    }
  }
  return out;
}

std::string machine_hostname() {
  std::array<char, HOST_NAME_MAX + 1> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return std::string(buf.data());
}

/// The server certificate's CN: the hostname when it can be one.
std::string server_common_name(const std::string& hostname) {
  if (detail::is_dns_name(hostname) && detail::check_common_name(hostname))
    return hostname;
  return "localhost";
}

/// The SANs the server certificate must carry, deduplicated, in a stable order.
std::vector<std::string> required_names(const std::string& hostname, const PkiOptions& options) {
  std::vector<std::string> candidates{"localhost", "127.0.0.1", "::1"};
  if (detail::is_dns_name(hostname))
    candidates.push_back(hostname);
  candidates.insert(candidates.end(), options.server_names.begin(), options.server_names.end());
  std::vector<std::string> out;
  std::vector<std::string> seen;
  for (auto& name : candidates) {
    std::string key = detail::comparable_name(name);
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      continue;
    seen.push_back(std::move(key));
    out.push_back(std::move(name));
  }
  return out;
}

Result<void> check_options(const PkiOptions& options) {
  for (const auto& name : options.server_names) {
    if (!detail::parse_ip(name) && !detail::is_dns_name(name)) {
      return fail(
          errc::invalid_argument,
          "pki server name '" + name +
              "' is neither an IP address nor a DNS name (letters, digits, '-', '_', '.', '*')");
    }
  }
  if (options.ca_lifetime.count() <= 0 || options.server_cert_lifetime.count() <= 0) {
    return fail(errc::invalid_argument, "pki lifetimes must be at least one day");
  }
  return {};
}

/// The names among `required` that `certificate` lacks in its SANs.
std::vector<std::string> missing_names(const Certificate& certificate,
                                       const std::vector<std::string>& required) {
  std::vector<std::string> present;
  for (const auto& n : certificate.dns_names())
    present.push_back(detail::comparable_name(n));
  for (const auto& n : certificate.ip_addresses())
    present.push_back(detail::comparable_name(n));
  std::vector<std::string> missing;
  for (const auto& name : required) {
    if (std::find(present.begin(), present.end(), detail::comparable_name(name)) == present.end()) {
      missing.push_back(name);
    }
  }
  return missing;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty())
      out += separator;
    out += part;
  }
  return out;
}

/// Removes a temp path on scope exit unless disarmed.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(fs::path path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  void disarm() { path_.clear(); }

 private:
  fs::path path_;
};

/// `dir` without a trailing separator, absolute, so that its parent and name are known.
Result<fs::path> normalized(const fs::path& dir) {
  std::error_code ec;
  fs::path out = fs::absolute(dir, ec).lexically_normal();
  if (ec)
    return fail(errc::internal, "cannot resolve " + dir.string() + ": " + ec.message());
  if (out.filename().empty())
    out = out.parent_path();
  if (out.filename().empty() || out == out.root_path()) {
    return fail(errc::invalid_argument, "pki directory " + dir.string() + " has no name");
  }
  return out;
}

Result<PkiMaterial> create_pki(const fs::path& dir, const std::string& hostname,
                               const PkiOptions& options, const Clock& clock) {
  auto target = normalized(dir);
  if (!target)
    return fail(std::move(target).error());
  const fs::path parent = target->parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec)
    return fail(errc::internal, "cannot create " + parent.string() + ": " + ec.message());

  const fs::path tmp = parent / (target->filename().string() + ".tmp-" + random_hex(8));
  if (::mkdir(tmp.c_str(), 0700) != 0)
    return io_fail("cannot create directory", tmp, errno);
  RemoveOnExit cleanup(tmp);
  if (::chmod(tmp.c_str(), 0700) != 0)
    return io_fail("cannot chmod", tmp, errno);

  auto ca = CertificateAuthority::create(("Stratus CA " + hostname).substr(0, 64),
                                         options.ca_lifetime, clock);
  if (!ca)
    return fail(std::move(ca).error());
  auto server_key = PrivateKey::generate(KeyType::ecdsa_p256);
  if (!server_key)
    return fail(std::move(server_key).error());
  auto server_cert = ca->issue_server_certificate(*server_key, server_common_name(hostname),
                                                  required_names(hostname, options),
                                                  options.server_cert_lifetime, clock);
  if (!server_cert)
    return fail(std::move(server_cert).error());
  std::string secret = random_hex(32);

  const PkiFiles staged = PkiFiles::in(tmp);
  struct Pending {
    const fs::path& path;
    std::string content;
    mode_t mode;
  };
  const Pending writes[] = {
      {staged.ca_cert, ca->certificate().to_pem(), public_mode},
      {staged.ca_key, ca->key().to_pem(), secret_mode},
      {staged.server_cert, server_cert->to_pem(), public_mode},
      {staged.server_key, server_key->to_pem(), secret_mode},
      {staged.backend_secret, secret + '\n', secret_mode},
  };
  for (const Pending& file : writes) {
    if (auto ok = write_new_file(file.path, file.content, file.mode); !ok)
      return fail(std::move(ok).error());
  }
  if (auto ok = fsync_dir(tmp); !ok)
    return fail(std::move(ok).error());

  // rename(2) replaces an empty directory atomically and fails on a non-empty one,
  // so a directory someone filled meanwhile is never clobbered.
  if (::rename(tmp.c_str(), target->c_str()) != 0)
    return io_fail("cannot rename " + tmp.string() + " to", *target, errno);
  cleanup.disarm();
  if (auto ok = fsync_dir(parent); !ok)
    return fail(std::move(ok).error());

  return PkiMaterial{
      .ca = *std::move(ca),
      .server_certificate = *std::move(server_cert),
      .files = PkiFiles::in(dir),
      .backend_secret = std::move(secret),
      .created = true,
      .server_certificate_reissued = false,
  };
}

/// Writes `content` to `path` by temp file + rename, so readers see old or new.
Result<void> replace_file(const fs::path& path, std::string_view content, mode_t mode) {
  const fs::path tmp = path.parent_path() / (path.filename().string() + ".tmp-" + random_hex(8));
  RemoveOnExit cleanup(tmp);
  if (auto ok = write_new_file(tmp, content, mode); !ok)
    return fail(std::move(ok).error());
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return io_fail("cannot replace", path, errno);
  cleanup.disarm();
  return fsync_dir(path.parent_path());
}

Result<PkiMaterial> load_pki(const fs::path& dir, const std::string& hostname,
                             const PkiOptions& options, const Clock& clock) {
  const PkiFiles files = PkiFiles::in(dir);
  std::vector<std::string> problems;
  bool content_problem = false;
  const auto problem = [&](const fs::path& path, std::string what, bool content = true) {
    problems.push_back(path.string() + " " + std::move(what));
    content_problem = content_problem || content;
  };

  for (const fs::path* path : {&files.ca_key, &files.server_key, &files.backend_secret}) {
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0)
      return io_fail("cannot stat", *path, errno);
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      std::array<char, 8> mode{};
      std::snprintf(mode.data(), mode.size(), "%04o", st.st_mode & 07777U);
      problem(*path,
              "has mode " + std::string(mode.data()) +
                  ", but secrets must not be accessible by group or others: run `chmod 600 " +
                  path->string() + "`",
              false);
    }
  }

  std::optional<Certificate> ca_cert;
  std::optional<PrivateKey> ca_key;
  std::optional<Certificate> server_cert;
  std::optional<PrivateKey> server_key;
  std::string secret;
  const auto read = [&](const fs::path& path) -> std::optional<std::string> {
    auto text = read_file(path);
    if (!text) {
      problem(path, "cannot be read: " + text.error().context);
      return std::nullopt;
    }
    return *std::move(text);
  };
  const auto parse_cert = [&](const fs::path& path, std::optional<Certificate>& out) {
    if (auto text = read(path)) {
      if (auto parsed = Certificate::from_pem(*text)) {
        out = *std::move(parsed);
      } else {
        problem(path, "is not a valid PEM certificate: " + parsed.error().context);
      }
    }
  };
  const auto parse_key = [&](const fs::path& path, std::optional<PrivateKey>& out) {
    if (auto text = read(path)) {
      if (auto parsed = PrivateKey::from_pem(*text)) {
        out = *std::move(parsed);
      } else {
        problem(path, "is not a valid PEM private key: " + parsed.error().context);
      }
    }
  };
  parse_cert(files.ca_cert, ca_cert);
  parse_key(files.ca_key, ca_key);
  parse_cert(files.server_cert, server_cert);
  parse_key(files.server_key, server_key);
  if (auto text = read(files.backend_secret)) {
    secret = std::string(trim(*text, " \t\n\r"));
    if (secret.size() < 32)
      problem(files.backend_secret, "holds fewer than 32 characters");
  }

  if (ca_cert && !ca_cert->is_ca())
    problem(files.ca_cert, "is not a CA certificate (basicConstraints CA:TRUE missing)");
  if (ca_cert && ca_key && !ca_cert->matches_key(*ca_key)) {
    problem(files.ca_key, "does not belong to ca.crt");
  }
  if (server_cert && server_key && !server_cert->matches_key(*server_key)) {
    problem(files.server_key, "does not belong to server.crt");
  }
  if (server_cert && ca_cert && !server_cert->issued_by(*ca_cert)) {
    problem(files.server_cert, "was not issued by ca.crt");
  }
  if (!problems.empty()) {
    std::string message = "pki directory " + dir.string() + ": " + join(problems, "; ");
    if (content_problem)
      message += "; " + std::string(never_regenerated);
    return fail(errc::invalid_argument, std::move(message));
  }

  auto ca = CertificateAuthority::from_parts(*std::move(ca_cert), *std::move(ca_key));
  if (!ca)
    return fail(std::move(ca).error());  // checked above; kept for safety

  bool reissued = false;
  const auto names = required_names(hostname, options);
  const bool expiring = server_cert->not_after() - clock.now() < reissue_before_expiry;
  if (expiring || !missing_names(*server_cert, names).empty()) {
    auto fresh = ca->issue_server_certificate(*server_key, server_common_name(hostname), names,
                                              options.server_cert_lifetime, clock);
    if (!fresh)
      return fail(std::move(fresh).error());
    if (auto ok = replace_file(files.server_cert, fresh->to_pem(), public_mode); !ok) {
      return fail(std::move(ok).error());
    }
    server_cert = *std::move(fresh);
    reissued = true;
  }

  return PkiMaterial{
      .ca = *std::move(ca),
      .server_certificate = *std::move(server_cert),
      .files = files,
      .backend_secret = std::move(secret),
      .created = false,
      .server_certificate_reissued = reissued,
  };
}

}  // namespace

PkiFiles PkiFiles::in(const fs::path& dir) {
  return PkiFiles{
      .dir = dir,
      .ca_cert = dir / "ca.crt",
      .ca_key = dir / "ca.key",
      .server_cert = dir / "server.crt",
      .server_key = dir / "server.key",
      .backend_secret = dir / "backend.secret",
  };
}

Result<PkiMaterial> ensure_pki(const fs::path& dir, const PkiOptions& options, const Clock& clock) {
  if (auto ok = check_options(options); !ok)
    return fail(std::move(ok).error());
  const std::string hostname = machine_hostname();

  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (ec && status.type() != fs::file_type::not_found) {
    return fail(errc::internal, "cannot stat pki directory " + dir.string() + ": " + ec.message());
  }
  if (status.type() == fs::file_type::not_found)
    return create_pki(dir, hostname, options, clock);
  if (status.type() != fs::file_type::directory) {
    return fail(errc::invalid_argument,
                "pki directory " + dir.string() + " exists but is not a directory");
  }

  const PkiFiles files = PkiFiles::in(dir);
  std::vector<std::string> present;
  std::vector<std::string> missing;
  for (const fs::path* path : {&files.ca_cert, &files.ca_key, &files.server_cert, &files.server_key,
                               &files.backend_secret}) {
    (fs::exists(*path, ec) ? present : missing).push_back(path->filename().string());
  }
  if (missing.empty())
    return load_pki(dir, hostname, options, clock);
  if (!present.empty()) {
    return fail(errc::invalid_argument,
                "pki directory " + dir.string() + " is incomplete: missing " + join(missing, ", ") +
                    " (present: " + join(present, ", ") + "); " + std::string(never_regenerated));
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec)
    return fail(errc::internal, "cannot list pki directory " + dir.string() + ": " + ec.message());
  if (!empty) {
    return fail(errc::invalid_argument,
                "pki directory " + dir.string() +
                    " is not empty but holds none of the PKI files; refusing "
                    "to write into it (use an empty or absent directory)");
  }
  return create_pki(dir, hostname, options, clock);
}

}  // namespace stratus::pki

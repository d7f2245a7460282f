#include "mail/smtp_mailer.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>
#include <utility>

#include "core/random.hpp"
#include "log/log.hpp"
#include "mail/detail/message.hpp"

namespace stratus::mail {
namespace {

// curl_global_init is not thread-safe; a function-local static runs it exactly once.
CURLcode global_init() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

// Exactly one '@' with something on both sides, and nothing that would break out
// of "<...>" in RCPT TO.
bool looks_like_email(std::string_view to) {
  const auto at = to.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < to.size() &&
         to.find('@', at + 1) == std::string_view::npos &&
         to.find_first_of(" \t<>\"\r\n") == std::string_view::npos;
}

// "Name <a@b>" -> "a@b"; "a@b" -> "a@b".
std::string_view envelope_address(std::string_view from) {
  const auto open = from.rfind('<');
  const auto close = from.rfind('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return from;
  return from.substr(open + 1, close - open - 1);
}

// RFC 5322 §3.3 date-time in UTC, built by hand: strftime's %a/%b follow the locale.
std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return std::string(days.at(static_cast<std::size_t>(tm.tm_wday))) + ", " +
         detail::format_utc(t, "%d ") + months.at(static_cast<std::size_t>(tm.tm_mon)) +
         detail::format_utc(t, " %Y %H:%M:%S +0000");
}

std::string base64(std::string_view in) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size())
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size())
      n |= static_cast<unsigned char>(in[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += i + 1 < in.size() ? table[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? table[n & 63] : '=';
  }
  return out;
}

// ASCII stays as is; otherwise RFC 2047 "=?UTF-8?B?...?=" words of at most 45
// bytes (60 encoded), split between UTF-8 characters and folded onto new lines.
std::string encode_subject(std::string_view subject) {
  const bool ascii = std::all_of(subject.begin(), subject.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii)
    return std::string(subject);
  std::string out;
  std::size_t start = 0;
  while (start < subject.size()) {
    std::size_t end = std::min(start + 45, subject.size());
    while (end < subject.size() && (static_cast<unsigned char>(subject[end]) & 0xC0) == 0x80)
      --end;
    if (!out.empty())
      out += "\r\n ";
    out += "=?UTF-8?B?" + base64(subject.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// Every line end (CRLF, lone LF, lone CR) becomes CRLF, with a final CRLF.
// Dot-stuffing (RFC 5321 §4.5.2) is libcurl's job.
std::string crlf_body(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n')
        ++i;
      out += "\r\n";
    } else if (body[i] == '\n') {
      out += "\r\n";
    } else {
      out += body[i];
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)
    out += "\r\n";
  return out;
}

struct Upload {
  std::string_view remaining;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& upload = *static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload.remaining.size());
  std::memcpy(buffer, upload.remaining.data(), n);
  upload.remaining.remove_prefix(n);
  return n;
}

// Keeps the server's last 4xx/5xx reply line: curl's own error text for a refused
// command is only the code ("RCPT failed: 550"), and the reply to its closing QUIT
// comes later. Only server replies (HEADER_IN) are looked at, never our commands,
// so AUTH credentials cannot end up here.
int record_error_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN || size == 0 || (data[0] != '4' && data[0] != '5'))
    return 0;
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  *static_cast<std::string*>(user) = std::string(line.substr(0, 200));
  return 0;
}

void erase_secret(std::string& text, const std::string& secret) {
  if (secret.empty())
    return;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
  }
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

SmtpMailer::SmtpMailer(SmtpOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  global_init();
}

Result<void> SmtpMailer::send(const service::MailMessage& message) {
  if (auto r = detail::check_headers(message); !r)
    return r;
  if (auto r = detail::check_header_value("From", options_.from); !r)
    return r;
  if (message.to.find('@') == std::string::npos) {
    return fail(errc::invalid_argument, "SMTP cannot deliver to a phone number");
  }
  if (!looks_like_email(message.to)) {
    return fail(errc::invalid_argument, "SMTP: not an e-mail address: " + message.to);
  }
  if (const CURLcode rc = global_init(); rc != CURLE_OK) {
    return fail(errc::unavailable,
                std::string("smtp: curl_global_init: ") + curl_easy_strerror(rc));
  }

  const std::string_view sender = envelope_address(options_.from);
  const auto at = sender.rfind('@');
  const std::string domain =
      at == std::string_view::npos ? "stratus.invalid" : std::string(sender.substr(at + 1));
  const std::string data = "From: " + options_.from + "\r\n" + "To: " + message.to + "\r\n" +
                           "Subject: " + encode_subject(message.subject) + "\r\n" +
                           "Date: " + rfc5322_date(clock_.now()) + "\r\n" + "Message-ID: <" +
                           random_hex(16) + "@" + domain + ">\r\n" +
                           "MIME-Version: 1.0\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: 8bit\r\n"
                           "\r\n" +
                           crlf_body(message.body);

  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle)
    return fail(errc::unavailable, "smtp: curl_easy_init failed");
  std::unique_ptr<curl_slist, CurlDeleter> recipients(
      curl_slist_append(nullptr, message.to.c_str()));
  if (!recipients)
    return fail(errc::unavailable, "smtp: out of memory");

  const std::string mail_from(sender);
  Upload upload{data};
  std::string error_reply;
  std::array<char, CURL_ERROR_SIZE> error_text{};
  CURL* h = handle.get();
  CURLcode rc = CURLE_OK;
  // curl_easy_setopt is variadic: each value must already have the type the option
  // expects (long, char*, function pointer, void*).
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK)
      rc = curl_easy_setopt(h, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error_text.data());
  set(CURLOPT_URL, options_.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(CURLOPT_USE_SSL, static_cast<long>(options_.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  if (!options_.ca_file.empty())
    set(CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    set(CURLOPT_USERNAME, options_.username.c_str());
    set(CURLOPT_PASSWORD, options_.password.c_str());
  }
  set(CURLOPT_MAIL_FROM, mail_from.c_str());
  set(CURLOPT_MAIL_RCPT, recipients.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_READFUNCTION, &read_upload);
  set(CURLOPT_READDATA, static_cast<void*>(&upload));
  set(CURLOPT_DEBUGFUNCTION, &record_error_reply);
  set(CURLOPT_DEBUGDATA, static_cast<void*>(&error_reply));
  set(CURLOPT_VERBOSE, 1L);  // needed for DEBUGFUNCTION; nothing goes to stderr
  if (rc == CURLE_OK)
    rc = curl_easy_perform(h);

  if (rc != CURLE_OK) {
    std::string text = "smtp: ";
    text += error_text[0] != '\0' ? error_text.data() : curl_easy_strerror(rc);
    if (!error_reply.empty())
      text += " (server: " + error_reply + ")";
    erase_secret(text, options_.password);
    return fail(errc::unavailable, std::move(text));
  }
  log::info(log::Channel::service, "mail sent via smtp to={}", message.to);
  return {};
}

}  // namespace stratus::mail

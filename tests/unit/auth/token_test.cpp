// Proves that HS256 tokens round-trip, that forged, tampered, expired or
// malformed ones are refused, and that every payload segment reads the same in
// standard base64 (spec rainmaker.md §4.2). How: hand-built tokens signed with
// libsodium directly, and a seeded property test over 6000 random claim sets.
#include "auth/token.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

namespace stratus::auth {
namespace {

using namespace std::chrono_literals;

const std::string kKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
const auto kNow = std::chrono::system_clock::time_point(1'700'000'000s);
constexpr std::int64_t kNowS = 1'700'000'000;

TokenSigner signer(const std::string& key = kKey) {
  auto s = TokenSigner::from_key(key);
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

// --- independent codecs, so the tests do not trust the code under test -------

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kStdAlphabet[(acc >> bits) & 0x3FU];
    }
  }
  if (bits > 0)
    out += kStdAlphabet[(acc << (6 - bits)) & 0x3FU];
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

/// What the RainMaker CLI does: pad with '=' to a multiple of 4 and decode with
/// the standard alphabet. Strict: any character outside it is a failure.
std::optional<std::string> python_b64decode(std::string text) {
  text.append((4 - text.size() % 4) % 4, '=');
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (text.size() - i > 2)
        return std::nullopt;
      break;
    }
    const auto v = kStdAlphabet.find(text[i]);
    if (v == std::string_view::npos)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFU);
    }
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

/// A token built by hand from raw JSON texts, correctly HMAC-SHA256 signed with `key`.
std::string forge(std::string_view header_json, std::string_view payload_json,
                  std::string_view key = kKey) {
  const std::string input = base64url(header_json) + "." + base64url(payload_json);
  return input + "." + base64url(hmac(key, input));
}

struct Parts {
  std::string header, payload, signature;
};
Parts parts(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

/// Claims read back from JSON by Boost, independently of the auth module.
std::optional<Claims> claims_from_json(const std::string& json) {
  std::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  Claims c;
  for (const auto& m : v.get_object()) {
    const std::string name(m.key());
    if (m.value().is_string()) {
      c.items.emplace_back(name, std::string(m.value().get_string()));
    } else if (m.value().is_int64()) {
      c.items.emplace_back(name, m.value().get_int64());
    } else if (m.value().is_bool()) {
      c.items.emplace_back(name, m.value().get_bool());
    } else {
      return std::nullopt;
    }
  }
  return c;
}

void expect_unauthenticated(const Result<Claims>& r, std::string_view context_prefix) {
  ASSERT_FALSE(r.has_value()) << "expected failure: " << context_prefix;
  EXPECT_EQ(r.error().code, errc::unauthenticated) << r.error().message();
  EXPECT_TRUE(r.error().context.starts_with(context_prefix)) << r.error().message();
}

Claims basic_claims() {
  Claims c;
  c.set("sub", "user-1");
  c.set("iat", kNowS);
  c.set("exp", kNowS + 3600);
  c.set("admin", false);
  return c;
}

// --- round trip and format ----------------------------------------------------

TEST(Token, SignVerifyRoundTrip) {
  const auto s = signer();
  const Claims claims = basic_claims();
  const std::string token = s.sign(claims);
  const auto verified = s.verify(token, kNow);
  ASSERT_TRUE(verified.has_value()) << verified.error().message();
  EXPECT_EQ(*verified, claims);
  EXPECT_EQ(verified->get_string("sub"), "user-1");
  EXPECT_EQ(verified->get_int("exp"), kNowS + 3600);
  EXPECT_EQ(verified->get_int("sub"), std::nullopt);
  EXPECT_EQ(verified->get_string("missing"), std::nullopt);
}

TEST(Token, HeaderAndSignatureAreStandardHs256) {
  const std::string token = signer().sign(basic_claims());
  const Parts p = parts(token);
  EXPECT_EQ(p.header, base64url(R"({"alg":"HS256","typ":"JWT"})"));
  EXPECT_EQ(p.signature, base64url(hmac(kKey, p.header + "." + p.payload)));
  EXPECT_EQ(python_b64decode(p.payload),
            R"({"sub":"user-1","iat":1700000000,"exp":1700003600,"admin":false})");
}

TEST(Claims, SetReplacesInPlace) {
  Claims c;
  c.set("a", "x");
  c.set("b", std::int64_t{1});
  c.set("a", true);
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[0].first, "a");
  EXPECT_EQ(std::get<bool>(c.items[0].second), true);
  c.set("n", 7);  // plain int literals pick the integer alternative
  EXPECT_EQ(c.get_int("n"), 7);
  ASSERT_NE(c.find("b"), nullptr);
  EXPECT_EQ(c.find("z"), nullptr);
}

TEST(TokenSigner, KeyMustBeAtLeast32Bytes) {
  const auto short_key = TokenSigner::from_key(std::string(31, 'k'));
  ASSERT_FALSE(short_key.has_value());
  EXPECT_EQ(short_key.error().code, errc::invalid_argument);
  EXPECT_FALSE(TokenSigner::from_key("").has_value());
  EXPECT_TRUE(TokenSigner::from_key(std::string(32, 'k')).has_value());
  EXPECT_TRUE(TokenSigner::from_key(std::string(100, 'k')).has_value());
  const std::string key = TokenSigner::generate_key();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_NE(key, TokenSigner::generate_key());
  EXPECT_TRUE(TokenSigner::from_key(key).has_value());
}

// --- forgery and tampering ----------------------------------------------------

TEST(TokenVerify, RejectsTamperedPayloadAndSignature) {
  const auto s = signer();
  const std::string token = s.sign(basic_claims());
  Claims admin = basic_claims();
  admin.set("admin", true);
  const Parts good = parts(token);
  const Parts evil = parts(s.sign(admin));
  expect_unauthenticated(s.verify(good.header + "." + evil.payload + "." + good.signature, kNow),
                         "bad token signature");
  std::string sig = good.signature;
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  expect_unauthenticated(s.verify(good.header + "." + good.payload + "." + sig, kNow),
                         "bad token signature");
  expect_unauthenticated(
      s.verify(good.header + "." + good.payload + "." + base64url("short"), kNow),
      "bad token signature");
  expect_unauthenticated(s.verify(good.header + "." + good.payload + ".", kNow),
                         "bad token signature");
  expect_unauthenticated(signer(std::string(32, 'x')).verify(token, kNow), "bad token signature");
}

TEST(TokenVerify, RejectsAlgNone) {
  const auto s = signer();
  const std::string payload = base64url(R"({"sub":"admin","exp":1900000000})");
  expect_unauthenticated(s.verify(base64url(R"({"alg":"none"})") + "." + payload + ".", kNow),
                         "unsupported token header");
  expect_unauthenticated(
      s.verify(base64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".", kNow),
      "unsupported token header");
  // Even with a valid HMAC attached, "none" is refused.
  expect_unauthenticated(s.verify(forge(R"({"alg":"none"})", R"({"sub":"admin"})"), kNow),
                         "unsupported token header");
}

TEST(TokenVerify, RejectsOtherAlgorithmsAndBadHeaders) {
  const auto s = signer();
  const std::string payload = R"({"sub":"u"})";
  for (const char* header :
       {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})", R"({"alg":"hs256"})",
        R"({"alg":"HS256 "})", R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})", R"([])",
        R"("HS256")", R"(not json)", "", R"({"alg":"HS256","crit":"exp"})",
        R"({"alg":"HS256","jwk":{"k":"x"}})"}) {
    expect_unauthenticated(s.verify(forge(header, payload), kNow), "unsupported token header");
  }
  // The header need not be byte-identical to ours: key order and typ do not matter.
  EXPECT_TRUE(s.verify(forge(R"({"typ":"JWT","alg":"HS256"})", payload), kNow).has_value());
  EXPECT_TRUE(s.verify(forge(R"({"alg":"HS256"})", payload), kNow).has_value());
}

TEST(TokenVerify, RejectsMalformedTokens) {
  const auto s = signer();
  const Parts good = parts(s.sign(basic_claims()));
  for (const std::string& token :
       {std::string(), std::string("."), std::string("..."), std::string("abc"),
        good.header + "." + good.payload,
        good.header + "." + good.payload + "." + good.signature + ".",
        good.header + "." + good.payload + "." + good.signature + "." + good.signature,
        good.header + "=." + good.payload + "." + good.signature,
        good.header + "." + good.payload + "=." + good.signature,
        good.header + "." + good.payload + "." + good.signature + "=",
        good.header + "." + good.payload + "+." + good.signature,
        good.header + "." + good.payload + "." + good.signature + "/",
        good.header + ".AAAAA." + good.signature,  // length = 1 mod 4: no whole byte
        good.header + " ." + good.payload + "." + good.signature, std::string("a.b.c")}) {
    expect_unauthenticated(s.verify(token, kNow), "malformed token");
  }
  // Empty segments are valid (empty) base64url; an empty header is not JSON.
  expect_unauthenticated(s.verify("..", kNow), "unsupported token header");
}

TEST(TokenVerify, RejectsPayloadsThatAreNotFlatClaimObjects) {
  const auto s = signer();
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  for (const char* payload :
       {"", "not json", "[1,2]", "\"text\"", "42", "{", R"({"a":1}x)", R"({"a":null})",
        R"({"a":1.5})", R"({"exp":1.7e9})", R"({"a":[1]})", R"({"a":{"b":1}})",
        R"({"a":18446744073709551615})", R"({"exp":"1700003600"})", R"({"iat":true})",
        R"({"nbf":"soon"})", "{\"a\":\"\xff\"}"}) {
    expect_unauthenticated(s.verify(forge(header, payload), kNow), "malformed token: payload");
  }
  const auto ok = s.verify(forge(header, R"({"min":-9223372036854775808,"e":"\u00e9"})"), kNow);
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->get_int("min"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(ok->get_string("e"), "\xc3\xa9");
}

TEST(TokenVerify, RejectsTokensOver8KiB) {
  const auto s = signer();
  Claims big;
  big.set("blob", std::string(7000, 'x'));
  const std::string token = s.sign(big);
  ASSERT_GT(token.size(), TokenSigner::kMaxTokenBytes);
  expect_unauthenticated(s.verify(token, kNow), "token too long");
  expect_unauthenticated(s.verify(std::string(8193, 'a'), kNow), "token too long");
  Claims fits;
  fits.set("blob", std::string(5000, 'x'));
  EXPECT_TRUE(s.verify(s.sign(fits), kNow).has_value());
}

TEST(TokenVerify, RandomMutationsNeverCrashAndNeverPass) {
  const auto s = signer();
  const std::string token = s.sign(basic_claims());
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string t = token;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0:
          t[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          t.erase(pos, 1);
          break;
        default:
          t.insert(pos, 1, static_cast<char>(rng() % 256));
          break;
      }
    }
    if (t == token)
      continue;
    const auto r = s.verify(t, kNow);
    // The only mutations that may pass are ones that decode to the same bytes
    // (none exist with strict base64url), so everything must fail.
    ASSERT_FALSE(r.has_value()) << t;
    EXPECT_EQ(r.error().code, errc::unauthenticated);
  }
}

// --- time claims ----------------------------------------------------------------

Result<Claims> verify_with(const Claims& c, std::chrono::seconds leeway = 0s) {
  return signer().verify(signer().sign(c), kNow, leeway);
}

TEST(TokenVerify, ExpiresAtExp) {
  Claims c;
  c.set("exp", kNowS + 1);
  EXPECT_TRUE(verify_with(c).has_value());
  c.set("exp", kNowS);
  expect_unauthenticated(verify_with(c), "token expired");
  c.set("exp", kNowS - 3600);
  expect_unauthenticated(verify_with(c), "token expired");
  // Leeway: exp + leeway is the first refused second.
  c.set("exp", kNowS - 29);
  EXPECT_TRUE(verify_with(c, 30s).has_value());
  c.set("exp", kNowS - 30);
  expect_unauthenticated(verify_with(c, 30s), "token expired");
  // Default leeway is 30 s; sub-second parts of now are truncated.
  c.set("exp", kNowS - 29);
  EXPECT_TRUE(signer().verify(signer().sign(c), kNow + 999ms).has_value());
  // Extreme values neither overflow nor wrap.
  c.set("exp", std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(verify_with(c, 30s).has_value());
  c.set("exp", std::numeric_limits<std::int64_t>::min());
  expect_unauthenticated(verify_with(c, 30s), "token expired");
}

TEST(TokenVerify, RejectsIssuedInTheFutureAndNotYetValid) {
  Claims c;
  c.set("iat", kNowS);
  EXPECT_TRUE(verify_with(c).has_value());
  c.set("iat", kNowS + 1);
  expect_unauthenticated(verify_with(c), "token issued in the future");
  EXPECT_TRUE(verify_with(c, 1s).has_value());
  c.set("iat", std::numeric_limits<std::int64_t>::max());
  expect_unauthenticated(verify_with(c, 30s), "token issued in the future");

  Claims n;
  n.set("nbf", kNowS + 10);
  expect_unauthenticated(verify_with(n), "token not yet valid");
  n.set("nbf", kNowS);
  EXPECT_TRUE(verify_with(n).has_value());
}

TEST(TokenVerify, TokenWithoutExpIsAccepted) {
  Claims c;
  c.set("sub", "x");
  EXPECT_TRUE(verify_with(c).has_value());
  EXPECT_TRUE(verify_with(Claims{}).has_value());
}

TEST(TokenVerify, NegativeLeewayIsAnInvalidArgument) {
  const auto r = signer().verify(signer().sign(basic_claims()), kNow, -1s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
}

// --- §4.2: payload segments read the same in standard base64 -------------------

/// Checks the §4.2 rule for one token and that the CLI-style decode gives back `claims`.
void expect_cli_readable(const std::string& token, const Claims& claims) {
  const Parts p = parts(token);
  ASSERT_EQ(p.payload.find_first_of("-_"), std::string::npos) << p.payload;
  const auto decoded = python_b64decode(p.payload);
  ASSERT_TRUE(decoded.has_value()) << p.payload;
  const auto reread = claims_from_json(*decoded);
  ASSERT_TRUE(reread.has_value()) << *decoded;
  EXPECT_EQ(*reread, claims) << *decoded;
}

/// Random valid UTF-8 of 0..max_len characters, biased toward the characters
/// that break naive encoders: `_ ~ ? > / \ "`, controls, DEL and multi-byte forms.
std::string random_text(std::mt19937_64& rng, std::size_t max_len) {
  static constexpr std::string_view kTricky = "_~?>-/\\\"+=@.:{}[] \x7f\x1f\t\n";
  const std::size_t len = rng() % (max_len + 1);
  std::string out;
  const auto append_cp = [&](std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  for (std::size_t i = 0; i < len; ++i) {
    switch (rng() % 8) {
      case 0:
        out += kTricky[rng() % kTricky.size()];
        break;
      case 1:
        append_cp(static_cast<std::uint32_t>(rng() % 0x20));
        break;
      case 2:
        append_cp(0x80 + static_cast<std::uint32_t>(rng() % (0x800 - 0x80)));
        break;
      case 3: {
        std::uint32_t cp = 0x800 + static_cast<std::uint32_t>(rng() % (0x10000 - 0x800));
        if (cp >= 0xD800 && cp <= 0xDFFF)
          cp = 0xFFFF;
        append_cp(cp);
        break;
      }
      case 4:
        append_cp(0x10000 + static_cast<std::uint32_t>(rng() % (0x110000 - 0x10000)));
        break;
      default:
        append_cp(0x20 + static_cast<std::uint32_t>(rng() % 0x5F));
        break;  // printable ASCII
    }
  }
  return out;
}

Claims random_claims(std::mt19937_64& rng) {
  static constexpr std::int64_t kEdges[] = {0,
                                            -1,
                                            1,
                                            std::numeric_limits<std::int64_t>::min(),
                                            std::numeric_limits<std::int64_t>::max(),
                                            1700000000};
  Claims c;
  const std::size_t n = rng() % 9;
  for (std::size_t i = 0; i < n; ++i) {
    std::string name = random_text(rng, 12);
    switch (rng() % 4) {
      case 0:
        c.set(std::move(name), static_cast<std::int64_t>(rng()));
        break;  // any sign
      case 1:
        c.set(std::move(name), kEdges[rng() % std::size(kEdges)]);
        break;
      case 2:
        c.set(std::move(name), rng() % 2 == 0);
        break;
      default:
        c.set(std::move(name), random_text(rng, 40));
        break;
    }
  }
  return c;
}

TEST(TokenPayloadRule, HoldsForThousandsOfRandomClaimSets) {
  const auto s = signer();
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 6000; ++i) {
    const Claims claims = random_claims(rng);
    const std::string token = s.sign(claims);
    ASSERT_NO_FATAL_FAILURE(expect_cli_readable(token, claims)) << "claim set #" << i;
    const auto verified = s.verify(token, kNow);
    ASSERT_TRUE(verified.has_value()) << verified.error().message();
    ASSERT_EQ(*verified, claims) << "claim set #" << i;
  }
}

TEST(TokenPayloadRule, HoldsForEveryCharacterAtEveryAlignment) {
  // Each byte of the payload lands at each position of a 3-byte base64 group
  // for some prefix length, so 3 prefixes x every character covers all cases.
  const auto s = signer();
  std::vector<std::string> characters;
  for (int b = 0; b < 0x80; ++b)
    characters.emplace_back(1, static_cast<char>(b));
  for (const char* mb :
       {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xef\xbf\xbd", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
    characters.emplace_back(mb);
  }
  for (const std::string& ch : characters) {
    for (std::size_t pad = 0; pad < 3; ++pad) {
      Claims c;
      c.set(std::string(pad, 'k') + ch, std::string(pad, 'v') + ch + ch + ch);
      ASSERT_NO_FATAL_FAILURE(expect_cli_readable(s.sign(c), c));
    }
  }
}

TEST(TokenPayloadRule, InvalidUtf8IsReplacedNotPassedThrough) {
  const auto s = signer();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 20, '\0');
    for (char& ch : junk)
      ch = static_cast<char>(rng() % 256);
    Claims c;
    c.set("junk", junk);
    const std::string token = s.sign(c);
    ASSERT_EQ(parts(token).payload.find_first_of("-_"), std::string::npos);
    const auto verified = s.verify(token, kNow);
    ASSERT_TRUE(verified.has_value()) << verified.error().message();
    ASSERT_TRUE(verified->get_string("junk").has_value());
  }
  Claims c;
  c.set("bad", std::string("a\xff"
                           "b\xc3",
                           4));
  const auto verified = s.verify(s.sign(c), kNow);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->get_string("bad"),
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
}

TEST(TokenPayloadRule, RealisticAccessAndIdTokens) {
  const auto s = signer();
  const std::string user_id = "3f2c9a1e-7b4d-4e8a-9c61-0d5e2f7a8b90";
  Claims access;
  access.set("iss", "https://stratus.example.com/");
  access.set("sub", user_id);
  access.set("iat", kNowS);
  access.set("exp", kNowS + 3600);
  access.set("token_use", "access");
  access.set("custom:user_id", user_id);
  access.set("jti", "Jx_9-aZ~q?r>s");
  access.set("auth_time", kNowS);
  access.set("username", "first_last-x@example.com");

  Claims id;
  id.set("iss", "https://stratus.example.com/");
  id.set("sub", user_id);
  id.set("iat", kNowS);
  id.set("exp", kNowS + 3600);
  id.set("token_use", "id");
  id.set("custom:user_id", user_id);
  id.set("email", "first_last-x@example.com");
  id.set("email_verified", true);
  id.set("phone_number", "+15555550100");

  for (const Claims& claims : {access, id}) {
    const std::string token = s.sign(claims);
    ASSERT_NO_FATAL_FAILURE(expect_cli_readable(token, claims));
    const auto verified = s.verify(token, kNow);
    ASSERT_TRUE(verified.has_value()) << verified.error().message();
    EXPECT_EQ(*verified, claims);
    // What the CLI reads (§4.2): exp from the access token, custom:user_id and
    // email from the id token, all from a standard-base64 decode.
    const auto cli_view = claims_from_json(*python_b64decode(parts(token).payload));
    EXPECT_EQ(cli_view->get_int("exp"), kNowS + 3600);
    EXPECT_EQ(cli_view->get_string("custom:user_id"), user_id);
  }
  const auto cli_id = claims_from_json(*python_b64decode(parts(s.sign(id)).payload));
  EXPECT_EQ(cli_id->get_string("email"), "first_last-x@example.com");
  expect_unauthenticated(s.verify(s.sign(access), kNow + 3600s, 0s), "token expired");
}

}  // namespace
}  // namespace stratus::auth

// Proves the security 0/1/2 engines speak protocomm as ESP-IDF's security0/1/2.c and the
// RainMaker CLI do (spec rainmaker-device.md §2): byte-exact handshakes and application
// messages against the vectors of §2.6 (computed from the documented algorithms with
// fixed keys, salt and randomness), device and client in process for many messages both
// ways, a wrong proof of possession or password refused, tampered or replayed messages
// refused, malformed handshake messages refused. How: scripted randomness and direct calls.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <memory>

#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"
#include "test_bytes.hpp"

namespace stratus::protocomm {
namespace {

using test::hex;
using test::scripted;
using test::unhex;

std::string sha256_hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

// Runs a client's handshake against a device; returns the first error, if any.
Result<void> handshake(ClientSecurity& client, DeviceSecurity& device) {
  auto request = client.start();
  if (!request) {
    return fail(request.error());
  }
  std::optional<std::string> next = *request;
  while (next) {
    auto response = device.handle(*next);
    if (!response) {
      return fail(response.error());
    }
    auto step = client.on_response(*response);
    if (!step) {
      return fail(step.error());
    }
    next = *step;
  }
  return {};
}

// Requests and replies alternate, of growing sizes (0..300 bytes, crossing block edges).
void exchange_many(ClientSecurity& client, DeviceSecurity& device) {
  for (std::size_t n = 0; n <= 300; n += 13) {
    const std::string request(n, static_cast<char>('a' + n % 26));
    auto sealed = client.encrypt(request);
    ASSERT_TRUE(sealed.has_value()) << sealed.error().context;
    auto opened = device.decrypt(*sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().context;
    EXPECT_EQ(*opened, request);
    const std::string reply = "reply to " + std::to_string(n) + std::string(n / 2, 'r');
    auto sealed_reply = device.encrypt(reply);
    ASSERT_TRUE(sealed_reply.has_value());
    auto opened_reply = client.decrypt(*sealed_reply);
    ASSERT_TRUE(opened_reply.has_value()) << opened_reply.error().context;
    EXPECT_EQ(*opened_reply, reply);
  }
}

// --- security 0 ------------------------------------------------------------------------

TEST(Security0, HandshakeBytesAreTheSpecVectors) {
  Sec0Client client;
  Sec0Device device;
  const auto cmd0 = client.start();
  ASSERT_TRUE(cmd0.has_value());
  EXPECT_EQ(hex(*cmd0), "5203a20100");
  const auto resp0 = device.handle(*cmd0);
  ASSERT_TRUE(resp0.has_value()) << resp0.error().context;
  EXPECT_EQ(hex(*resp0), "52050801aa0100");
  const auto done = client.on_response(*resp0);
  ASSERT_TRUE(done.has_value());
  EXPECT_FALSE(done->has_value());
  EXPECT_TRUE(client.established());
  EXPECT_TRUE(device.established());
  EXPECT_EQ(*client.encrypt("plain"), "plain");
  EXPECT_EQ(*device.decrypt("plain"), "plain");
}

TEST(Security0, RefusesOtherSchemesAndGarbage) {
  Sec0Device device;
  EXPECT_FALSE(device.encrypt("x").has_value());
  for (const auto& bad :
       {std::string("\xff\xff"), unhex("10015a00"), unhex("5203aa0100"), unhex("0802")}) {
    const auto r = device.handle(bad);
    ASSERT_FALSE(r.has_value()) << hex(bad);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
  }
}

// --- security 1 ------------------------------------------------------------------------

constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kDeviceRandom = "000102030405060708090a0b0c0d0e0f";

TEST(Security1, HandshakeAndMessagesMatchTheSpecVectors) {
  Sec1Client client("abcd1234", scripted({unhex(kAlicePrivate)}));
  Sec1Device device("abcd1234", scripted({unhex(kBobPrivate), unhex(kDeviceRandom)}));

  const auto cmd0 = client.start();
  ASSERT_TRUE(cmd0.has_value()) << cmd0.error().context;
  EXPECT_EQ(hex(*cmd0), "10015a25a201220a20" + std::string(kAlicePublic));
  const auto resp0 = device.handle(*cmd0);
  ASSERT_TRUE(resp0.has_value()) << resp0.error().context;
  EXPECT_EQ(hex(*resp0), "10015a390801aa01341220" + std::string(kBobPublic) + "1a10" +
                             std::string(kDeviceRandom));
  const auto cmd1 = client.on_response(*resp0);
  ASSERT_TRUE(cmd1.has_value() && cmd1->has_value()) << cmd1.error().context;
  EXPECT_EQ(hex(**cmd1),
            "10015a270802b201221220"
            "83bf9c458ee640df428e0d2de2717eeddeaf3867023007ec09bc853fa1db0ccf");
  const auto resp1 = device.handle(**cmd1);
  ASSERT_TRUE(resp1.has_value()) << resp1.error().context;
  EXPECT_EQ(hex(*resp1),
            "10015a270803ba01221a20"
            "1a9fc468be5458d825515286b44ebbaf011f97a43c07f40c6d64f729c6b35efd");
  const auto done = client.on_response(*resp1);
  ASSERT_TRUE(done.has_value()) << done.error().context;
  EXPECT_FALSE(done->has_value());
  ASSERT_TRUE(client.established());
  ASSERT_TRUE(device.established());

  // CmdGetStatus, then its reply (RespGetStatus, connecting), on the one shared stream.
  const auto request = client.encrypt(unhex("5200"));
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(hex(*request), "ee5b");
  EXPECT_EQ(hex(*device.decrypt(*request)), "5200");
  const auto reply = device.encrypt(unhex("08015a021001"));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(hex(*reply), "0b6db9a3bf8e");
  EXPECT_EQ(hex(*client.decrypt(*reply)), "08015a021001");
}

TEST(Security1, RandomKeysAgreeOverManyMessages) {
  Sec1Client client("pop-1234");
  Sec1Device device("pop-1234");
  ASSERT_TRUE(handshake(client, device).has_value());
  exchange_many(client, device);
}

TEST(Security1, WorksWithoutProofOfPossession) {
  Sec1Client client("");
  Sec1Device device("");
  ASSERT_TRUE(handshake(client, device).has_value());
  exchange_many(client, device);
}

TEST(Security1, WrongProofOfPossessionIsRefusedAtCommand1) {
  Sec1Client client("wrong-pop");
  Sec1Device device("abcd1234");
  const auto result = handshake(client, device);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, errc::unauthenticated);
  EXPECT_NE(result.error().context.find("proof of possession"), std::string::npos);
  EXPECT_FALSE(device.established());
  EXPECT_EQ(device.decrypt("x").error().code, errc::conflict);
  // A client with no PoP against a device with one fails the same way.
  Sec1Client none("");
  EXPECT_EQ(handshake(none, device).error().code, errc::unauthenticated);
  // The right PoP still works afterwards: Cmd0 starts a fresh handshake.
  Sec1Client right("abcd1234");
  EXPECT_TRUE(handshake(right, device).has_value());
}

TEST(Security1, ALostMessageDesynchronisesTheStream) {
  Sec1Client client("abcd1234");
  Sec1Device device("abcd1234");
  ASSERT_TRUE(handshake(client, device).has_value());
  const auto lost = client.encrypt("first request");
  ASSERT_TRUE(lost.has_value());
  const auto second = client.encrypt("second request");
  // The device never saw the first: it decrypts the second at the wrong stream offset.
  EXPECT_NE(*device.decrypt(*second), "second request");
}

TEST(Security1, HandshakeMessagesAreChecked) {
  Sec1Device device("abcd1234", scripted({unhex(kBobPrivate), unhex(kDeviceRandom)}));
  // Command 1 first.
  auto r = device.handle(unhex("10015a270802b201221220" + std::string(64, '0')));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::conflict);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "not a security 1"},                  // empty SessionData
      {"ffff", "not a valid SessionData"},       // not protobuf
      {"10025a00", "not a security 1"},          // sec_ver 2 with sec1
      {"10015200", "not a security 1"},          // sec_ver 1 with sec0
      {"10015a00", "without its payload"},       // Cmd0 without sc0
      {"10015a06a201030a0101", "not 32 bytes"},  // 1-byte public key
      {"10015a020805", "is not a command"},      // msg 5
      {"10015a020801", "is not a command"},      // a response
  };
  for (const auto& [bytes, reason] : bad) {
    const auto result = device.handle(unhex(bytes));
    ASSERT_FALSE(result.has_value()) << bytes;
    EXPECT_EQ(result.error().code, errc::invalid_argument) << bytes;
    EXPECT_NE(result.error().context.find(reason), std::string::npos)
        << bytes << ": " << result.error().context;
  }
}

TEST(Security1, ClientRefusesAForgedDeviceAnswer) {
  Sec1Client client("abcd1234", scripted({unhex(kAlicePrivate)}));
  ASSERT_TRUE(client.start().has_value());
  // A device answer with a 16-byte key.
  auto r = client.on_response(unhex("10015a170801aa01121210" + std::string(32, 'a')));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_FALSE(client.on_response("").has_value());  // no handshake in progress any more
}

// --- security 2 ------------------------------------------------------------------------

constexpr std::string_view kSalt = "101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kSessionId = "a1a2a3a4a5a6a7a8";

std::string secret_a() {
  return unhex("81" + std::string(62, '0')).replace(1, 31, std::string(31, '\x01'));
}

TEST(Security2, VerifierMatchesTheSpecVector) {
  const auto v = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  ASSERT_TRUE(v.has_value()) << v.error().context;
  EXPECT_EQ(v->salt, unhex(kSalt));
  EXPECT_EQ(v->verifier.size(), 384U);
  EXPECT_EQ(sha256_hex(v->verifier),
            "7d7a493ac86de8deb53f2d96949547a8194d8073b342acec8cc2c8a283af7695");
}

TEST(Security2, HandshakeAndMessagesMatchTheSpecVectors) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  ASSERT_TRUE(verifier.has_value());
  Sec2Client client(std::string(kSec2Username), "abcd1234", scripted({secret_a()}));
  Sec2Device device(*verifier, scripted({std::string(32, '\x02'), unhex(kSessionId)}));

  const auto cmd0 = client.start();
  ASSERT_TRUE(cmd0.has_value()) << cmd0.error().context;
  const auto A = cmd0->substr(cmd0->size() - 384);
  EXPECT_EQ(sha256_hex(A), "32c5b2555f4cef5bc7cdffe5df79fa21232c08cbf47f8cfb70a8f072ed556c7f");
  EXPECT_NE(cmd0->find("wifiprov"), std::string::npos);

  const auto resp0 = device.handle(*cmd0);
  ASSERT_TRUE(resp0.has_value()) << resp0.error().context;
  EXPECT_EQ(hex(resp0->substr(resp0->size() - 18)), "1a10" + std::string(kSalt));
  const auto B = resp0->substr(resp0->size() - 18 - 384, 384);
  EXPECT_EQ(sha256_hex(B), "a6aa84035ca31d8d19dfb839824b1e58239e5bef568301b17f0a3c62e6627f4e");

  const auto cmd1 = client.on_response(*resp0);
  ASSERT_TRUE(cmd1.has_value() && cmd1->has_value()) << cmd1.error().context;
  EXPECT_EQ(hex((*cmd1)->substr((*cmd1)->size() - 64)),
            "1b2ccc615ff62344e374f1a5e1c425bbd3d9863ea9294582a224fe0504c8fe25"
            "41264c88f1f4ee319eac67a6f9463266bdd2f295fa938dd4a7b078fcac195b17");

  const auto resp1 = device.handle(**cmd1);
  ASSERT_TRUE(resp1.has_value()) << resp1.error().context;
  EXPECT_NE(hex(*resp1).find("6cf3078877cfcaa826ea3f7dd33c1f0d7d932ca476b705dbf7762a3375de9fd5"
                             "3b1384f3003ead3b00f02731931fb002600fe63b45d279a3573f1bac7eb591a1"),
            std::string::npos);
  EXPECT_EQ(hex(resp1->substr(resp1->size() - 12)), std::string(kSessionId) + "00000001");
  const auto done = client.on_response(*resp1);
  ASSERT_TRUE(done.has_value()) << done.error().context;
  EXPECT_FALSE(done->has_value());

  const auto request = client.encrypt(unhex("5200"));
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(hex(*request), "c709656fa3037f1745cc4891cabc78a74bc4");
  EXPECT_EQ(hex(*device.decrypt(*request)), "5200");
  const auto reply = device.encrypt(unhex("08015a021001"));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(hex(*reply), "1a7643cbae17ee55f9761da207cb72fc0f0f31ffeb6a");
  EXPECT_EQ(hex(*client.decrypt(*reply)), "08015a021001");
}

TEST(Security2, RandomSecretsAgreeOverManyMessages) {
  const auto verifier = make_sec2_verifier(kSec2Username, "s3cret", system_random());
  ASSERT_TRUE(verifier.has_value());
  EXPECT_EQ(verifier->salt.size(), 16U);
  EXPECT_NE(verifier->salt[0], '\0');
  Sec2Client client(std::string(kSec2Username), "s3cret");
  Sec2Device device(*verifier);
  ASSERT_TRUE(handshake(client, device).has_value());
  exchange_many(client, device);
}

TEST(Security2, PatchVersion0KeepsTheNonceFixed) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Client client(std::string(kSec2Username), "abcd1234", system_random(), 0);
  Sec2Device device(*verifier, system_random(), 0);
  ASSERT_TRUE(handshake(client, device).has_value());
  const auto one = client.encrypt("same");
  const auto two = client.encrypt("same");
  EXPECT_EQ(*one, *two);  // fixed nonce: equal plaintexts, equal ciphertexts
  EXPECT_EQ(*device.decrypt(*two), "same");
  exchange_many(client, device);
}

TEST(Security2, PatchVersionsMustAgree) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Client client(std::string(kSec2Username), "abcd1234", system_random(), 0);
  Sec2Device device(*verifier);  // patch 1
  ASSERT_TRUE(handshake(client, device).has_value());
  ASSERT_EQ(*device.decrypt(*client.encrypt("1")), "1");  // both at counter 1
  const auto reply = device.encrypt("2");                 // device at 2, client still at 1
  EXPECT_EQ(client.decrypt(*reply).error().code, errc::unauthenticated);
}

TEST(Security2, WrongPasswordIsRefusedAtCommand1) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Device device(*verifier);
  Sec2Client wrong(std::string(kSec2Username), "abcd1235");
  const auto result = handshake(wrong, device);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, errc::unauthenticated);
  EXPECT_FALSE(device.established());
  Sec2Client other_user("admin", "abcd1234");
  EXPECT_EQ(handshake(other_user, device).error().code, errc::unauthenticated);
  Sec2Client right(std::string(kSec2Username), "abcd1234");
  EXPECT_TRUE(handshake(right, device).has_value());
}

TEST(Security2, TamperedOrReplayedCiphertextIsRefused) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Client client(std::string(kSec2Username), "abcd1234");
  Sec2Device device(*verifier);
  ASSERT_TRUE(handshake(client, device).has_value());
  const auto sealed = client.encrypt("{\"params\":1}");
  ASSERT_TRUE(sealed.has_value());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    auto tampered = *sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    const auto r = device.decrypt(tampered);
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code, errc::unauthenticated);
  }
  EXPECT_EQ(device.decrypt(sealed->substr(0, 15)).error().code, errc::invalid_argument);
  // A failed decrypt leaves the counter alone: the genuine message still opens.
  ASSERT_EQ(*device.decrypt(*sealed), "{\"params\":1}");
  // Replaying it fails: the device's counter has moved on.
  EXPECT_EQ(device.decrypt(*sealed).error().code, errc::unauthenticated);
}

TEST(Security2, HandshakeMessagesAreChecked) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Device device(*verifier, system_random());
  EXPECT_EQ(device.handle(unhex("100262070802b201020a00")).error().code, errc::conflict);
  const std::string A_short(383, '\x05');
  const std::vector<std::string> bad = {
      unhex("10016200"),  // sec_ver 1
      unhex("10026200"),  // Cmd0 without payload
  };
  for (const auto& b : bad) {
    EXPECT_EQ(device.handle(b).error().code, errc::invalid_argument) << hex(b);
  }
  // A = 0 (and A = N) would force S = 0: refused.
  Sec2Client client(std::string(kSec2Username), "abcd1234", scripted({secret_a()}));
  auto cmd0 = *client.start();
  auto zero = cmd0;
  std::fill(zero.end() - 384, zero.end(), '\0');
  const auto r = device.handle(zero);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().context.find("0 mod N"), std::string::npos);
  // A of the wrong length.
  auto cut = cmd0.substr(0, cmd0.size() - 1);
  EXPECT_FALSE(device.handle(cut).has_value());
}

TEST(Security2, ClientChecksTheDeviceProof) {
  const auto verifier = make_sec2_verifier(kSec2Username, "abcd1234", unhex(kSalt));
  Sec2Client client(std::string(kSec2Username), "abcd1234");
  Sec2Device device(*verifier);
  const auto cmd0 = client.start();
  const auto cmd1 = client.on_response(*device.handle(*cmd0));
  auto resp1 = *device.handle(**cmd1);
  resp1[20] = static_cast<char>(resp1[20] ^ 0x40);  // inside the device proof
  const auto r = client.on_response(resp1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::unauthenticated);
  EXPECT_FALSE(client.established());
}

}  // namespace
}  // namespace stratus::protocomm

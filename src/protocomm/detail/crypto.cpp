#include "protocomm/detail/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace stratus::protocomm::detail {
namespace {

const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

int int_size(std::string_view s) noexcept {
  return static_cast<int>(s.size());
}

// The OpenSSL error queue's last entry as text, and the queue cleared.
tl::unexpected<Error> openssl_error(std::string_view what) {
  std::string context = "openssl: " + std::string(what);
  if (const unsigned long code = ERR_peek_last_error(); code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    context += ": ";
    context += text.data();
  }
  ERR_clear_error();
  return fail(errc::internal, std::move(context));
}

std::string digest(const EVP_MD* md, std::initializer_list<std::string_view> parts) {
  std::string out(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned int n = 0;
  // Hashing in memory fails only when allocation does; that is not an expected failure.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    std::abort();
  }
  for (const auto part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
      std::abort();
    }
  }
  if (EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n) != 1) {
    std::abort();
  }
  return out;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// --- SRP ---------------------------------------------------------------------------------

// RFC 5054 appendix A, the 3072-bit group; g = 5.
constexpr std::string_view kN3072Hex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D226"
    "1AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
constexpr unsigned kG = 5;

struct BnFree {
  void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;

Bn bn_new() {
  Bn b(BN_new());
  if (!b) {
    std::abort();  // allocation failure
  }
  return b;
}

Bn bn_from(std::string_view s) {
  Bn b(BN_bin2bn(bytes(s), int_size(s), nullptr));
  if (!b) {
    std::abort();
  }
  return b;
}

// A secret (an exponent such as b, a, x, or the verifier v): BN_mod_exp then takes
// OpenSSL's constant-time path (BN_mod_exp_mont_consttime) instead of the variable-time
// one it uses for small bases like g = 5, so timing does not leak the secret.
Bn secret(Bn b) {
  BN_set_flags(b.get(), BN_FLG_CONSTTIME);
  return b;
}

std::string bn_minimal(const BIGNUM* b) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(b)), '\0');
  BN_bn2bin(b, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string bn_padded(const BIGNUM* b) {
  std::string out(kSrpModulusBytes, '\0');
  BN_bn2binpad(b, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

std::string pad(std::string_view s) {
  if (s.size() >= kSrpModulusBytes) {
    return std::string(s);
  }
  std::string out(kSrpModulusBytes - s.size(), '\0');
  out.append(s);
  return out;
}

struct Group {
  Bn n = bn_new();
  Bn g = bn_new();
  std::string n_bytes;
  std::string g_bytes;
  Group() {
    BIGNUM* raw = n.get();
    BN_hex2bn(&raw, std::string(kN3072Hex).c_str());
    BN_set_word(g.get(), kG);
    n_bytes = bn_minimal(n.get());
    g_bytes = bn_minimal(g.get());
  }
};

const Group& group() {
  static const Group g;  // immutable after construction; C++11 statics are thread-safe
  return g;
}

Bn hash_to_bn(const std::string& h) {
  return bn_from(h);
}

// k = H(N ‖ pad(g))
Bn srp_k() {
  const auto& grp = group();
  return hash_to_bn(sha512({grp.n_bytes, pad(grp.g_bytes)}));
}

Bn srp_x(std::string_view salt, std::string_view user, std::string_view password) {
  const auto inner = sha512({user, ":", password});
  return hash_to_bn(sha512({salt, inner}));
}

Bn srp_u(std::string_view A, std::string_view B) {
  return hash_to_bn(sha512({pad(A), pad(B)}));
}

BnCtx bn_ctx() {
  BnCtx c(BN_CTX_secure_new());
  if (!c) {
    std::abort();
  }
  return c;
}

}  // namespace

std::string sha256(std::string_view data) {
  return digest(EVP_sha256(), {data});
}

std::string sha512(std::initializer_list<std::string_view> parts) {
  return digest(EVP_sha512(), parts);
}

bool equal_ct(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> x25519_public(std::string_view private_key) {
  if (private_key.size() != 32) {
    return fail(errc::invalid_argument, "an X25519 private key is 32 bytes");
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(private_key), 32),
              EVP_PKEY_free);
  if (!key) {
    return openssl_error("X25519 private key");
  }
  std::string out(32, '\0');
  std::size_t n = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(out.data()), &n) !=
          1 ||
      n != 32) {
    return openssl_error("X25519 public key");
  }
  return out;
}

Result<std::string> x25519_shared(std::string_view private_key, std::string_view peer_public) {
  if (private_key.size() != 32 || peer_public.size() != 32) {
    return fail(errc::invalid_argument, "X25519 keys are 32 bytes");
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(private_key), 32),
              EVP_PKEY_free);
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, bytes(peer_public), 32),
               EVP_PKEY_free);
  if (!key || !peer) {
    return openssl_error("X25519 keys");
  }
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return openssl_error("X25519 derive");
  }
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return openssl_error("X25519 peer key");
  }
  std::string out(32, '\0');
  std::size_t n = out.size();
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n) != 1 ||
      n != 32) {
    ERR_clear_error();
    // OpenSSL refuses a peer key of small order (all-zero secret); so do we.
    return fail(errc::invalid_argument, "the X25519 peer key gives no shared secret");
  }
  return out;
}

AesCtr::AesCtr() = default;

AesCtr::~AesCtr() {
  clear();
}

void AesCtr::clear() noexcept {
  EVP_CIPHER_CTX_free(ctx_);
  ctx_ = nullptr;
  ready_ = false;
}

Result<void> AesCtr::init(std::string_view key, std::string_view counter_block) {
  clear();
  if (key.size() != 32 || counter_block.size() != 16) {
    return fail(errc::invalid_argument, "AES-256-CTR needs a 32-byte key and a 16-byte counter");
  }
  ctx_ = EVP_CIPHER_CTX_new();
  if (ctx_ == nullptr ||
      EVP_EncryptInit_ex(ctx_, EVP_aes_256_ctr(), nullptr, bytes(key), bytes(counter_block)) != 1) {
    clear();
    return openssl_error("AES-256-CTR init");
  }
  ready_ = true;
  return {};
}

Result<std::string> AesCtr::apply(std::string_view data) {
  if (!ready_) {
    return fail(errc::conflict, "the AES-CTR stream is not started");
  }
  std::string out(data.size(), '\0');
  std::size_t done = 0;
  // EVP takes int lengths: feed large inputs in pieces (the stream continues across calls).
  while (done < data.size()) {
    const auto piece = std::min<std::size_t>(data.size() - done, 1U << 30U);
    int n = 0;
    if (EVP_EncryptUpdate(ctx_, reinterpret_cast<unsigned char*>(out.data() + done), &n,
                          bytes(data.substr(done)), static_cast<int>(piece)) != 1 ||
        static_cast<std::size_t>(n) != piece) {
      return openssl_error("AES-256-CTR");
    }
    done += piece;
  }
  return out;
}

namespace {

constexpr std::size_t kGcmTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

Result<std::string> aes_gcm_seal(std::string_view key, std::string_view iv,
                                 std::string_view plaintext) {
  if (key.size() != 32 || iv.size() != 12) {
    return fail(errc::invalid_argument, "AES-256-GCM needs a 32-byte key and a 12-byte IV");
  }
  if (plaintext.size() > (1U << 30U)) {
    return fail(errc::invalid_argument, "message too large for AES-GCM");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv)) != 1) {
    return openssl_error("AES-256-GCM init");
  }
  std::string out(plaintext.size() + kGcmTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  int tail = 0;
  if (EVP_EncryptUpdate(ctx.get(), o, &n, bytes(plaintext), int_size(plaintext)) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + n, &tail) != 1 ||
      static_cast<std::size_t>(n + tail) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes),
                          o + plaintext.size()) != 1) {
    return openssl_error("AES-256-GCM encrypt");
  }
  return out;
}

Result<std::string> aes_gcm_open(std::string_view key, std::string_view iv,
                                 std::string_view sealed) {
  if (key.size() != 32 || iv.size() != 12) {
    return fail(errc::invalid_argument, "AES-256-GCM needs a 32-byte key and a 12-byte IV");
  }
  if (sealed.size() < kGcmTagBytes) {
    return fail(errc::invalid_argument, "an AES-GCM message is at least its 16-byte tag");
  }
  if (sealed.size() > (1U << 30U)) {
    return fail(errc::invalid_argument, "message too large for AES-GCM");
  }
  const auto body = sealed.substr(0, sealed.size() - kGcmTagBytes);
  std::string tag(sealed.substr(body.size()));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv)) != 1) {
    return openssl_error("AES-256-GCM init");
  }
  std::string out(body.size(), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  int tail = 0;
  if (EVP_DecryptUpdate(ctx.get(), o, &n, bytes(body), int_size(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes),
                          tag.data()) != 1) {
    return openssl_error("AES-256-GCM decrypt");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), o + n, &tail) != 1) {
    ERR_clear_error();
    return fail(errc::unauthenticated, "AES-GCM tag mismatch: the message was altered");
  }
  return out;
}

Result<std::string> srp_verifier(std::string_view salt, std::string_view user,
                                 std::string_view password) {
  const auto& grp = group();
  const auto x = secret(srp_x(salt, user, password));
  auto v = bn_new();
  auto ctx = bn_ctx();
  if (BN_mod_exp(v.get(), grp.g.get(), x.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP verifier");
  }
  return bn_minimal(v.get());
}

Result<std::string> srp_server_public(std::string_view v_bytes, std::string_view b_bytes) {
  const auto& grp = group();
  auto ctx = bn_ctx();
  const auto k = srp_k();
  const auto v = secret(bn_from(v_bytes));
  const auto b = secret(bn_from(b_bytes));
  auto kv = bn_new();
  auto gb = bn_new();
  auto B = bn_new();
  if (BN_mod_mul(kv.get(), k.get(), v.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_exp(gb.get(), grp.g.get(), b.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_add(B.get(), kv.get(), gb.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP B");
  }
  return bn_minimal(B.get());
}

Result<std::string> srp_server_key(std::string_view A_bytes, std::string_view B_bytes,
                                   std::string_view v_bytes, std::string_view b_bytes) {
  const auto& grp = group();
  auto ctx = bn_ctx();
  const auto A = bn_from(A_bytes);
  auto a_mod_n = bn_new();
  if (BN_nnmod(a_mod_n.get(), A.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP A mod N");
  }
  if (BN_is_zero(a_mod_n.get())) {
    return fail(errc::invalid_argument, "SRP: the client's public value A is 0 mod N");
  }
  const auto u = srp_u(A_bytes, B_bytes);
  const auto v = secret(bn_from(v_bytes));
  const auto b = secret(bn_from(b_bytes));
  auto vu = bn_new();
  auto avu = bn_new();
  auto S = bn_new();
  if (BN_mod_exp(vu.get(), v.get(), u.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_mul(avu.get(), A.get(), vu.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_exp(S.get(), avu.get(), b.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP S");
  }
  return sha512({bn_minimal(S.get())});
}

Result<std::string> srp_client_public(std::string_view a_bytes) {
  const auto& grp = group();
  auto ctx = bn_ctx();
  const auto a = secret(bn_from(a_bytes));
  auto A = bn_new();
  if (BN_mod_exp(A.get(), grp.g.get(), a.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP A");
  }
  return bn_padded(A.get());
}

Result<std::string> srp_client_key(std::string_view A_bytes, std::string_view B_bytes,
                                   std::string_view a_bytes, std::string_view salt,
                                   std::string_view user, std::string_view password) {
  const auto& grp = group();
  auto ctx = bn_ctx();
  const auto B = bn_from(B_bytes);
  auto b_mod_n = bn_new();
  if (BN_nnmod(b_mod_n.get(), B.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP B mod N");
  }
  if (BN_is_zero(b_mod_n.get())) {
    return fail(errc::invalid_argument, "SRP: the device's public value B is 0 mod N");
  }
  const auto u = srp_u(A_bytes, B_bytes);
  if (BN_is_zero(u.get())) {
    return fail(errc::invalid_argument, "SRP: u is 0");
  }
  const auto x = secret(srp_x(salt, user, password));
  const auto k = srp_k();
  const auto a = secret(bn_from(a_bytes));
  auto v = bn_new();
  auto kv = bn_new();
  auto base = bn_new();
  auto ux = bn_new();
  auto exponent = bn_new();
  auto S = bn_new();
  if (BN_mod_exp(v.get(), grp.g.get(), x.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_mul(kv.get(), k.get(), v.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mod_sub(base.get(), b_mod_n.get(), kv.get(), grp.n.get(), ctx.get()) != 1 ||
      BN_mul(ux.get(), u.get(), x.get(), ctx.get()) != 1 ||
      BN_add(exponent.get(), a.get(), ux.get()) != 1) {
    return openssl_error("SRP S");
  }
  BN_set_flags(exponent.get(), BN_FLG_CONSTTIME);  // a + u·x is as secret as a and x
  if (BN_mod_exp(S.get(), base.get(), exponent.get(), grp.n.get(), ctx.get()) != 1) {
    return openssl_error("SRP S");
  }
  return sha512({bn_minimal(S.get())});
}

std::string srp_client_proof(std::string_view user, std::string_view salt, std::string_view A,
                             std::string_view B, std::string_view K) {
  const auto& grp = group();
  const auto hn = sha512({grp.n_bytes});
  const auto hg = sha512({pad(grp.g_bytes)});
  std::string hx(hn.size(), '\0');
  for (std::size_t i = 0; i < hn.size(); ++i) {
    hx[i] =
        static_cast<char>(static_cast<unsigned char>(hn[i]) ^ static_cast<unsigned char>(hg[i]));
  }
  return sha512({hx, sha512({user}), salt, A, B, K});
}

std::string srp_server_proof(std::string_view A, std::string_view M, std::string_view K) {
  return sha512({A, M, K});
}

}  // namespace stratus::protocomm::detail

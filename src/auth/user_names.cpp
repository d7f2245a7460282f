#include "auth/user_names.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include <cstdio>
#include <memory>

namespace stratus::auth {
namespace {

Error invalid(std::string text) {
  return Error{errc::invalid_argument, std::move(text)};
}

// UTF-8 → UTF-16 (ICU's working form); nullopt-like failure for invalid UTF-8.
Result<std::u16string> to_utf16(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strFromUTF8WithSub(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()),
                       U_SENTINEL, nullptr, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
    return fail(invalid("user name is not valid UTF-8"));
  std::u16string out(static_cast<std::size_t>(length), u'\0');
  status = U_ZERO_ERROR;
  int32_t invalid_count = 0;
  u_strFromUTF8WithSub(out.data(), length, &length, text.data(),
                       static_cast<int32_t>(text.size()), U_SENTINEL, &invalid_count, &status);
  if (U_FAILURE(status) || invalid_count != 0)
    return fail(invalid("user name is not valid UTF-8"));
  return out;
}

Result<std::string> to_utf8(const std::u16string& text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strToUTF8(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()), &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status))
    return fail(invalid("user name cannot be encoded as UTF-8"));
  std::string out(static_cast<std::size_t>(length), '\0');
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), length, &length, text.data(), static_cast<int32_t>(text.size()),
              &status);
  if (U_FAILURE(status))
    return fail(invalid("user name cannot be encoded as UTF-8"));
  return out;
}

std::string code_point(UChar32 c) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
  return hex;
}

struct SpoofCloser {
  void operator()(USpoofChecker* checker) const { uspoof_close(checker); }
};

}  // namespace

Result<std::string> nfkc_normalize(std::string_view text) {
  auto utf16 = to_utf16(text);
  if (!utf16)
    return fail(utf16.error());
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfkc = unorm2_getNFKCInstance(&status);
  if (U_FAILURE(status))
    return fail(Error{errc::internal, "ICU: no NFKC normaliser"});
  const auto in_length = static_cast<int32_t>(utf16->size());
  std::u16string normal(utf16->size() * 3 + 16, u'\0');  // NFKC expands at most ~x18; retry
  int32_t length = unorm2_normalize(nfkc, utf16->data(), in_length, normal.data(),
                                    static_cast<int32_t>(normal.size()), &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    normal.assign(static_cast<std::size_t>(length), u'\0');
    status = U_ZERO_ERROR;
    length = unorm2_normalize(nfkc, utf16->data(), in_length, normal.data(), length, &status);
  }
  if (U_FAILURE(status))
    return fail(invalid("user name cannot be normalised"));
  normal.resize(static_cast<std::size_t>(length));

  for (std::size_t i = 0; i < normal.size(); ++i) {
    // UTF-16 → code point (ICU's U16_NEXT trips -Wsign-conversion); a lone surrogate
    // stays one and is refused below.
    char32_t point = normal[i];
    if (point >= 0xD800 && point <= 0xDBFF && i + 1 < normal.size() && normal[i + 1] >= 0xDC00 &&
        normal[i + 1] <= 0xDFFF) {
      point = 0x10000 + ((point - 0xD800) << 10) + (char32_t{normal[i + 1]} - 0xDC00);
      ++i;
    }
    const auto c = static_cast<UChar32>(point);
    switch (u_charType(c)) {
      case U_CONTROL_CHAR:
      case U_FORMAT_CHAR:
      case U_PRIVATE_USE_CHAR:
      case U_UNASSIGNED:
      case U_SURROGATE:
      case U_LINE_SEPARATOR:
      case U_PARAGRAPH_SEPARATOR:
      case U_SPACE_SEPARATOR:
        return fail(invalid(
            "user name contains an invisible, control or direction-changing character (" +
            code_point(c) + ")"));
      default:
        break;
    }
  }

  return to_utf8(normal);
}

Result<void> check_not_spoofable(std::string_view part) {
  auto utf16 = to_utf16(part);
  if (!utf16)
    return fail(utf16.error());
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<USpoofChecker, SpoofCloser> checker(uspoof_open(&status));
  if (U_FAILURE(status))
    return fail(Error{errc::internal, "ICU: no spoof checker"});
  uspoof_setChecks(checker.get(),
                   USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE | USPOOF_MIXED_NUMBERS, &status);
  uspoof_setRestrictionLevel(checker.get(), USPOOF_HIGHLY_RESTRICTIVE);
  const int32_t result = uspoof_check2(checker.get(), utf16->data(),
                                       static_cast<int32_t>(utf16->size()), nullptr, &status);
  if (U_FAILURE(status))
    return fail(Error{errc::internal, "ICU: spoof check failed"});
  if (result != 0) {
    return fail(
        invalid("user name mixes scripts or digit sets in a way that can imitate another name"));
  }
  return {};
}


Result<std::string> unicode_lower(std::string_view text) {
  auto utf16 = to_utf16(text);
  if (!utf16)
    return fail(utf16.error());
  UErrorCode status = U_ZERO_ERROR;
  std::u16string lower(utf16->size() + 8, u'\0');
  int32_t length = u_strToLower(lower.data(), static_cast<int32_t>(lower.size()), utf16->data(),
                                static_cast<int32_t>(utf16->size()), "", &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    lower.assign(static_cast<std::size_t>(length), u'\0');
    status = U_ZERO_ERROR;
    length = u_strToLower(lower.data(), length, utf16->data(),
                          static_cast<int32_t>(utf16->size()), "", &status);
  }
  if (U_FAILURE(status))
    return fail(invalid("user name cannot be lower-cased"));
  lower.resize(static_cast<std::size_t>(length));
  return to_utf8(lower);
}

}  // namespace stratus::auth

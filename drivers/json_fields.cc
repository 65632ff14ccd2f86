// Typed JSON field access for drivers; see json_fields.h.
#include "drivers/json_fields.h"

#include <cmath>
#include <ctime>

namespace shaobing::drivers::json_fields {

using nlohmann::json;

std::optional<json> parseObject(const std::string& payload, DecodeResult& fail) {
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    fail = DecodeResult::fail(Reject::kMalformedJson, "payload is not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    fail = DecodeResult::fail(Reject::kWrongType, "payload is not a JSON object");
    return std::nullopt;
  }
  return j;
}

bool optString(const json& j, const char* key, std::string& out, DecodeResult& fail) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) {
    fail = DecodeResult::fail(Reject::kWrongType, std::string("'") + key + "' must be a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool reqString(const json& j, const char* key, std::string& out, DecodeResult& fail) {
  if (!j.contains(key) || j[key].is_null()) {
    fail = DecodeResult::fail(Reject::kMissingField, std::string("'") + key + "' is missing");
    return false;
  }
  return optString(j, key, out, fail);
}

bool optNumber(const json& j, const char* key, std::optional<double>& out, DecodeResult& fail) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    fail = DecodeResult::fail(Reject::kWrongType, std::string("'") + key + "' must be a number");
    return false;
  }
  out = it->get<double>();
  return true;
}

bool optBool(const json& j, const char* key, std::optional<bool>& out, DecodeResult& fail) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    fail = DecodeResult::fail(Reject::kWrongType, std::string("'") + key + "' must be true/false");
    return false;
  }
  out = it->get<bool>();
  return true;
}

std::optional<SystemTime> parseRfc3339(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: years past 2262 overflow.
  if (y < 1970 || y > 2200) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_min * 60;
  return fromUnixMillis(secs * 1000 + ms);
}

bool optTimestamp(const json& j, const char* key, std::optional<SystemTime>& out,
                  DecodeResult& fail) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  // Between 1970 and 2200: system_clock (64-bit nanoseconds) overflows past 2262.
  constexpr int64_t kMaxMs = 7258118400000;  // 2200-01-01
  if (it->is_number_unsigned() || it->is_number_integer()) {
    bool in_range = it->is_number_unsigned() ? it->get<uint64_t>() <= static_cast<uint64_t>(kMaxMs)
                                             : (it->get<int64_t>() >= 0 && it->get<int64_t>() <= kMaxMs);
    if (!in_range) {
      fail = DecodeResult::fail(Reject::kBadTimestamp, std::string("'") + key + "' out of range");
      return false;
    }
    out = fromUnixMillis(it->get<int64_t>());
    return true;
  }
  if (it->is_string()) {
    out = parseRfc3339(it->get<std::string>());
    if (out) return true;
  }
  fail = DecodeResult::fail(Reject::kWrongType,
                            std::string("'") + key + "' must be ms since epoch or RFC 3339");
  return false;
}

bool checkDeviceClaim(const json& j, const char* key, const std::string& device,
                      DecodeResult& fail) {
  std::string claimed;
  if (!optString(j, key, claimed, fail)) return false;
  if (!claimed.empty() && claimed != device) {
    fail = DecodeResult::fail(Reject::kDeviceMismatch,
                              "payload claims device '" + claimed + "' on the topic of '" + device + "'");
    return false;
  }
  return true;
}

std::optional<json> beginEvent(const std::string& payload, const std::string& device,
                               const char* claim_key, const char* ts_key, Event& e,
                               DecodeResult& fail) {
  auto j = parseObject(payload, fail);
  if (!j) return std::nullopt;
  e.device = device;
  if (claim_key != nullptr && !checkDeviceClaim(*j, claim_key, device, fail)) return std::nullopt;
  if (!optTimestamp(*j, ts_key, e.at, fail)) return std::nullopt;
  return j;
}

}  // namespace shaobing::drivers::json_fields

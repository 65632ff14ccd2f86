// Helpers shared by the JSON drivers: typed field access that reports the
// first problem as a DecodeResult instead of throwing.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "drivers/driver.h"

namespace shaobing::drivers::json_fields {

// Parses `payload` as a JSON object or returns the rejection.
std::optional<nlohmann::json> parseObject(const std::string& payload, DecodeResult& fail);

// Reads an optional string field; a present non-string is a kWrongType.
bool optString(const nlohmann::json& j, const char* key, std::string& out, DecodeResult& fail);
// Reads a required string field.
bool reqString(const nlohmann::json& j, const char* key, std::string& out, DecodeResult& fail);
bool optNumber(const nlohmann::json& j, const char* key, std::optional<double>& out,
               DecodeResult& fail);
bool optBool(const nlohmann::json& j, const char* key, std::optional<bool>& out,
             DecodeResult& fail);

// "ts": milliseconds since the epoch (number) or RFC 3339 UTC text. Absent
// is fine (the receive time is used); malformed is a kWrongType.
bool optTimestamp(const nlohmann::json& j, const char* key, std::optional<SystemTime>& out,
                  DecodeResult& fail);

// The payload's own device claim, if any, must match the topic's device.
bool checkDeviceClaim(const nlohmann::json& j, const char* key, const std::string& device,
                      DecodeResult& fail);

// The common start of every JSON driver: the payload as an object, its
// device claim (under `claim_key`) checked against the topic's device, and
// its timestamp (under `ts_key`) read into e.at. Sets e.device.
std::optional<nlohmann::json> beginEvent(const std::string& payload, const std::string& device,
                                         const char* claim_key, const char* ts_key, Event& e,
                                         DecodeResult& fail);

// Parses RFC 3339 ("2026-11-22T13:44:21Z", fractional seconds and offsets).
std::optional<SystemTime> parseRfc3339(const std::string& text);

}  // namespace shaobing::drivers::json_fields
